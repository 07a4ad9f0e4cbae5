"""Beside each quick band at chance, a check that the run's gradient is the cost's (issue 22, item 4).

A run that learns nothing (Ch.1's η = 0.001 after one epoch, η = 100, Ch.3's broad strategy)
scores about one digit's share of its evaluation split, and so would a network whose
backprop is wrong: those quick bands cannot tell the two apart. So each is joined by a check
on the variant's own network, at the initial weights CI's seed draws, on the first mini-batch
it trains on, in float64: for each parameter tensor p (every wˡ and bˡ), the gradient g the
hand-written equations give (repro/backprop.py, called directly or by ``loss.backward()``)
must predict the cost's change along itself, the directional derivative

    (C(p + εg) − C(p − εg)) / 2ε = ‖g‖²   (C: the mini-batch's Σₓ Cₓ, the sum BP1 starts from),

which the true gradient meets up to O(ε²). A sign error in BP2 makes the ratio −1 in every
layer below the last; a wrong BP4 moves it far from 1 in every wˡ.
"""

import pytest
import torch

from repro.layers import AUTOGRAD
from repro.runs import load_experiment
from repro.sgd import gradient_by_engine
from repro.train import SGDConfig
from tests.test_experiments import QUICK, QUICK_SEED

# The most a network that learned nothing can score: one digit's share, at most 11.35% of the
# test set (the 1s), 10.90% of validation (the 7s), 14 of validation_data[:100] (the 6s).
CHANCE = 14.0
CHANCE_LEVEL = [(name, variant) for name, variant in QUICK
                if load_experiment(name).EXPECTED[variant].quick_band[0] <= CHANCE
                and isinstance(load_experiment(name).VARIANTS[variant], SGDConfig)]  # not chap1_baselines' guess
STEP = 1e-4  # ‖εg‖, how far p moves each way
# |ratio − 1| of the correct equations, seeds 1-5 of every variant here (float64, STEP 1e-4): at most 1.6e-8
# (η = 0.001's w¹, seed 3), and falling as STEP² (1.6e-6 at STEP 1e-3); seed 0 at most 1.2e-8.
TOLERANCE = 1e-6


def first_mini_batch(cfg, training, seed):
    """Return the network seed draws for cfg and the first mini-batch (x, y) it trains on, in float64.

    The draws of Network2SGD.start and .mini_batches: the initial weights, then the epoch's
    shuffle, from one generator.
    """
    generator = torch.Generator().manual_seed(seed)
    network = cfg.network(generator).double()
    training = training.first(cfg.train_size).to(dtype=torch.float64)
    batch = torch.randperm(len(training), generator=generator)[:cfg.mini_batch_size]
    return network, training.images[batch], training.one_hot()[batch]


@torch.no_grad()
def descent_ratios(cfg, training, seed, backend):
    """Return {parameter: (C(p + εg) − C(p − εg)) / (2ε‖g‖²)}, g the backend's gradient: 1 for C's."""
    network, x, y = first_mini_batch(cfg, training, seed)
    if backend == "manual":
        nabla_w, nabla_b, _ = network.backprop(x, y)
    else:
        nabla_w, nabla_b, _ = gradient_by_engine(network, x, y, None, backend)
    names = [f"w{l}" for l in range(1, len(nabla_w) + 1)] + [f"b{l}" for l in range(1, len(nabla_b) + 1)]
    ratios = {}
    for name, p, g in zip(names, network.weights + network.biases, nabla_w + nabla_b):
        squared, p0 = float((g * g).sum()), p.clone()
        eps = STEP / squared ** 0.5
        costs = []
        for sign in (1, -1):
            p.copy_(p0 + sign * eps * g)
            costs.append(network.cost_function.fn(network(x, ops=AUTOGRAD), y).sum().item())
        p.copy_(p0)
        ratios[name] = (costs[0] - costs[1]) / (2 * eps * squared)
    return ratios


@pytest.mark.parametrize("backend", ["manual", "function"])
@pytest.mark.parametrize("name, variant", CHANCE_LEVEL)
def test_a_chance_level_band_runs_on_the_costs_gradient(name, variant, backend, mnist):
    cfg = load_experiment(name).VARIANTS[variant]
    ratios = descent_ratios(cfg, mnist.training, QUICK_SEED, backend)
    wrong = {p: f"{ratio:.6g}" for p, ratio in ratios.items() if not abs(ratio - 1) <= TOLERANCE}
    assert not wrong, f"{name} {variant} ({backend}): the gradient does not predict the cost's change: {wrong}"


def test_the_bands_the_issue_names_are_guarded():
    """Issue 22's four (Ch.1's η = 0.001 and η = 100, Ch.3's broad strategy and its η = 100), found by CHANCE."""
    assert {("chap1_learning_rates", "eta0.001"), ("chap1_learning_rates", "eta100"),
            ("chap3_broad_strategy", "default"), ("chap3_broad_strategy", "eta100")} <= set(CHANCE_LEVEL)
