"""Seeds side by side (repro/seeds.py): a seed's numbers never depend on how it was run.

Identical, bit for bit, on one thread (the CLI's default): a seed trained alone (E = 1),
beside 2 others (E = 3) or beside 7 (E = 8); and a network with no seed axis at all,
trained by a plain loop over the same shuffles. Then: resuming seeds that stopped an epoch
apart, and each seed's own files.
"""

import json
from dataclasses import asdict, replace

import pytest
import torch

from experiments import chap1_network, chap3_crossentropy, chap6_conv
from repro.log import RunLog
from repro.network import Network
from repro.readback import load_checkpoint
from repro.sgd import step
from repro.train import train_network
from repro.update import Rule
from repro.train3 import train_network3

CHAPTERS_1_TO_5 = {
    "chap1_network": replace(chap1_network.CONFIG, epochs=2, train_size=2000),
    "chap3_crossentropy lambda": replace(chap3_crossentropy.CONFIG, epochs=2, train_size=2000, lmbda=0.2),
    "chap3_crossentropy function": replace(chap3_crossentropy.CONFIG, epochs=2, train_size=2000, backend="function"),
}
CHAPTER_6 = {  # small nets, so that three of them train in seconds; dropout and the expanded set included
    "conv, dropout": replace(chap6_conv.CONV1, conv_maps=(4,), fc_sizes=(20,), p_dropout=0.5, epochs=2,
                             train_size=500),
    "expanded, relu": replace(chap6_conv.EXPANDED, conv_maps=(4,), fc_sizes=(20,), epochs=2, train_size=200),
}


def train_seeds(cfg, data, tmp_path, seeds, name):
    """Train the seeds side by side; return {seed: (results.json, checkpoint)}."""
    logs = [RunLog("chap1_network", "default", seed, asdict(cfg), run_dir=tmp_path / f"{name}{seed}") for seed in seeds]
    (train_network3 if hasattr(cfg, "conv_maps") else train_network)(cfg, data, logs)
    return {log.seed: (log.close(), load_checkpoint(log.checkpoint_path)) for log in logs}


def assert_same_run(ours, reference):
    (results, checkpoint), (reference_results, reference_checkpoint) = ours, reference
    assert results["epochs"] == reference_results["epochs"]  # every accuracy count and cost, to the last bit
    for key, value in checkpoint["network"].items():
        assert torch.equal(value, reference_checkpoint["network"][key]), key
    assert torch.equal(checkpoint["generator"], reference_checkpoint["generator"])


@pytest.mark.parametrize("cfg", [*CHAPTERS_1_TO_5.values(), *CHAPTER_6.values()],
                         ids=[*CHAPTERS_1_TO_5, *CHAPTER_6])
def test_a_seeds_numbers_do_not_depend_on_the_seeds_beside_it(cfg, mnist, mnist_small_evaluation, tmp_path):
    data = mnist_small_evaluation if hasattr(cfg, "conv_maps") else mnist
    alone = train_seeds(cfg, data, tmp_path, [1], "alone")
    three = train_seeds(cfg, data, tmp_path, [0, 1, 2], "three")
    eight = train_seeds(cfg, data, tmp_path, [7, 6, 5, 4, 3, 2, 1, 0], "eight")
    assert_same_run(three[1], alone[1])
    for seed in three:
        assert_same_run(eight[seed], three[seed])
    assert three[0][0]["epochs"] != three[1][0]["epochs"]  # and the seeds are different runs


