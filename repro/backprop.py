"""Backpropagation by hand: the book's equations BP1–BP4 (Ch.2, "The four fundamental equations").

Shape convention, stated once: rows are examples. A mini-batch of activations is
(m, n_l), so the book's column-vector ``w a + b`` is ``a @ w.T + b`` here, and a
weight matrix ``w`` has the book's shape (n_l, n_{l-1}): ``w[j, k]`` connects neuron
k of layer l-1 to neuron j of layer l (as ``nn.Linear.weight``). The equations are
written on the last two axes (``w.mT``, sums over axis −2), so the same lines serve
networks trained side by side with a leading seed axis: (seeds, m, n_l) activations,
(seeds, n_l, n_{l-1}) weights.

The equations live in three plain functions and in each cost's ``delta``:

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


# --- activations: σ and σ′ --------------------------------------------------------------

class Sigmoid:
    """σ(z) = 1 / (1 + e⁻ᶻ), the book's neuron (Ch.1, "Sigmoid neurons")."""

    name = "sigmoid"

    @staticmethod
    def fn(z):
        # network.py's own formula, 1/(1 + e⁻ᶻ). Not torch.sigmoid: its vectorised loop and its
        # scalar tail round differently, so an element's last bit would depend on where it sits
        # in the tensor, and a seed's numbers on the seeds trained beside it (repro/seeds.py).
        return torch.reciprocal(1 + torch.exp(-z))

    @staticmethod
    def prime(z, a):
        return a * (1 - a)  # σ′(z) = σ(z)(1 − σ(z)), with a = σ(z) from the forward pass


class ReLU:
    """max(0, z), the rectified linear unit (Ch.3 "Other models of artificial neuron"; Ch.6)."""

    name = "relu"

    @staticmethod
    def fn(z):
        return torch.relu(z)

    @staticmethod
    def prime(z, a):
        return (z > 0).to(z.dtype)  # 1 where z > 0, else 0 (the kink at 0 gets 0, as Theano's)


class Tanh:
    """tanh(z) = 2σ(2z) − 1 (Ch.3 "Other models of artificial neuron")."""

    name = "tanh"

    @staticmethod
    def fn(z):
        return torch.tanh(z)

    @staticmethod
    def prime(z, a):
        return 1 - a ** 2  # tanh′(z) = 1 − tanh²(z), with a = tanh(z)


# --- costs: C and δᴸ (network2.py's QuadraticCost and CrossEntropyCost, network3's LogLikelihoodCost) ---

class QuadraticCost:
    """C_x = ½‖y − a‖² (Ch.1, Eq. 6), the cost of network.py."""

    name = "quadratic"
    output = staticmethod(Sigmoid.fn)  # aᴸ = σ(zᴸ): network.py's output layer

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,), from the output layer's weighted input z."""
        return 0.5 * ((Sigmoid.fn(z) - y) ** 2).sum(-1)

    @staticmethod
    def delta(z, a, y):
        return (a - y) * Sigmoid.prime(z, a)  # (BP1) δᴸ = ∇ₐC ⊙ σ′(zᴸ), ∇ₐC = a − y


class CrossEntropyCost:
    """C_x = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)] (Ch.3, Eq. 63), network2.py's default."""

    name = "cross_entropy"
    output = staticmethod(Sigmoid.fn)  # aᴸ = σ(zᴸ): network2.py's output layer

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,).

        DEVIATION(book): network2 evaluates the formula on a = σ(z) with ``nan_to_num``;
        in float32 σ(z) rounds to 1 already at z ≈ 17, where ln(1 − a) = −∞. Since
        −ln σ(z) = ln(1 + e⁻ᶻ) and −ln(1 − σ(z)) = ln(1 + eᶻ), the same cost is
        ln(1 + eᶻ) − y z, finite for every z, with ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|)
        so that e^z never overflows (unlike ``F.softplus`` there is no linear cut-off, so
        the derivative is exactly σ(z); unlike ``torch.logaddexp`` every element is rounded
        alike wherever it sits in the tensor, as ``Sigmoid.fn``).
        """
        softplus = torch.relu(z) + torch.log1p(torch.exp(-z.abs()))  # ln(1 + eᶻ)
        return (softplus - y * z).sum(-1)

    @staticmethod
    def delta(z, a, y):
        # (BP1) with ∇ₐC = (a − y) / (a(1 − a)) and σ′(z) = a(1 − a): the σ′ cancels
        # (Ch.3, Eq. 66). Computed directly, never as a quotient that divides by ~0
        # when a neuron saturates.
        return a - y


class LogLikelihoodCost:
    """C_x = −ln aᴸ_y with aᴸ = softmax(zᴸ) (Ch.3, "Softmax", Eq. 80): network3's SoftmaxLayer cost.

    Fits CostFunction like the other costs: y is one-hot, so −ln a_y = −Σⱼ yⱼ ln aⱼ.
    """

    name = "log_likelihood"

    @staticmethod
    def output(z):
        return torch.softmax(z, -1)  # aᴸⱼ = e^{zᴸⱼ} / Σₖ e^{zᴸₖ} (Ch.3, Eq. 78)

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,); log_softmax keeps ln a finite where a rounds to 0."""
        return -(y * torch.log_softmax(z, -1)).sum(-1)

    @staticmethod
    def delta(z, a, y):
        return a - y  # (BP1) ∂C/∂zᴸ = aᴸ − y for softmax + log-likelihood (Ch.3, Eq. 84), directly


COSTS = {cost.name: cost for cost in (QuadraticCost, CrossEntropyCost, LogLikelihoodCost)}
ACTIVATIONS = {activation.name: activation for activation in (Sigmoid, ReLU, Tanh)}


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
