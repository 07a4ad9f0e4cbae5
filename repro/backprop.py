"""Backpropagation by hand: the book's equations BP1–BP4 (Ch.2, "The four fundamental equations").

Shape convention, stated once: rows are examples. A mini-batch of activations is
(m, n_l), so the book's column-vector ``w a + b`` is ``a @ w.T + b`` here, and a
weight matrix ``w`` has the book's shape (n_l, n_{l-1}): ``w[j, k]`` connects neuron
k of layer l-1 to neuron j of layer l (as ``nn.Linear.weight``). The equations are
written on the last two axes (``w.mT``, sums over axis −2), so the same lines serve
networks trained side by side with a leading seed axis: (seeds, m, n_l) activations,
(seeds, n_l, n_{l-1}) weights.

The equations live in three plain functions and in each cost's ``delta`` (repro/costs.py):

    cost.delta(z, a, y)   (BP1)  δᴸ = ∇ₐC ⊙ σ′(zᴸ)
    layer_gradients(...)  (BP3)  ∂C/∂bˡ = δˡ;  (BP4)  ∂C/∂wˡ = δˡ (aˡ⁻¹)ᵀ;
                          and (wˡ)ᵀδˡ, the first half of BP2
    hidden_delta(...)     (BP2)  δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ′(zˡ)

The ``torch.autograd.Function`` classes at the end call them in ``backward``: the layer
modules (repro/layers.py) apply them, so ``loss.backward()`` runs these equations, and
autograd referees them (``gradcheck``, parity with plain torch ops). ``Network.backprop``
calls the same functions directly, so the ``manual`` training step pays for no engine.
"""

import torch
from torch.autograd.function import once_differentiable


# --- the equations -----------------------------------------------------------------------

def fully_connected(x, w, b, activation):
    """Return (aˡ, zˡ) of a layer of neurons from its input x = aˡ⁻¹; activation None leaves aˡ = zˡ.

    The output layer passes None: its σ (or softmax) belongs to the cost, whose BP1 is
    written in zᴸ.
    """
    z = x @ w.mT + b.unsqueeze(-2)  # zˡ = wˡaˡ⁻¹ + bˡ (Ch.2, Eq. 25)   (m, n_l)
    return (z if activation is None else activation.fn(z)), z  # aˡ = σ(zˡ)


def layer_gradients(delta, a_prev, w, need_input=True):
    """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ) of a layer from its error δˡ, summed over the mini-batch.

    The first layer's ∂C/∂a⁰ would be the gradient with respect to the image: not needed.
    """
    nabla_b = delta.sum(-2)  # (BP3) ∂C/∂bˡⱼ = δˡⱼ                       (n_l,)
    nabla_w = delta.mT @ a_prev  # (BP4) ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ          (n_l, n_{l-1})
    grad_a_prev = delta @ w if need_input else None  # (wˡ)ᵀδˡ, which BP2 multiplies by σ′(zˡ⁻¹) (m, n_{l-1})
    return grad_a_prev, nabla_w, nabla_b


def hidden_delta(grad_a, z, a, activation):
    """Return δˡ from ∂C/∂aˡ = (wˡ⁺¹)ᵀδˡ⁺¹, reshaped to zˡ's shape (a conv layer's maps arrive flat).

    σ′(zˡ) takes aˡ = σ(zˡ) from the forward pass too, where network2 computes σ(zˡ) again.
    """
    return grad_a.reshape(z.shape) * activation.prime(z, a)  # (BP2) δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ′(zˡ)


# --- the same equations as autograd Functions: what loss.backward() runs -------------------

class WeightedInputFunction(torch.autograd.Function):
    """zᴸ = wᴸaᴸ⁻¹ + bᴸ of an output layer (σ or softmax is the cost's); backward is BP3, BP4, (wᴸ)ᵀδᴸ."""

    @staticmethod
    def forward(a_prev, w, b):
        return fully_connected(a_prev, w, b, None)[0]

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs[:2])

    @staticmethod
    @once_differentiable
    def backward(ctx, delta):  # the incoming gradient ∂C/∂zᴸ is δᴸ by definition (Eq. 29), from BP1
        a_prev, w = ctx.saved_tensors
        return layer_gradients(delta, a_prev, w, need_input=ctx.needs_input_grad[0])


class FullyConnectedFunction(torch.autograd.Function):
    """aˡ = σ(wˡaˡ⁻¹ + bˡ) in one node; backward is BP2's ⊙ σ′(zˡ), then BP3, BP4 and (wˡ)ᵀδˡ.

    One node per layer rather than one for zˡ and one for σ: at m = 10 each node of the
    graph costs the engine more time than its arithmetic (benchmarks/epoch_speed.py).
    Returns (aˡ, zˡ); both are saved for σ′, and zˡ is not differentiable.
    """

    @staticmethod
    def forward(a_prev, w, b, activation):
        return fully_connected(a_prev, w, b, activation)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a_prev, w, _, ctx.activation = inputs
        ctx.save_for_backward(a_prev, w, *output)
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_a, _grad_z):
        a_prev, w, a, z = ctx.saved_tensors
        delta = hidden_delta(grad_a, z, a, ctx.activation)  # (BP2) δˡ = ∂C/∂aˡ ⊙ σ′(zˡ)
        return *layer_gradients(delta, a_prev, w, need_input=ctx.needs_input_grad[0]), None  # (BP3), (BP4)


class CostFunction(torch.autograd.Function):
    """The cost of a mini-batch from the output weighted input zᴸ, its mean (1/m) Σₓ Cₓ or its sum; backward is BP1.

    Networks side by side (zᴸ of shape (seeds, m, 10)) give the sum of their costs, so that
    each network's gradient is its own. The mean is the cost a PyTorch user minimises; the
    sum hands BP1's δᴸ to the layers unscaled, as ``Network.backprop`` does (repro/sgd.py).
    """

    @staticmethod
    def forward(z, y, cost, mean=True):
        costs = cost.fn(z, y)
        return (costs.mean(-1) if mean else costs.sum(-1)).sum()

    @staticmethod
    def setup_context(ctx, inputs, output):
        z, y, ctx.cost, *mean = inputs
        ctx.mean = mean[0] if mean else True
        ctx.save_for_backward(z, y)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_cost):
        z, y = ctx.saved_tensors
        delta = ctx.cost.delta(z, ctx.cost.output(z), y)  # (BP1), one row per example
        if ctx.mean:
            return grad_cost * delta / z.shape[-2], None, None, None  # 1/m: the mean over the mini-batch
        return grad_cost * delta, None, None, None