@pytest.mark.parametrize("cfg", CHAPTERS_1_TO_5.values(), ids=CHAPTERS_1_TO_5)
def test_side_by_side_equals_a_network_without_a_seed_axis(cfg, mnist, tmp_path):
    """network2.SGD written plainly for one network: (m, 784) mini-batches, (n_l, n_{l-1}) weights."""
    generator = torch.Generator().manual_seed(2)
    network = cfg.network(generator)
    x, y, n, m = mnist.training.images[:cfg.train_size], mnist.training.one_hot()[:cfg.train_size], cfg.train_size, 10
    correct = []
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=generator)
        for k in range(0, n, m):
            batch = order[k:k + m]
            step(network, (x[batch], y[batch], None), Rule(cfg.eta, cfg.eta * cfg.lmbda / n), backend=cfg.backend)
        with torch.no_grad():
            correct.append(int((network(mnist.test.images).argmax(1) == mnist.test.labels).sum()))
    side_by_side = train_seeds(cfg, mnist, tmp_path, [2, 3], "side")[2]
    assert correct == [row["correct/test"] for row in side_by_side[0]["epochs"]]
    for key, value in network.state_dict().items():
        assert torch.equal(value, side_by_side[1]["network"][key]), key


def test_seeds_stopped_an_epoch_apart_resume_to_the_uninterrupted_numbers(mnist, tmp_path):
    """A run killed while writing its seeds' checkpoints: seeds 0 and 1 have 2 epochs, seed 2 has 1."""
    cfg = CHAPTERS_1_TO_5["chap3_crossentropy lambda"]
    straight = train_seeds(replace(cfg, epochs=3), mnist, tmp_path, [0, 1, 2], "straight")
    train_seeds(replace(cfg, epochs=2), mnist, tmp_path, [0, 1], "stopped")
    train_seeds(replace(cfg, epochs=1), mnist, tmp_path, [2], "stopped")
    logs = [RunLog.reopen(tmp_path / f"stopped{seed}") for seed in (0, 1, 2)]
    assert [len(log.history) for log in logs] == [2, 2, 1]
    train_network(replace(cfg, epochs=3), mnist, logs)
    for log in logs:
        assert_same_run((log.close(), load_checkpoint(log.checkpoint_path)), straight[log.seed])


def test_every_seed_writes_its_own_run_folder(mnist, tmp_path):
    cfg = CHAPTERS_1_TO_5["chap1_network"]
    runs = train_seeds(replace(cfg, epochs=1), mnist, tmp_path, [4, 5], "run")
    for seed in (4, 5):
        folder = tmp_path / f"run{seed}"
        assert {"config.json", "results.json", "checkpoint.pt"} <= {path.name for path in folder.iterdir()}
        assert list(folder.glob("events.out.tfevents.*"))
        assert json.loads((folder / "config.json").read_text())["seed"] == seed == runs[seed][0]["seed"]
        for value in runs[seed][1]["network"].values():  # its own weights only, not the other seed's storage
            assert value.untyped_storage().nbytes() == value.numel() * value.element_size()
    assert runs[4][0]["epochs"] != runs[5][0]["epochs"]


def test_a_member_is_the_network_at_that_seed(mnist):
    networks = [chap1_network.CONFIG.network(torch.Generator().manual_seed(seed)) for seed in range(3)]
    stacked = Network.side_by_side(networks)
    assert stacked.layers[0].weight.shape == (3, 30, 784) and stacked.seeds == 3
    for seed, network in enumerate(networks):
        member = stacked.member(seed)
        assert member.seeds is None
        for key, value in network.state_dict().items():
            assert torch.equal(member.state_dict()[key], value)
        assert torch.equal(member.predict(mnist.test.images), stacked.predict(mnist.test.images)[seed])


def test_the_compiled_step_is_the_same_whichever_seeds_sit_beside_it(mnist, tmp_path):
    """--compile on: torch.compile's fused kernels; its own last bits, still independent of E."""
    cfg = replace(CHAPTERS_1_TO_5["chap3_crossentropy lambda"], epochs=1, compile="on")
    alone = train_seeds(cfg, mnist, tmp_path, [1], "alone")
    three = train_seeds(cfg, mnist, tmp_path, [0, 1, 2], "three")
    eager = train_seeds(replace(cfg, compile="off"), mnist, tmp_path, [1], "eager")
    assert_same_run(three[1], alone[1])
    compiled, reference = alone[1][0]["epochs"][0], eager[1][0]["epochs"][0]
    assert abs(compiled["correct/test"] - reference["correct/test"]) <= 10
    assert abs(compiled["cost/test"] - reference["cost/test"]) <= 1e-3
