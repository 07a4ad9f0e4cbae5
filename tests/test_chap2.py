"""Ch.2: the gradient by finite differences agrees with BP1–BP4 (the timings are chap2_backprop_speed's, not tests')."""

from dataclasses import replace

import torch

from experiments import chap1_network, chap2_backprop_speed


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
