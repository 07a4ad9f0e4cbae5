"""Fast checks of the Ch.3 and Ch.5 claims that need no long run (the full runs are in test_full.py)."""

from dataclasses import replace

import torch

from experiments import chap3_weight_init, chap5_vanishing_gradient
from experiments.chap5_vanishing_gradient import hidden, speeds_of_learning
from repro.backprop import ACTIVATIONS, COSTS
from repro.network import Network
from tests.test_experiments import run_once

SPEED_SEEDS = range(5)


def speeds_at_initialisation(mnist, activation, layers=4):
    """Return, for each of SPEED_SEEDS, ‖δˡ‖ of every hidden layer at initialisation (the seeds side by side)."""
    network = Network.side_by_side([
        Network.create(hidden(layers), COSTS["cross_entropy"], ACTIVATIONS[activation], "default",
                       torch.Generator().manual_seed(seed)) for seed in SPEED_SEEDS])
    training = mnist.training.first(1000)
    return speeds_of_learning(network, training.images, training.one_hot())


def test_sigmoid_speeds_fall_towards_the_input_about_100_fold(mnist):
    """Ch.5: with 4 sigmoid hidden layers "the first hidden layer is learning roughly 100 times slower"."""
    for speeds in speeds_at_initialisation(mnist, "sigmoid"):
        assert speeds == sorted(speeds)
        assert 30 <= speeds[-1] / speeds[0] <= 300


def test_relu_hidden_layers_do_not_vanish(mnist):
    """Ch.6's cure: with ReLU the first layer is within a factor 10 of the last (sigmoid: ~100)."""
    for speeds in speeds_at_initialisation(mnist, "relu"):
        assert speeds[-1] / speeds[0] < 10


def test_speed_tracking_records_one_speed_per_hidden_layer_before_each_epoch(mnist, tmp_path):
    cfg = replace(chap5_vanishing_gradient.VARIANTS["speed3"], epochs=3)
    results = run_once("chap5_vanishing_gradient", "speed3", cfg, mnist, tmp_path)
    assert [sorted(row) for row in results["epochs"]] == [["epoch", "speed/layer1", "speed/layer2", "speed/layer3"]] * 3
    assert results["speeds_at_initialisation"] == speeds_at_initialisation(mnist, "sigmoid", layers=3)[0]
    assert list((tmp_path / "chap5_vanishing_gradient").glob("*/speed_of_learning.png"))


def test_new_initialisation_is_ahead_after_one_epoch(mnist, tmp_path):
    """Ch.3 "Weight initialization": after epoch 0, N(0, 1/√n_in) leads N(0, 1) by FIRST_EPOCH_MARGIN."""
    cfg = replace(chap3_weight_init.CONFIG, epochs=1)
    results = run_once("chap3_weight_init", "default", cfg, mnist, tmp_path)
    new, old = results["epochs"][0]["accuracy/validation"], results["large_init"]["epochs"][0]["accuracy/validation"]
    assert new - old >= chap3_weight_init.FIRST_EPOCH_MARGIN
    assert list((tmp_path / "chap3_weight_init").glob("*/weight_init.png"))
