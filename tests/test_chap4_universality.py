"""Ch.4's constructions, read off the networks that compute them: steps, bumps, 5 bumps, towers (chap4_towers), windows."""

import pytest
import torch

from experiments import chap4_towers
from experiments.chap4_towers import plane, tower_grid, tower_levels
from experiments.chap4_universality import Config, trained
from repro.costs import Sigmoid
from repro.universality import (DT, Wiggly, deviation, error_vs_n, five_bumps, slope, staircase, step, weighted_output,
                                windows)

X = (torch.arange(1000, dtype=DT) + 0.5) / 1000  # midpoints of [0, 1]: none on a step point


def test_the_step_sits_at_minus_b_over_w_and_sharpens_as_w_grows():
    s, rise = step(100.0, -40.0)
    assert s == pytest.approx(0.4, abs=1e-15)
    z = weighted_output(staircase(torch.tensor([s], dtype=DT), torch.ones(1, dtype=DT), 100.0), X)  # σ(100x − 40)
    risen = X[(z > 0.01) & (z < 0.99)]
    assert abs(float(risen[-1] - risen[0]) - rise) < 2e-3  # the 1%-99% rise counted on the grid (spacing 1e-3)
    assert float(risen.mean()) == pytest.approx(0.4, abs=1e-3)
    rises = [step(w, -0.4 * w)[1] for w in (3, 8, 100, 999)]
    assert all(a > b for a, b in zip(rises, rises[1:]))


def test_two_steps_with_h_and_minus_h_make_a_bump_of_height_h():
    """h = 0.8 on [0.4, 0.6) at w = 1000: 0.01 or more from a step, the error is ≤ 0.8σ(−10) = 3.6e-5."""
    z = weighted_output(staircase(torch.tensor([0.4, 0.6], dtype=DT), torch.tensor([0.8, -0.8], dtype=DT), 1000.0), X)
    bound = 0.8 * float(Sigmoid.fn(torch.tensor(-10.0, dtype=DT))) * 1.001
    assert (z - 0.8)[(X - 0.5).abs() <= 0.09].abs().max() <= bound
    assert z[(X - 0.5).abs() >= 0.11].abs().max() <= bound


def test_five_bumps_at_the_medians_score_0372_and_at_the_means_0391():
    """BOOK.md 4.5: the best 5-bump score is 0.372 at h = (−1.243, −1.423, −0.341, −0.983, 1.143); means 0.391."""
    network, median = five_bumps()
    torch.testing.assert_close(network.weights[1][0, :5].detach(),
                               torch.tensor([-1.243, -1.423, -0.341, -0.983, 1.143], dtype=DT), atol=5e-4, rtol=0)
    assert median <= 0.40 and abs(median - 0.372) <= 0.005  # ours 0.3712
    assert abs(five_bumps(how="mean")[1] - 0.391) <= 0.005  # ours 0.3909
    assert abs(five_bumps(offset=0.0)[1] - 0.3567) <= 5e-4  # the book's step points: x = 0.2, 0.4, … get ½ of each


def test_the_error_falls_with_every_n_about_as_1_over_n():
    """Measured (w = 1000·N/5): 0.358, 0.281, 0.131, 0.052, 0.026, 0.013, 0.0053, 0.0027; slope −0.96."""
    cfg = Config()
    errors = [row[0] for row in error_vs_n(cfg).values()]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert -1.05 <= slope(cfg.sweep, errors) <= -0.9


def test_a_tower_with_h_10_is_sigma_5_inside_and_sigma_minus_5_outside():
    """b = −3h/2: inside 2h − 3h/2 = 5, outside in x or y h − 3h/2 = −5, outside both −15 (0.005 from a wall)."""
    inside, outside, both = tower_levels(10.0, 1000.0, plane())
    assert 0.9932 < inside <= float(Sigmoid.fn(torch.tensor(5.0, dtype=DT)))  # ours 0.99323; σ(5) = 0.99331
    assert float(Sigmoid.fn(torch.tensor(-5.0, dtype=DT))) <= outside < 0.0068  # ours 0.00673; σ(−5) = 0.00669
    assert both < 1e-6  # σ(−15) = 3.1e-7


def test_many_towers_approximate_the_smooth_bump_and_h_10_leaks():
    """σ(−5) of every tower in a point's row and column leaks into zᴸ: 0.182 against the staircase's own 0.157 at
    10 × 10 with h = 10; h = 30 leaves the staircase's."""
    p = plane()
    _, leaky, ideal = tower_grid(10, 10.0, 1000.0, p)
    _, sharp, _ = tower_grid(10, 30.0, 1000.0, p)
    assert abs(sharp - ideal) < 1e-6 and leaky > ideal + 0.02
    assert abs(ideal - 0.157) < 1e-3


def test_another_activation_with_distinct_limits_makes_the_same_bumps():
    """s(z) = σ(z) + 0.2 sin(10z)e^−|z|: 5 bumps score 0.3661 at w = 100 (σ 0.3642) and 0.3712 at w = 1000 (σ too)."""
    limits = Wiggly.fn(torch.tensor([-50.0, 50.0], dtype=DT))
    assert limits[0] < 1e-20 and abs(limits[1] - 1) < 1e-15
    torch.testing.assert_close(Wiggly.fn(torch.tensor([0.15, -0.15], dtype=DT)),  # σ(0.15) = 0.5374: it wiggles
                               torch.tensor([0.7091402, 0.2908598], dtype=DT), atol=1e-7, rtol=0)
    for w, tolerance in ((100.0, 0.005), (1000.0, 1e-4)):
        assert abs(five_bumps(w=w, activation=Wiggly)[1] - five_bumps(w=w)[1]) < tolerance


def test_m_shifted_copies_fail_about_m_times_less():
    """w = 100, 5 bumps: the largest |zᴸ − the ideal steps| is 1.063 (M = 1), 0.548 (M = 2, 0.52×), 0.275 (M = 4,
    0.26×); the bounds leave 0.03-0.04 of room above those ratios."""
    rows = windows(Config(), X)
    assert rows[2][0] <= 0.55 * rows[1][0] and rows[4][0] <= 0.3 * rows[1][0]
    assert rows[2][1] < rows[1][1]  # and against σ⁻¹∘f, in M = 1's windows: 1.53 → 0.65


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_trained_network_beats_the_constructed_one(seed):
    """Adam, 2,000 steps, [1, 10, 1]: seeds 0-2 reach 0.177, 0.169, 0.175 on the widget's grid (the bound 0.20
    leaves 0.023 above the worst); the constructed network's 0.371 is the best any 5-bump staircase can do."""
    assert deviation(trained(Config(), seed), torch.arange(100, dtype=DT) / 100) < 0.20


def test_momentum_sgd_trains_worse_than_adam_but_trains():
    """--optimizer sgd --lr 2 (torch.optim.SGD, μ = 0.9), seed 0: 0.415 on the widget's grid, README's number."""
    assert round(deviation(trained(Config(optimizer="sgd", lr=2.0), 0), torch.arange(100, dtype=DT) / 100), 3) == 0.415


@pytest.mark.parametrize("field, value", [("w", 0.0), ("bumps", 0), ("grid", 20_001), ("optimizer", "lbfgs")])
def test_bad_configs_are_refused(field, value):
    with pytest.raises(ValueError, match="need"):
        Config(**{field: value})


@pytest.mark.parametrize("field, value", [("tower_h", 0.0), ("towers", (0,)), ("towers", ())])
def test_bad_tower_configs_are_refused(field, value):
    with pytest.raises(ValueError, match="need"):
        chap4_towers.Config(**{field: value})
