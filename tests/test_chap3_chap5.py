"""Fast checks of the Ch.3 and Ch.5 claims that need no long run (the full runs are in test_full.py)."""

from dataclasses import replace

import pytest
import torch

from experiments import chap3_learning_slowdown, chap3_weight_init, chap5_vanishing_gradient
from experiments.chap5_vanishing_gradient import hidden, speeds_of_learning
from repro.costs import ACTIVATIONS, COSTS
from repro.network import Network
from tests.test_experiments import run_once

SPEED_SEEDS = range(5)


def speeds_at_initialisation(mnist, activation, layers=4):
    """Return, for each of SPEED_SEEDS, ‖δˡ‖ of every hidden layer at initialisation (the seeds side by side)."""
    network = Network.side_by_side([
        Network.create(hidden(layers), COSTS["cross_entropy"], ACTIVATIONS[activation], "default",
                       torch.Generator().manual_seed(seed)) for seed in SPEED_SEEDS])
    training = mnist.training.first(1000)
    return [[speeds[f"speed/layer{l}"] for l in range(1, layers + 1)]
            for speeds in speeds_of_learning(network, training.images, training.one_hot())]


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
    speeds = [f"speed/layer{l}" for l in (1, 2, 3)] + [f"speed/weights_layer{l}" for l in (1, 2, 3, 4)]
    assert [sorted(row) for row in results["epochs"]] == [sorted(["epoch"] + speeds)] * 3
    assert results["speeds_at_initialisation"] == speeds_at_initialisation(mnist, "sigmoid", layers=3)[0]
    assert {path.name for path in (tmp_path / "chap5_vanishing_gradient").glob("*/*.png")} == {
        "speed_of_learning.png", "weight_gradients.png"}


def test_weight_gradients_grow_layer_by_layer_towards_the_output(mnist):
    """BOOK.md 5.10 (fig/backprop_magnitude_nabla.py): ‖∂C/∂wˡ‖ of the 784-30-30-30-30-30-10 net rises layer by
    layer, as the book's hand-entered numbers do (×3-5 a layer; ours at initialisation, seeds 0-2: ×2-7)."""
    network = Network.side_by_side([
        Network.create(hidden(5), COSTS["cross_entropy"], ACTIVATIONS["sigmoid"], "default",
                       torch.Generator().manual_seed(seed)) for seed in SPEED_SEEDS])
    training = mnist.training.first(1000)
    for speeds in speeds_of_learning(network, training.images, training.one_hot()):
        norms = [speeds[f"speed/weights_layer{l}"] for l in range(1, 7)]
        assert norms == sorted(norms)


def test_new_initialisation_is_ahead_after_one_epoch(mnist, tmp_path):
    """Ch.3 "Weight initialization": after epoch 0, N(0, 1/√n_in) leads N(0, 1) by FIRST_EPOCH_MARGIN."""
    cfg = replace(chap3_weight_init.CONFIG, epochs=1)
    results = run_once("chap3_weight_init", "default", cfg, mnist, tmp_path)
    new, old = results["epochs"][0]["accuracy/validation"], results["large_init"]["epochs"][0]["accuracy/validation"]
    assert new - old >= chap3_weight_init.FIRST_EPOCH_MARGIN
    assert list((tmp_path / "chap3_weight_init").glob("*/weight_init.png"))


def slowdown_run(variant, mnist, tmp_path):
    return run_once("chap3_learning_slowdown", variant, chap3_learning_slowdown.VARIANTS[variant], mnist, tmp_path)


@pytest.mark.parametrize("variant, initial, final, within", [
    ("quadratic", 0.82, 0.09, 0.005),  # Ch.3: "an output from the neuron of about 0.09"; ours 0.0940
    ("quadratic_saturated", 0.98, 0.2028, 0.001),  # BOOK.md 3.2, from the widget's code
    ("cross_entropy", 0.82, 0.0404, 0.001),  # BOOK.md 3.3
    ("cross_entropy_saturated", 0.98, 0.0479, 0.001),  # BOOK.md 3.4
])
def test_the_single_neuron_starts_and_ends_as_the_books_widgets(variant, initial, final, within, mnist, tmp_path):
    results = slowdown_run(variant, mnist, tmp_path)
    assert round(results["initial_output"], 2) == initial
    assert abs(results["final_output"] - final) <= within, results["final_output"]
    assert len(results["epochs"]) == 300 and (tmp_path / "chap3_learning_slowdown").is_dir()


def test_the_quadratic_cost_learns_slowly_when_badly_wrong_and_the_cross_entropy_does_not(mnist, tmp_path):
    """Ch.3: "for the first 150 or so learning epochs, the weights and biases don't change much at all"; with the
    cross-entropy's δ = a − y (no σ′) the saturated start learns as fast as the other."""
    saturated = slowdown_run("quadratic_saturated", mnist, tmp_path)["epochs"]
    assert saturated[149]["output"] > 0.93  # 0.98 at the start, 0.933 after 150 epochs (BOOK.md 3.2)
    quadratic = [slowdown_run(v, mnist, tmp_path)["final_output"] for v in ("quadratic", "quadratic_saturated")]
    cross_entropy = [slowdown_run(v, mnist, tmp_path)["final_output"]
                     for v in ("cross_entropy_gradient", "cross_entropy_gradient_saturated")]
    assert quadratic[1] > 2 * quadratic[0]  # 0.2028 against 0.0940
    assert max(cross_entropy) < 0.02 and abs(cross_entropy[1] - cross_entropy[0]) < 0.001  # 0.0120 and 0.0116
