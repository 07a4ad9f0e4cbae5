"""Ch.3's techniques after L2: softmax, L1, dropout, the η comparison, the broad strategy, schedules, momentum, tanh.

Their book configurations and bands are under ``pytest -m full`` (tests/test_full.py); these
check what each experiment adds, on budgets of seconds.
"""

import json
from dataclasses import replace

import pytest

from experiments import chap3_broad_strategy, chap3_l1, chap3_multiple_eta, chap3_softmax
from repro.seeds import Diverged
from tests.test_experiments import run_once


def test_softmax_of_the_books_widget():
    """Ch.3 "Softmax": z = (2.5, −1, 3.2, 0.5) shows a = (0.315, 0.009, 0.633, 0.043); the a sum to 1."""
    a = chap3_softmax.slider()
    assert [round(value, 3) for value in a] == list(chap3_softmax.SLIDER_A)
    assert abs(sum(a) - 1) < 1e-15


def test_a_softmax_network_learns_by_either_backend(mnist_small_evaluation, tmp_path):
    """δᴸ = a − y by hand (manual) and through the Functions (function): the same counts, the net learns."""
    cfg = replace(chap3_softmax.CONFIG, epochs=1, train_size=2000)
    counts = [run_once("chap3_softmax", "default", replace(cfg, backend=backend), mnist_small_evaluation,
                       tmp_path / backend)["epochs"][0]["correct/test"] for backend in ("manual", "function")]
    assert counts[0] == counts[1] > 500, counts  # ours, seed 0: 650 of 1,000 (chance: 100)


def test_the_walk_through_scores_on_the_first_100_validation_images(mnist_small_evaluation, tmp_path):
    cfg = replace(chap3_broad_strategy.VARIANTS["eta1"], epochs=2)
    epochs = run_once("chap3_broad_strategy", "eta1", cfg, mnist_small_evaluation, tmp_path)["epochs"]
    for row in epochs:
        assert 0 <= row["correct/validation"] <= 100 and row["accuracy/validation"] == row["correct/validation"]


def test_the_walk_through_blows_up_where_lambda_over_n_is_1(mnist, tmp_path):
    """[784, 10], η = 10, λ = 1000 on 1,000 images: w ← (1 − ηλ/n)w = −9w each step, so the weights overflow
    in the first epoch; NaN outputs pick digit 0, and 10 of validation_data[:100] are 0s: the book's 10 / 100."""
    with pytest.raises(Diverged):
        run_once("chap3_broad_strategy", "no_hidden", replace(chap3_broad_strategy.VARIANTS["no_hidden"], epochs=2),
                 mnist, tmp_path)
    results = json.loads(next(tmp_path.glob("chap3_broad_strategy/*/results.json")).read_text())
    assert results["status"] == "diverged" and len(results["epochs"]) == 1
    assert results["epochs"][0]["correct/validation"] == int((mnist.validation.labels[:100] == 0).sum()) == 10


def test_l1_drives_more_weights_to_zero_than_l2(mnist, tmp_path):
    """Ch.3: L1 "driven toward zero": after one epoch, more |w| < 1e-3 under L1 than under L2 at the same λ."""
    cfg = replace(chap3_l1.CONFIG, epochs=1, train_size=10_000, lmbda=3.0)
    results = run_once("chap3_l1", "default", cfg, mnist, tmp_path)
    near_zero = results["near_zero"]
    assert near_zero["L1, λ = 3"] > 5 * near_zero["L2, λ = 5"], near_zero


def test_the_books_cost_curves_are_drawn_beside_ours():
    assert set(chap3_multiple_eta.BOOK_COSTS) == {chap3_multiple_eta.CONFIG.eta, *chap3_multiple_eta.CONFIG.others}
    assert all(len(costs) == chap3_multiple_eta.CONFIG.epochs for costs in chap3_multiple_eta.BOOK_COSTS.values())
