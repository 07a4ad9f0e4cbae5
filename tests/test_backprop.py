"""Exact math: the hand-written BP1–BP4 against autograd, in float64 (STYLE.md, tier a)."""

import numpy as np
import pytest
import torch

from repro import numpy_reference
from repro.backprop import CostFunction
from repro.costs import ACTIVATIONS, CrossEntropyCost, QuadraticCost, Sigmoid
from repro.layers import AUTOGRAD, HAND_WRITTEN
from repro.network import Network

COSTS = [QuadraticCost, CrossEntropyCost]
F64 = dict(dtype=torch.float64)


def random_tensor(*shape, generator, scale=1.0):
    return (scale * torch.randn(*shape, generator=generator, **F64)).requires_grad_()


def one_hot_targets(m, generator):
    return torch.nn.functional.one_hot(torch.randint(0, 10, (m,), generator=generator), 10).to(torch.float64)


@pytest.mark.parametrize("cost", COSTS, ids=lambda c: c.name)
def test_gradcheck_cost(cost):
    g = torch.Generator().manual_seed(2)
    z, y = random_tensor(6, 10, generator=g, scale=3.0), one_hot_targets(6, g)
    assert torch.autograd.gradcheck(lambda z: CostFunction.apply(z, y, cost), (z,))


@pytest.mark.parametrize("cost", COSTS, ids=lambda c: c.name)
def test_cost_delta_is_autograds_dC_dz(cost):
    """BP1: cost.delta(z, a, y) is ∂C_x/∂zᴸ, also where output neurons saturate (|z| up to 40)."""
    g = torch.Generator().manual_seed(3)
    z, y = random_tensor(8, 10, generator=g, scale=15.0), one_hot_targets(8, g)
    (dC_dz,) = torch.autograd.grad(cost.fn(z, y).sum(), z)
    torch.testing.assert_close(cost.delta(z, torch.sigmoid(z), y), dC_dz, rtol=1e-12, atol=1e-14)


def test_cross_entropy_delta_stays_finite_when_saturated():
    """network2's point: a − y is finite where (∂C/∂a)·σ′(z) would divide 0 by 0."""
    z = torch.tensor([[40.0, -40.0]], **F64)
    y = torch.tensor([[0.0, 1.0]], **F64)
    delta = CrossEntropyCost.delta(z, torch.sigmoid(z), y)
    assert torch.isfinite(delta).all() and delta.tolist() == [[1.0, -1.0]]
    assert torch.isfinite(CrossEntropyCost.fn(z, y)).all()


def random_network(generator, cost, activation=Sigmoid):
    depth = int(torch.randint(0, 5, (1,), generator=generator))  # 0 to 4 hidden layers
    sizes = [int(torch.randint(2, 12, (1,), generator=generator)) for _ in range(depth + 2)]
    return Network.create(sizes, cost, activation, "default", generator).to(torch.float64)


def gradients_through(network, x, y, ops):
    """Return ∂C/∂w then ∂C/∂b of the mean cost from ``cost.backward()`` through the network's modules."""
    network.zero_grad()
    network.cost(x, y, ops=ops).backward()
    return [w.grad for w in network.weights] + [b.grad for b in network.biases]


@pytest.mark.parametrize("trial", range(8))
@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=lambda a: a.name)
@pytest.mark.parametrize("cost", COSTS, ids=lambda c: c.name)
def test_backprop_equals_autograd_on_random_networks(cost, activation, trial):
    """Whole-network parity: direct BP1–BP4, cost.backward() through the Functions, and plain autograd."""
    g = torch.Generator().manual_seed(100 + trial)
    network = random_network(g, cost, activation)
    m = 7
    x = torch.rand(m, network.weights[0].shape[1], generator=g, **F64)
    n_out = network.biases[-1].numel()
    y = torch.nn.functional.one_hot(torch.randint(0, n_out, (m,), generator=g), n_out).double()
    with torch.no_grad():
        nabla_w, nabla_b, _ = network.backprop(x, y)  # summed over the mini-batch
    by_hand = [nabla / m for nabla in nabla_w + nabla_b]  # the gradient of the mean cost
    by_functions = [grad.clone() for grad in gradients_through(network, x, y, HAND_WRITTEN)]
    by_autograd = gradients_through(network, x, y, AUTOGRAD)
    for hand, functions, reference in zip(by_hand, by_functions, by_autograd):
        assert (hand - reference).abs().max() <= 1e-10
        assert (functions - reference).abs().max() <= 1e-10


def test_backprop_equals_the_books_per_example_algorithm():
    """The batched matrices give the same gradient as network.py's loop over examples."""
    g = torch.Generator().manual_seed(7)
    network = Network.create((784, 30, 10), QuadraticCost, Sigmoid, "large", g).to(torch.float64)
    x = torch.rand(10, 784, generator=g, **F64)
    y = one_hot_targets(10, g)
    with torch.no_grad():
        nabla_w, nabla_b, _ = network.backprop(x, y)
    weights = [w.detach().numpy() for w in network.weights]
    biases = [b.detach().numpy().reshape(-1, 1) for b in network.biases]
    for l in range(2):
        per_example = [numpy_reference.backprop(weights, biases, xi.reshape(-1, 1), yi.reshape(-1, 1),
                                                numpy_reference.quadratic_delta)
                       for xi, yi in zip(x.numpy(), y.numpy())]
        np.testing.assert_allclose(nabla_w[l].numpy(), sum(p[0][l] for p in per_example), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(nabla_b[l].numpy(), sum(p[1][l] for p in per_example).ravel(),
                                   rtol=1e-12, atol=1e-14)
