"""The book's layers as ``torch.nn.Module``s whose ``forward`` applies the hand-written Functions.

    FullyConnected  network2's layer of neurons; network3's FullyConnectedLayer (with dropout)
    ConvPool        network3's ConvPoolLayer: 5×5 valid convolution, 2×2 max-pool, bias, σ
    Softmax         network3's SoftmaxLayer: zᴸ only, its softmax lives in the cost

``layer(a)`` builds the graph from ``FullyConnectedFunction`` / ``ConvPoolFunction``, so
``loss.backward()`` anywhere runs BP1–BP4 as written in repro/backprop.py and repro/conv.py.
Each layer takes the same inputs two more ways, all sharing one forward function:

- ``layer(a, ops=AUTOGRAD)``: that forward function as plain torch ops, for autograd to
  differentiate (the ``autograd`` backend, the referee);
- ``feedforward`` then ``gradients``: the forward function and the layer's equations
  called directly, no engine (``Network.backprop``, the ``manual`` backend).

Parameters are ``weight`` and ``bias``, as ``nn.Linear``'s: a fully connected weight is
(n_l, n_{l-1}), the book's ``w[j, k]``. Initialisation belongs to the networks
(repro/network.py, repro/network3.py): a new layer is all zeros.
"""

from types import SimpleNamespace

import torch
from torch import nn

from repro.backprop import (CostFunction, FullyConnectedFunction, WeightedInputFunction, fully_connected,
                            layer_gradients)
from repro.conv import (ConvPoolFunction, DropoutFunction, conv_pool, conv_pool_gradients, dropout_gradient, dropout_mask,
                        referee_conv_pool)


def hand_written_fully_connected(x, w, b, activation):
    """Return aˡ of a hidden layer, or zᴸ of an output layer (activation None), through their Functions.

    Two Functions, because one would return zᴸ twice (as aᴸ and as the saved zᴸ), and a
    Function's output cannot be both differentiable and not.
    """
    if activation is None:
        return WeightedInputFunction.apply(x, w, b)
    return FullyConnectedFunction.apply(x, w, b, activation)[0]


HAND_WRITTEN = SimpleNamespace(  # the default: backward by BP1–BP4
    fully_connected=hand_written_fully_connected,
    conv_pool=lambda *inputs: ConvPoolFunction.apply(*inputs)[0],
    dropout=DropoutFunction.apply, cost=CostFunction.apply,
)
AUTOGRAD = SimpleNamespace(  # the referee: the same forward, differentiated by torch
    fully_connected=lambda *inputs: fully_connected(*inputs)[0],
    conv_pool=referee_conv_pool,
    dropout=torch.mul, cost=lambda z, y, cost, mean=True: (cost.fn(z, y).mean(-1) if mean  # as CostFunction
                                                           else cost.fn(z, y).sum(-1)).sum(),
)
OPS = {"function": HAND_WRITTEN, "autograd": AUTOGRAD}  # by training backend; "manual" uses no engine


