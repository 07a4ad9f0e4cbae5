"""Backpropagation by hand through network3's new pieces (Ch.6, "Convolutional neural networks").

Shapes, stated once: rows are examples and maps come next, so a mini-batch of
feature maps is (m, maps, height, width); a kernel w is (n_maps, maps_in, 5, 5),
``w[j, k]`` joining input map k to output map j. Networks trained side by side put
a seed axis in front of both (repro/seeds.py); the convolutions then run seed by seed.
The book leaves the conv-pool backward as a problem (Ch.6, "Backpropagation in a
convolutional network"); its answer, in the book's δ = ∂C/∂z language, is

    conv_gradients(...)    (BP2, conv)  δ for the input = full convolution of δ with the flipped kernel
                           (BP4, conv)  ∂C/∂w = correlation of the input with δ
    max_pool_delta(...)    (BP2, pool)  δ goes to every position equal to its window's maximum (Theano's)
    map_bias_gradient(...) (BP3, conv)  ∂C/∂bⱼ = Σ over positions of δⱼ (network3 adds b after pooling)
    dropout_gradient(...)  the mask again: a dropped input gets no gradient

As in repro/backprop.py, the equations are plain functions; the autograd Functions
below call them in ``backward`` (what ``loss.backward()`` runs through the layer
modules, and what gradcheck referees), and Network.backprop calls them directly.
"""

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from repro.backprop import hidden_delta


# --- the equations -----------------------------------------------------------------------

GROUPED_ON = ("cuda",)  # devices whose seeds side by side share one grouped convolution (tests add "cpu")


def per_seed(convolution, a, w):
    """Return convolution(a, w), seed by seed when w has a leading seed axis (5 dimensions).

    On the CPU a loop rather than one grouped convolution: each seed then gets exactly
    the arithmetic of a network trained alone, and a convolution is work enough to
    hide the loop. On a GPU at m = 10 a convolution is a few microseconds of work and
    the loop's launches would be the cost, so ``torch.vmap`` turns the seeds into one
    grouped convolution (groups = seeds): the same sums, in an order cuDNN picks, so
    a seed's last bits there depend on the seeds beside it.
    """
    if w.dim() == 4:
        return convolution(a, w)
    if a.device.type in GROUPED_ON:
        return torch.vmap(convolution)(a, w)
    return torch.stack([convolution(a_seed, w_seed) for a_seed, w_seed in zip(a, w)])


def convolve(a_prev, w):
    """Return the valid 2-D convolution, stride 1, no bias: (m, maps_in, H, W) → (m, n_maps, H−4, W−4).

    This is the book's Eq. 125 without b and σ, Σₚ Σ_q w[p, q] a[u+p, v+q]: a correlation,
    as torch's conv2d. network3 adds the bias after pooling.
    DEVIATION(book): Theano's conv2d flips the kernel (a true convolution). With weights
    drawn from a symmetric distribution and learnt, that only mirrors each kernel.
    """
    return per_seed(F.conv2d, a_prev, w)


def conv_gradients(delta, a_prev, w, need_input=True):
    """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ) of a convolution from δ = ∂C/∂(its output), summed over the mini-batch.

    ``conv_transpose2d(δ, w)`` *is* the full convolution of δ with the flipped kernel,
    i.e. ``conv2d(pad(δ, 4), w.flip(2, 3).transpose(0, 1))`` (tests/test_conv.py holds
    the two equal); ∂C/∂w correlates the input with δ by running ``conv2d`` with the
    mini-batch as the channel axis. No im2col matrix is built, so it is as fast as
    torch's own convolution backward.
    """
    grad_a_prev = per_seed(F.conv_transpose2d, delta, w) if need_input else None  # (BP2, conv) (m, maps_in, H, W)
    nabla_w = per_seed(lambda a, d: F.conv2d(a.transpose(0, 1), d.transpose(0, 1)).transpose(0, 1),
                       a_prev, delta)  # (BP4, conv) Σₓ a ⋆ δ
    return grad_a_prev, nabla_w  # nabla_w: (n_maps, maps_in, 5, 5)


def map_bias_gradient(delta):
    """Return ∂C/∂b of the per-map biases from δ (m, maps, h, w): summed over the mini-batch and the map."""
    return delta.sum((-4, -2, -1))  # (BP3, conv) ∂C/∂bⱼ = Σₓ Σ_positions δⱼ: one bias shared by the whole map


def max_pool(c):
    """Return the 2×2 maxima of c (…, H, W); odd borders are dropped (Theano's ignore_border=True)."""
    pooled = F.max_pool2d(c.flatten(0, -4), 2)  # (m, maps, H//2, W//2)
    return pooled.view(*c.shape[:-2], *pooled.shape[-2:])


def unpooled(x):
    """Return each pooled unit's value in every cell of its 2×2 window: (…, h, w) → (…, 2h, 2w)."""
    return x.repeat_interleave(2, -1).repeat_interleave(2, -2)


