"""Chapter 6 exact math: conv, pool, softmax and dropout by hand against autograd, in float64 (tier a)."""

import pytest
import torch
import torch.nn.functional as F

from repro.backprop import CostFunction
from repro.conv import conv_gradients, max_pool, max_pool_delta, referee_max_pool
from repro.costs import ACTIVATIONS, LogLikelihoodCost, ReLU, Sigmoid
from repro.data import Split, expanded, one_hot
from repro.ensemble import plurality
from repro.layers import AUTOGRAD, HAND_WRITTEN
from repro.network3 import Network3
from repro.sgd import step
from repro.train3 import Network3Config
from repro.update import Rule, sgd

F64 = dict(dtype=torch.float64)


def randn(*shape, seed, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), **F64)).requires_grad_()


def test_gradcheck_softmax_log_likelihood():
    y = one_hot(torch.tensor([3, 0, 9, 3, 1]), dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: CostFunction.apply(z, y, LogLikelihoodCost),
                                    (randn(5, 10, seed=7, scale=3),))


def test_input_delta_is_the_full_convolution_with_the_flipped_kernel():
    """The map from the book's wording to torch's primitive: conv_transpose2d(δ, w) = pad(δ) ⋆ flip(w)."""
    delta, a_prev, w = randn(2, 4, 6, 6, seed=8), randn(2, 3, 10, 10, seed=9), randn(4, 3, 5, 5, seed=10)
    grad_a_prev, _ = conv_gradients(delta, a_prev, w)
    full = F.conv2d(F.pad(delta, (4, 4, 4, 4)), w.flip(2, 3).transpose(0, 1))
    torch.testing.assert_close(grad_a_prev, full, rtol=1e-12, atol=1e-12)


def test_max_pool_delta_goes_to_every_tied_maximum_as_theanos():
    """network3's rule (Theano's DownsampleFactorMaxGrad): each position equal to its window's max gets δ.

    The inputs tie at zero (blank pixels) and at non-zero values, in 2, 3 and 4 cells of a window.
    """
    c = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(11), **F64).round(decimals=0).clamp(min=0)
    c[0, 0, :2, :2], c[0, 1, 2:4, 2:4] = 0.0, 1.5  # a blank window, a window of four equal non-zero values
    pooled = max_pool(c)
    is_max = c.unfold(2, 2, 2).unfold(3, 2, 2).flatten(-2) == pooled[..., None]  # (3, 2, 4, 4, 4): each window
    assert (is_max.sum(-1) > 1).any() and ((is_max.sum(-1) > 1) & (pooled > 0)).any()  # ties, zero and not
    delta = torch.rand(pooled.shape, generator=torch.Generator().manual_seed(12), **F64) + 1
    windows = max_pool_delta(delta, c).unfold(2, 2, 2).unfold(3, 2, 2).flatten(-2)
    torch.testing.assert_close(windows, is_max * delta[..., None], rtol=0, atol=0)


def test_the_referees_pool_is_the_max_and_its_autograd_gradient_the_same_rule():
    c = torch.randn(2, 3, 7, 6, generator=torch.Generator().manual_seed(14), **F64).round(decimals=0)  # odd height
    c.requires_grad_()
    referee = referee_max_pool(c)
    assert torch.equal(referee.detach(), max_pool(c.detach())) and referee.shape == (2, 3, 3, 3)
    delta = torch.rand(referee.shape, generator=torch.Generator().manual_seed(15), **F64)
    (grad,) = torch.autograd.grad(referee, c, delta)
    torch.testing.assert_close(grad, max_pool_delta(delta, c.detach()), rtol=0, atol=0)
    assert (grad[:, :, -1] == 0).all()  # the dropped border row gets nothing


def test_softmax_delta_is_autograds_dC_dz_even_when_saturated():
    """BP1 for softmax + log-likelihood: δᴸ = a − y (Ch.3, Eq. 84), |z| up to ~60."""
    z, labels = randn(8, 10, seed=13, scale=20.0), torch.arange(8) % 10
    y = one_hot(labels, dtype=torch.float64)
    (dC_dz,) = torch.autograd.grad(LogLikelihoodCost.fn(z, y).sum(), z)
    delta = LogLikelihoodCost.delta(z, LogLikelihoodCost.output(z), y)
    torch.testing.assert_close(delta, dC_dz, rtol=1e-12, atol=1e-14)


STACKS = {  # small versions of the chapter's networks, float64
    "shallow": dict(conv_maps=(), fc_sizes=(7,), activation="sigmoid", p_dropout=0.0),
    "conv1": dict(conv_maps=(3,), fc_sizes=(6,), activation="sigmoid", p_dropout=0.0),
    "omit_fc": dict(conv_maps=(3,), fc_sizes=(), activation="sigmoid", p_dropout=0.0),
    "conv2": dict(conv_maps=(3, 4), fc_sizes=(6,), activation="sigmoid", p_dropout=0.0),
    "tanh": dict(conv_maps=(3, 4), fc_sizes=(6,), activation="tanh", p_dropout=0.0),
    "dropout": dict(conv_maps=(3, 4), fc_sizes=(9, 9), activation="relu", p_dropout=0.5),
}


