"""Ch.2: the gradient by finite differences agrees with BP1–BP4 (the timings are chap2_backprop_speed's, not tests')."""

from dataclasses import replace

import numpy as np
import torch

from experiments import chap1_network, chap2_backprop_speed
from repro import numpy_reference


def test_central_differences_agree_with_backprop_on_the_books_network(mnist):
    """[784, 30, 10], N(0, 1), float64: 200 first-layer weights, ε = 1e-6: max relative error ~1e-7."""
    x, y = mnist.training.images[:10], mnist.training.one_hot()[:10]
    assert chap2_backprop_speed.agreement(x, y, chap2_backprop_speed.VARIANTS["default"]) < 1e-5


def test_the_books_forward_differences_take_one_pass_per_weight_and_agree(mnist):
    """(C(w + εeⱼ) − C(w))/ε for every weight and bias of a [784, 2, 10] net, against backprop, float64."""
    network = replace(chap1_network.CONFIG, sizes=(784, 2, 10)).network(torch.Generator().manual_seed(0)).double()
    x, y = mnist.training.images[:10].double(), mnist.training.one_hot()[:10].double()
    gradient = chap2_backprop_speed.finite_differences(network, x, y, 1e-7)
    nabla_w, nabla_b, _ = network.backprop(x, y)  # summed over the mini-batch; C is the mean
    exact = [value / 10 for nabla in (nabla_w[0], nabla_b[0], nabla_w[1], nabla_b[1]) for value in nabla.flatten().tolist()]
    assert len(gradient) == len(exact) == 784 * 2 + 2 + 2 * 10 + 10
    assert max(abs(a - b) for a, b in zip(gradient, exact)) < 1e-5


def test_the_books_matrix_form_gives_the_per_example_loops_gradient(mnist):
    """Ch.2's problem, NumPy float64, [784, 30, 10] and [784, 30, 30, 10], 10 real images: X = [x₁ … xₘ]
    through BP1–BP4 once gives network.py's Σₓ ∇C_x to 1e-12, and the same SGD step: the two sides of
    benchmarks/chap2_speed_claims.py compute the same thing."""
    rng = np.random.default_rng(0)
    xs, ys = mnist.training.images[:10].double().numpy(), mnist.training.one_hot()[:10].double().numpy()
    for sizes in ((784, 30, 10), (784, 30, 30, 10)):
        weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
        loop = [numpy_reference.backprop(weights, biases, x.reshape(-1, 1), y.reshape(-1, 1),
                                         numpy_reference.quadratic_delta) for x, y in zip(xs, ys)]
        nabla_w, nabla_b = numpy_reference.backprop(weights, biases, xs.T, ys.T, numpy_reference.quadratic_delta)
        for l in range(len(weights)):
            np.testing.assert_allclose(nabla_w[l], sum(g[0][l] for g in loop), rtol=0, atol=1e-12)
            np.testing.assert_allclose(nabla_b[l], sum(g[1][l] for g in loop), rtol=0, atol=1e-12)
            assert np.abs(nabla_w[l]).max() > 1e-3  # not a vanishing gradient that any code would match
        stepped = [[p.copy() for p in weights + biases] for _ in range(2)]
        numpy_reference.update_mini_batch(stepped[0][:len(weights)], stepped[0][len(weights):], xs, ys, 3.0)
        numpy_reference.update_mini_batch_matrix(stepped[1][:len(weights)], stepped[1][len(weights):], xs, ys, 3.0)
        for loop_p, matrix_p in zip(*stepped):
            np.testing.assert_allclose(matrix_p, loop_p, rtol=0, atol=1e-12)