def max_pool_delta(delta, c):
    """Return ∂C/∂c, c the pool's input: δ of each pooled unit sent back to every position of its window that
    equals the window's maximum.

    network3's semantics: Theano's max-pool gradient (DownsampleFactorMaxGrad) gives the upstream
    gradient to each position equal to the maximum, so a window that ties passes it on more than
    once; torch's max_pool2d gives it to one. Ties are common on MNIST: on 2,000 training images
    a fresh ``relu`` (conv2) net's first layer (seed 0) ties in 39.7% of its windows, 8,362 of
    them at a non-zero maximum (identical inputs that are not blank), and its second layer in
    120 of 1,280,000 windows, all non-zero. tests/test_conv.py holds the rule on inputs with ties,
    zero and non-zero.
    """
    h, w = delta.shape[-2] * 2, delta.shape[-1] * 2
    ties = c[..., :h, :w] == unpooled(max_pool(c))  # every position equal to its window's max
    grad = ties * unpooled(delta)  # (BP2, pool) windows do not overlap
    return grad if grad.shape == c.shape else F.pad(grad, (0, c.shape[-1] - w, 0, c.shape[-2] - h))


def referee_max_pool(c):
    """Return the 2×2 maxima in plain ops whose autograd gradient is network3's rule (the referee's pool).

    Its value is the maximum (a zero is added); autograd sends ∂C/∂(maximum) to every tied position,
    where torch's own max_pool2d and amax would send it to one or split it.
    """
    pooled = max_pool(c.detach())
    if not (torch.is_grad_enabled() and c.requires_grad):  # nothing to differentiate (evaluation): the max alone
        return pooled
    h, w = pooled.shape[-2] * 2, pooled.shape[-1] * 2
    ties = c.detach()[..., :h, :w] == unpooled(pooled)
    spread = ((c[..., :h, :w] - c.detach()[..., :h, :w]) * ties)  # 0, with ∂/∂c = ties
    return pooled + F.avg_pool2d(spread.flatten(0, -4), 2).view(pooled.shape) * 4


def conv_pool(a_prev, w, b, activation):
    """Return (aˡ, zˡ, c) of a ConvPoolLayer, c = the convolution before pooling: network3 pools, then adds the bias."""
    c = convolve(a_prev, w)  # (m, n_maps, H − 4, W − 4)
    z = max_pool(c) + b.unsqueeze(-2)[..., None, None]  # zˡ: one bias per map, (1, n_maps, 1, 1)
    return activation.fn(z), z, c


def referee_conv_pool(a_prev, w, b, activation):
    """Return aˡ of a ConvPoolLayer in plain ops, for autograd to differentiate: the referee of the layer's backward."""
    z = referee_max_pool(convolve(a_prev, w)) + b.unsqueeze(-2)[..., None, None]
    return activation.fn(z)


def conv_pool_gradients(delta, a_prev, w, c, need_input=True):
    """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ) of a ConvPoolLayer from δˡ = ∂C/∂zˡ, summed over the batch."""
    nabla_b = map_bias_gradient(delta)  # (BP3, conv)
    delta_conv = max_pool_delta(delta, c)  # (BP2, pool)
    grad_a_prev, nabla_w = conv_gradients(delta_conv, a_prev, w, need_input)  # (BP2, conv), (BP4, conv)
    return grad_a_prev, nabla_w, nabla_b


def dropout_gradient(grad, mask):
    """Return ∂C/∂(a layer's input) from ∂C/∂(its input after dropout)."""
    return grad * mask  # dropped inputs took no part in C, so ∂C/∂a = 0 there


def dropout_mask(shape, p, generator, like):
    """Return network3's dropout mask, 1 with probability 1 − p and 0 otherwise, on like's device.

    Ch.3 "Dropout", network3's ``dropout_layer``: training multiplies the layer's *input*
    by this mask and does not rescale it (non-inverted dropout); evaluation multiplies
    the input by 1 − p instead. ``torch.nn.Dropout`` rescales by 1/(1 − p) in training.
    """
    device = generator.device if generator is not None else like.device  # drawn where the generator lives
    uniform = torch.rand(shape, generator=generator, device=device, dtype=like.dtype)
    return (uniform >= p).to(like)  # P(u ≥ p) = 1 − p


# --- the same equations as autograd Functions: what loss.backward() runs -------------------

class ConvPoolFunction(torch.autograd.Function):
    """network3's ConvPoolLayer in one node: conv → pool → + b → σ; backward is the layer's equations.

    Returns (aˡ, zˡ, the convolution before pooling); only aˡ is differentiable.
    """

    @staticmethod
    def forward(a_prev, w, b, activation):
        return conv_pool(a_prev, w, b, activation)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a_prev, w, _, ctx.activation = inputs
        a, z, c = output
        ctx.save_for_backward(a_prev, w, a, z, c)
        ctx.mark_non_differentiable(z, c)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_a, _grad_z, _grad_c):
        a_prev, w, a, z, c = ctx.saved_tensors
        delta = hidden_delta(grad_a, z, a, ctx.activation)  # (BP2) δˡ = ∂C/∂aˡ ⊙ σ′(zˡ)
        return *conv_pool_gradients(delta, a_prev, w, c, need_input=ctx.needs_input_grad[0]), None


class DropoutFunction(torch.autograd.Function):
    """A layer's input times network3's mask; backward multiplies δ by the same mask."""

    @staticmethod
    def forward(a, mask):
        return a * mask

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[1])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return dropout_gradient(grad, mask), None