def random_stack(name, seed):
    """Return a stack with every parameter random (the softmax layer's zero start would hide the gradient)."""
    spec = STACKS[name]
    g = torch.Generator().manual_seed(seed)
    network = Network3.create(spec["conv_maps"], spec["fc_sizes"], ACTIVATIONS[spec["activation"]],
                              spec["p_dropout"], g).to(torch.float64)
    network.set_parameters([torch.randn(w.shape, generator=g, **F64) / 3 for w in network.weights],
                           [torch.randn(b.shape, generator=g, **F64) for b in network.biases])
    return network


def images_with_blank_border(m, seed):
    """Return (m, 784) images in [0, 1) with a 6-pixel blank border, like MNIST: the max-pools see ties."""
    images = torch.rand(m, 28, 28, generator=torch.Generator().manual_seed(seed), **F64)
    images[:, :6], images[:, -6:], images[:, :, :6], images[:, :, -6:] = 0, 0, 0, 0
    return images.view(m, 784)


def autograd_gradient(network, x, y, masks, ops):
    """Return ∂C/∂w then ∂C/∂b of the mean cost, from ``cost.backward()`` through the modules."""
    return torch.autograd.grad(network.cost(x, y, masks, ops), network.weights + network.biases)


@pytest.mark.parametrize("name", STACKS)
def test_hand_written_gradient_equals_autograd(name):
    """Whole network: direct backprop, cost.backward() through the Functions and plain torch ops, one mask."""
    network, m = random_stack(name, seed=20), 5
    x, y = images_with_blank_border(m, seed=21), one_hot(torch.tensor([1, 7, 3, 3, 0]), dtype=torch.float64)
    masks = network.dropout_masks(m, [torch.Generator().manual_seed(22)])
    with torch.no_grad():
        nabla_w, nabla_b, _ = network.backprop(x, y, masks)
    by_hand = [nabla / m for nabla in nabla_w + nabla_b]  # of the mean cost
    by_functions = autograd_gradient(network, x, y, masks, HAND_WRITTEN)
    by_autograd = autograd_gradient(network, x, y, masks, AUTOGRAD)
    for hand, functions, reference in zip(by_hand, by_functions, by_autograd):
        assert (hand - reference).abs().max() <= 1e-10
        assert (functions - reference).abs().max() <= 1e-10


def test_network3_initialisation():
    """Conv N(0, 1/√(maps·25/4)), FC N(0, 1/√n_out) (not n_in), biases N(0, 1), softmax zero."""
    network = Network3.create((20, 40), (1000,), Sigmoid, 0.0, torch.Generator().manual_seed(0))
    conv1, conv2, fc, softmax = network.layers
    assert conv1.weight.std().item() == pytest.approx(1 / (20 * 25 / 4) ** 0.5, rel=0.1)  # 0.0894
    assert conv2.weight.std().item() == pytest.approx(1 / (40 * 25 / 4) ** 0.5, rel=0.05)  # 0.0632
    assert fc.weight.shape == (1000, 640) and fc.weight.std().item() == pytest.approx(1000 ** -0.5, rel=0.02)
    assert fc.bias.std().item() == pytest.approx(1.0, rel=0.1)
    assert not softmax.weight.any() and not softmax.bias.any()


def test_evaluation_scales_dropped_inputs_by_one_minus_p():
    """network3 evaluates (1 − p)·(inpt·w) + b; training multiplies by a 0/1 mask, no 1/(1 − p)."""
    network = random_stack("dropout", seed=30).eval()
    x = images_with_blank_border(4, seed=31)
    fc2 = network.layers[3]
    a = torch.rand(4, 9, generator=torch.Generator().manual_seed(32), **F64)
    torch.testing.assert_close(fc2(a), ReLU.fn(0.5 * (a @ fc2.weight.T) + fc2.bias))
    mask = network.dropout_masks(100_000, [torch.Generator().manual_seed(33)])[3]
    assert set(mask.unique().tolist()) == {0.0, 1.0} and mask.mean().item() == pytest.approx(0.5, abs=0.01)
    assert network.predict(x).shape == (4,)


def test_a_prediction_is_network3s_evaluation_even_from_a_network_in_training_mode():
    """A dropout net fresh from training (or from its checkpoint) is in training mode: predict must not draw masks.

    It did: chap6_conv's ensemble voted with randomly dropped inputs, a different count each run.
    """
    network = random_stack("dropout", seed=30)
    x = images_with_blank_border(64, seed=31)
    expected = network.eval().predict(x)
    network.train()
    assert torch.equal(network.predict(x), expected) and torch.equal(network.predict(x), expected)
    assert network.training


