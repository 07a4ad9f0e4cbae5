"""The torch.nn shape: layer modules through gradcheck, networks as nn.Modules, state_dict and run folders."""

from pathlib import Path

import pytest
import torch
from torch.func import functional_call

from repro.conv import dropout_mask
from repro.costs import ACTIVATIONS, CrossEntropyCost, Sigmoid
from repro.layers import ConvPool, FullyConnected, Softmax
from repro.network import Network, default_weight_initializer
from repro.network3 import Network3, network3_initializer

F64 = dict(dtype=torch.float64)


def randn(*shape, seed, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), **F64)).requires_grad_()


def gradcheck_layer(layer, a, **kwargs):
    """gradcheck the module's output against its input and both parameters, through loss.backward()'s path."""
    layer = layer.double()
    w, b = randn(*layer.weight.shape, seed=1, scale=0.5), randn(*layer.bias.shape, seed=2)
    call = lambda a, w, b: functional_call(layer, {"weight": w, "bias": b}, (a,), kwargs)
    return torch.autograd.gradcheck(call, (a, w, b))


@pytest.mark.parametrize("activation", [*ACTIVATIONS.values(), None], ids=lambda a: a.name if a else "output")
def test_gradcheck_fully_connected(activation):
    a = randn(5, 7, seed=0)
    a.data[a.data.abs() < 1e-2] = 0.5  # keep finite differences away from ReLU's kink (z is a·w + b, so check z too)
    assert gradcheck_layer(FullyConnected(7, 4, activation), a)


@pytest.mark.parametrize("training", [True, False], ids=["training: times the mask", "evaluation: times 1 - p"])
def test_gradcheck_dropout_layers(training):
    mask = dropout_mask((4, 9), 0.5, torch.Generator().manual_seed(3), torch.empty(0, **F64))
    for layer in (FullyConnected(9, 6, Sigmoid, p_dropout=0.5), Softmax(9, 10, p_dropout=0.5)):
        layer.train(training)
        assert gradcheck_layer(layer, randn(4, 9, seed=4), mask=mask)


@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=lambda a: a.name)
@pytest.mark.parametrize("side", [10, 11], ids=["even", "odd border dropped"])
def test_gradcheck_conv_pool(activation, side):
    assert gradcheck_layer(ConvPool(2, 3, activation), randn(2, 2, side, side, seed=5))


def test_print_reads_like_the_book():
    g = torch.Generator().manual_seed(0)
    text = str(Network.create((784, 30, 10), CrossEntropyCost, Sigmoid, "default", g))
    assert "sizes=[784, 30, 10], cost=cross_entropy" in text and "FullyConnected(784→30, sigmoid)" in text
    text = str(Network3.create((20, 40), (1000,), ACTIVATIONS["relu"], 0.5, g))
    for line in ("ConvPool(1→20, 5×5, pool 2×2, relu)", "ConvPool(20→40, 5×5, pool 2×2, relu)",
                 "FullyConnected(640→1000, relu, dropout 0.5)",
                 "Softmax(1000→10, softmax in the cost, dropout 0.5)"):
        assert line in text


def test_state_dict_keys_are_stable_and_in_the_readme():
    network = Network3.create((20, 40), (100,), Sigmoid, 0.0, torch.Generator().manual_seed(0))
    keys = [f"layers.{l}.{name}" for l in range(4) for name in ("weight", "bias")]
    assert list(network.state_dict()) == keys
    assert list(network.state_dict()["layers.2.weight"].shape) == [100, 640]  # (n_l, n_{l-1}), nn.Linear's
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "`layers.<l>.weight`" in readme and "`layers.<l>.bias`" in readme


def test_state_dict_round_trip_gives_the_same_network():
    x = torch.rand(6, 784, generator=torch.Generator().manual_seed(1))
    for create in (lambda g: Network.create((784, 12, 10), CrossEntropyCost, Sigmoid, "default", g),
                   lambda g: Network3.create((3,), (8,), Sigmoid, 0.0, g)):
        trained, fresh = create(torch.Generator().manual_seed(2)), create(torch.Generator().manual_seed(3))
        with torch.no_grad():
            trained.layers[-1].weight.normal_(generator=torch.Generator().manual_seed(4))  # network3's starts at 0
        assert not torch.equal(trained(x), fresh(x))
        fresh.load_state_dict(trained.state_dict())
        assert torch.equal(trained(x), fresh(x))


def test_initialisers_draw_as_network2_and_network3():
    """The modules hold exactly the initialisers' numbers for the run's generator (so old seeds give old runs)."""
    network = Network.create((784, 30, 10), CrossEntropyCost, Sigmoid, "default", torch.Generator().manual_seed(4))
    weights, biases = default_weight_initializer((784, 30, 10), torch.Generator().manual_seed(4))
    assert all(torch.equal(p, q) for p, q in zip(network.weights + network.biases, weights + biases))
    network = Network3.create((20,), (100,), Sigmoid, 0.0, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    for layer in network.layers:
        w, b = network3_initializer(layer, g)
        assert torch.equal(layer.weight, w) and torch.equal(layer.bias, b)


def test_to_changes_dtype_and_keeps_values():
    network = Network3.create((3,), (), Sigmoid, 0.0, torch.Generator().manual_seed(6))
    as_float64 = Network3.create((3,), (), Sigmoid, 0.0, torch.Generator().manual_seed(6)).to(torch.float64)
    assert all(p.dtype == torch.float64 for p in as_float64.parameters())
    x = torch.rand(3, 784, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(as_float64(x.double()).float(), network(x))
