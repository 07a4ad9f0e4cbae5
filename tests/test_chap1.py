"""Fast checks of Ch.1's claims that need no training: the NAND perceptron and the adder built from it."""

from experiments import chap1_perceptrons
from tests.test_experiments import run_once


def adder(variant, mnist, tmp_path):
    return run_once("chap1_perceptrons", variant, chap1_perceptrons.VARIANTS[variant], mnist, tmp_path)


def test_the_books_perceptron_is_nand_and_nand_perceptrons_add(mnist, tmp_path):
    results = adder("perceptron", mnist, tmp_path)
    assert results["nand_truth_table"] == [1.0, 1.0, 1.0, 0.0]  # 00 → 1, 01 → 1, 10 → 1, 11 → 0
    assert results["measured"]["correct/test"] == 256 and results["worst_output_error"] == 0.0


def test_sigmoid_neurons_are_no_gates_until_their_weights_grow(mnist, tmp_path):
    """σ(3), σ(1), σ(−1) are 0.95, 0.73, 0.27: the errors compound through the circuit; ×10, σ(cz) is a step."""
    plain, scaled = adder("sigmoid", mnist, tmp_path), adder("sigmoid_x10", mnist, tmp_path)
    assert [round(value, 2) for value in plain["nand_truth_table"]] == [0.95, 0.73, 0.73, 0.27]
    assert plain["measured"]["correct/test"] < 256 and plain["worst_output_error"] > 0.5
    assert scaled["measured"]["correct/test"] == 256 and scaled["worst_output_error"] < 0.01
