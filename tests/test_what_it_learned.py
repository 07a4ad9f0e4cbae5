"""The companion videos' network: its size, and what the run records about it."""

from dataclasses import replace

import torch

from experiments import seeds_what_it_learned
from tests.test_experiments import run_once


def test_the_videos_network_has_13002_parameters():
    network = seeds_what_it_learned.CONFIG.network(torch.Generator().manual_seed(0))
    assert seeds_what_it_learned.parameters(network) == seeds_what_it_learned.PARAMETERS == 13_002


def test_a_run_records_how_sure_it_is_of_digits_and_of_noise(mnist_small_evaluation, tmp_path):
    cfg = replace(seeds_what_it_learned.CONFIG, epochs=1, train_size=2000)
    confidence = run_once("seeds_what_it_learned", "default", cfg, mnist_small_evaluation, tmp_path)["confidence"]
    for name in ("digits", "noise"):
        assert 0.1 <= confidence[name]["mean_strongest_output"] <= 1
        assert 0 <= confidence[name]["share_at_least_0.9"] <= 1
    assert {path.name for path in tmp_path.glob("seeds_what_it_learned/*/*.png")} == {"first_layer.png", "confidence.png"}