class FullyConnected(nn.Module):
    """aˡ = σ(wˡ x + bˡ), x = aˡ⁻¹ flattened, times a dropout mask in training (network3).

    ``activation=None`` makes an output layer: it returns zᴸ, and the cost applies σ.
    Dropout is network3's, not ``nn.Dropout``'s: in training the input is multiplied by a
    0/1 mask and not rescaled; in evaluation (``.eval()``) by 1 − p (Ch.3, "Dropout").
    """

    def __init__(self, n_in, n_out, activation=None, p_dropout=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_out, n_in))  # wˡ (n_l, n_{l-1})
        self.bias = nn.Parameter(torch.zeros(n_out))  # bˡ (n_l,)
        self.activation, self.p_dropout = activation, p_dropout

    def extra_repr(self):
        activation = self.activation.name if self.activation else "zᴸ to the cost"
        dropout = f", dropout {self.p_dropout}" if self.p_dropout else ""
        return f"{self.weight.shape[1]}→{self.weight.shape[0]}, {activation}{dropout}"

    def dropped(self, x, mask, ops):
        """Return (the input as network3 feeds it, the mask used): a fresh mask if training without one."""
        if self.p_dropout == 0:
            return x, None
        if not self.training:  # network3's evaluation: (1 − p)·(inpt·w) + b, the same product
            return (1 - self.p_dropout) * x, None
        if mask is None:
            mask = dropout_mask(x.shape, self.p_dropout, None, x)  # torch's global generator, as nn.Dropout
        return ops.dropout(x, mask), mask  # training: non-inverted, no 1/(1 − p)

    @staticmethod
    def flat(a):
        """Return the input as rows: a conv layer's maps (…, maps, h, w) become (…, maps·h·w)."""
        return a.flatten(-3) if a.dim() >= 4 else a

    def forward(self, a, mask=None, ops=HAND_WRITTEN):
        x, _ = self.dropped(self.flat(a), mask, ops)  # (m, n_in)
        return ops.fully_connected(x, self.weight, self.bias, self.activation)

    def feedforward(self, a, mask=None):
        """Return (aˡ, what ``gradients`` needs, ending with aˡ and zˡ for σ′) from aˡ⁻¹."""
        x, mask = self.dropped(self.flat(a), mask, AUTOGRAD)
        a, z = fully_connected(x, self.weight, self.bias, self.activation)
        return a, (x, mask, a, z)

    def gradients(self, delta, cache, need_input):
        """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ), summed over the mini-batch, from δˡ = ∂C/∂zˡ."""
        x, mask, _, _ = cache
        grad_x, nabla_w, nabla_b = layer_gradients(delta, x, self.weight, need_input)  # (BP3), (BP4), (wˡ)ᵀδˡ
        return (grad_x if mask is None or grad_x is None else dropout_gradient(grad_x, mask)), nabla_w, nabla_b


class Softmax(FullyConnected):
    """network3's SoftmaxLayer: zᴸ = wᴸ x + bᴸ; its softmax aᴸ = e^zᴸ / Σ e^zᴸ is the cost's (BP1 is in zᴸ)."""

    def __init__(self, n_in, n_out=10, p_dropout=0.0):
        super().__init__(n_in, n_out, None, p_dropout)

    def extra_repr(self):
        return super().extra_repr().replace("zᴸ to the cost", "softmax in the cost")


class ConvPool(nn.Module):
    """network3's ConvPoolLayer: 5×5 valid convolution, stride 1 → 2×2 max-pool → + bias → σ.

    (m, maps_in, H, W) → (m, n_maps, (H − 4)//2, (W − 4)//2); flat images (m, 784) are
    taken as (m, 1, 28, 28), as network3's ``image_shape``.
    """

    def __init__(self, maps_in, n_maps, activation):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_maps, maps_in, 5, 5))  # w[j, k]: input map k → map j
        self.bias = nn.Parameter(torch.zeros(n_maps))  # one shared bias per map
        self.activation = activation
        self.p_dropout = 0.0  # network3 applies no dropout in the convolutional layers

    def extra_repr(self):
        n_maps, maps_in = self.weight.shape[:2]
        return f"{maps_in}→{n_maps}, 5×5, pool 2×2, {self.activation.name}"

    def maps(self, a):
        """Return a as maps: flat images (…, m, 784) become (…, m, 1, 28, 28)."""
        return a if a.dim() == self.weight.dim() else a.unflatten(-1, (1, 28, 28))

    def forward(self, a, mask=None, ops=HAND_WRITTEN):
        return ops.conv_pool(self.maps(a), self.weight, self.bias, self.activation)

    def feedforward(self, a, mask=None):
        """Return (aˡ, what ``gradients`` needs, ending with aˡ and zˡ for σ′) from aˡ⁻¹."""
        a_prev = self.maps(a)
        a, z, c = conv_pool(a_prev, self.weight, self.bias, self.activation)
        return a, (a_prev, c, a, z)

    def gradients(self, delta, cache, need_input):
        """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ), summed over the mini-batch, from δˡ = ∂C/∂zˡ."""
        a_prev, c, _, _ = cache
        return conv_pool_gradients(delta, a_prev, self.weight, c, need_input)