def test_l2_update_is_torch_sgd_with_weight_decay_lambda_m_over_n_on_weights_only():
    """network3's 0.5·λ·Σ‖w‖²/num_training_batches = SGD(lr=η, weight_decay=λ·m/n) on weights, not biases."""
    eta, lmbda, n, m = 0.03, 0.1, 1000, 5
    ours, theirs = random_stack("conv2", seed=40), random_stack("conv2", seed=40)
    x, y = images_with_blank_border(m, seed=41), one_hot(torch.tensor([2, 2, 5, 8, 9]), dtype=torch.float64)
    step(ours, (x, y, None), Rule(eta, eta * lmbda * m / n))  # network3's rule, by hand
    optimizer = sgd(theirs, eta, lmbda * m / n)
    theirs.cost(x, y).backward()  # the mean cost: η on the mean gradient
    optimizer.step()
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(mine, reference, rtol=1e-12, atol=1e-14)


@pytest.fixture(scope="module")
def expansion(mnist):
    return expanded(mnist.training, torch.Generator().manual_seed(0))


def test_expanded_set_has_250000_images_five_of_each(mnist, expansion):
    assert expansion.images.shape == (250_000, 784) and expansion.labels.shape == (250_000,)
    assert torch.equal(expansion.labels.bincount(), 5 * mnist.training.labels.bincount())
    assert not torch.equal(expansion.labels[:50_000], mnist.training.labels)  # shuffled


def moved_by_slicing(images, rows, cols):
    """Return (n, 28, 28) images moved by (rows, cols) ∈ {−1, 0, 1}², written independently of np.roll."""
    out = torch.zeros_like(images)
    src = lambda d: slice(max(-d, 0), 28 - max(d, 0))
    dst = lambda d: slice(max(d, 0), 28 - max(-d, 0))
    out[:, dst(rows), dst(cols)] = images[:, src(rows), src(cols)]
    return out


def test_expanded_set_is_the_originals_and_their_one_pixel_shifts():
    """As a multiset: each image, and it moved up, down, left and right with a zero-filled edge."""
    g = torch.Generator().manual_seed(50)
    split = Split(torch.rand(40, 784, generator=g), torch.randint(0, 10, (40,), generator=g))
    ours = expanded(split, torch.Generator().manual_seed(51))
    images = split.images.view(-1, 28, 28)
    shifts = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
    book = torch.cat([moved_by_slicing(images, r, c).view(-1, 784) for r, c in shifts])
    key = lambda images, labels: sorted(zip(map(tuple, images.tolist()), labels.tolist()))
    assert key(ours.images, ours.labels) == key(book, split.labels.repeat(5))
    assert (book[40:80].view(-1, 28, 28)[:, 0] == 0).all()  # moved down: the top row is blank
    again = expanded(split, torch.Generator().manual_seed(51))
    assert torch.equal(again.images, ours.images)  # the run's seed fixes the shuffle


def test_plurality_vote_breaks_ties_like_counter_most_common():
    votes = torch.tensor([[1, 4, 2, 7], [3, 4, 5, 9], [3, 0, 5, 9], [1, 0, 6, 8], [2, 4, 6, 8]])  # (nets, images)
    # image 0: 1 and 3 tie with 2 votes, net 0 named 1 first; image 1: 4 wins 3 to 2;
    # image 2: 5 and 6 tie, net 0 named neither, net 1 named 5; image 3: 9 and 8 tie, 9 came first
    assert plurality(votes).tolist() == [1, 4, 5, 9]
    votes = torch.tensor([[5], [6], [7]])
    assert plurality(votes).tolist() == [5]  # three-way tie: the first net's vote


def test_network3_reports_test_at_the_latest_best_validation_epoch():
    history = [{"accuracy/validation": 97.0, "accuracy/test": 96.5},
               {"accuracy/validation": 98.0, "accuracy/test": 98.4},
               {"accuracy/validation": 97.5},
               {"accuracy/validation": 98.0, "accuracy/test": 97.9}]
    assert Network3Config().headline.summary(history) == {"peak": {"epoch": 3, "accuracy": 97.9},
                                                          "final": {"epoch": 3, "accuracy": 97.9}}


def test_seeds_side_by_side_on_a_gpu_share_one_grouped_convolution_with_the_same_sums(monkeypatch):
    """repro/conv.py's per_seed: torch.vmap's grouped convolution (CUDA) equals the loop seed by seed (CPU)."""
    from repro import conv
    a, w, delta = randn(3, 4, 20, 12, 12, seed=20), randn(3, 40, 20, 5, 5, seed=21), randn(3, 4, 40, 8, 8, seed=22)
    by_seed = [conv.convolve(a, w), *conv.conv_gradients(delta, a, w)]
    monkeypatch.setattr(conv, "GROUPED_ON", ("cpu",))
    for grouped, looped in zip([conv.convolve(a, w), *conv.conv_gradients(delta, a, w)], by_seed):
        torch.testing.assert_close(grouped, looped, rtol=1e-12, atol=1e-12)
