"""Backpropagation by hand through network3's new pieces (Ch.6, "Convolutional neural networks").

Shapes, stated once: rows are examples and maps come next, so a mini-batch of
feature maps is (m, maps, height, width); a kernel w is (n_maps, maps_in, 5, 5),
``w[j, k]`` joining input map k to output map j. Networks trained side by side put
a seed axis in front of both (repro/seeds.py); the convolutions then run seed by seed.
The book leaves the conv-pool backward as a problem (Ch.6, "Backpropagation in a
convolutional network"); its answer, in the book's δ = ∂C/∂z language, is

    conv_gradients(...)    (BP2, conv)  δ for the input = full convolution of δ with the flipped kernel
                           (BP4, conv)  ∂C/∂w = correlation of the input with δ
    max_pool_delta(...)    (BP2, pool)  δ goes only to the position that was the maximum
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
    """Return (the 2×2 maxima, where each came from); odd borders are dropped (Theano's ignore_border=True)."""
    pooled, where = F.max_pool2d(c.flatten(0, -4), 2, return_indices=True)  # (m, maps, H//2, W//2) twice
    return pooled.view(*c.shape[:-2], *pooled.shape[-2:]), where.view(*c.shape[:-2], *where.shape[-2:])


def max_pool_delta(delta, where, shape):
    """Return ∂C/∂(pool input): δ of each pooled unit sent back to the one position that was its max.

    DEVIATION(book): Theano's max-pool gradient gives δ to *every* position equal to the
    max; we give it to one, the first max in row-major order, as torch does. They differ
    only where a 2×2 window ties. On MNIST 40% of the first layer's windows tie, all of
    them over blank input, whose zero pixels make ∂C/∂w vanish either way; no second-layer
    window tied (both measured on 2,000 training images with a fresh conv2 net).
    """
    grad = delta.new_zeros(shape).flatten(-2)  # (m, maps, H·W)
    grad.scatter_(-1, where.flatten(-2), delta.flatten(-2))  # (BP2, pool) windows do not overlap: no collisions
    return grad.view(shape)


def conv_pool(a_prev, w, b, activation):
    """Return (aˡ, zˡ, where each max came from) of a ConvPoolLayer: network3 pools, then adds the bias."""
    pooled, where = max_pool(convolve(a_prev, w))  # (m, n_maps, (H − 4)//2, (W − 4)//2)
    z = pooled + b.unsqueeze(-2)[..., None, None]  # zˡ: one bias per map, (1, n_maps, 1, 1)
    return activation.fn(z), z, where


def conv_pool_gradients(delta, a_prev, w, where, need_input=True):
    """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ) of a ConvPoolLayer from δˡ = ∂C/∂zˡ, summed over the batch."""
    conv_shape = (*a_prev.shape[:-3], w.shape[-4], a_prev.shape[-2] - 4, a_prev.shape[-1] - 4)  # before pooling
    nabla_b = map_bias_gradient(delta)  # (BP3, conv)
    delta_conv = max_pool_delta(delta, where, conv_shape)  # (BP2, pool)
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

    Returns (aˡ, zˡ, where the maxima were); only aˡ is differentiable.
    """

    @staticmethod
    def forward(a_prev, w, b, activation):
        return conv_pool(a_prev, w, b, activation)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a_prev, w, _, ctx.activation = inputs
        a, z, where = output
        ctx.save_for_backward(a_prev, w, a, z, where)
        ctx.mark_non_differentiable(z, where)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_a, _grad_z, _grad_where):
        a_prev, w, a, z, where = ctx.saved_tensors
        delta = hidden_delta(grad_a, z, a, ctx.activation)  # (BP2) δˡ = ∂C/∂aˡ ⊙ σ′(zˡ)
        return *conv_pool_gradients(delta, a_prev, w, where, need_input=ctx.needs_input_grad[0]), None


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
