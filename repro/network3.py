"""network3.py (Ch.6) in PyTorch: conv-pool, fully connected and softmax layers, backprop by hand.

Shapes: rows are examples. Images enter as (m, 1, 28, 28); a ConvPoolLayer maps
(m, maps_in, H, W) → (m, n_maps, (H − 4)//2, (W − 4)//2), so 28 → 24 → 12 and
12 → 8 → 4; a fully connected layer flattens its input to (m, n_in) as network3's
``inpt.reshape`` does.

Each layer computes its output two ways:

- ``feedforward`` then ``gradients``: the equations of repro/conv.py and repro/backprop.py
  called directly, no autograd engine (``Network3.backprop``, the ``manual`` backend);
- ``forward(a, mask, ops)``: the same layer written once over a set of ops, either
  PLAIN torch ops (the ``autograd`` backend and evaluation) or the hand-written
  FUNCTIONS (so gradcheck and the parity tests see the manual backward through the engine).
"""

import math
from dataclasses import dataclass, replace
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from repro.backprop import Activation, Cost, WeightedInput, hidden_delta, layer_gradients
from repro.conv import (Convolution, Dropout, LogLikelihoodCost, MapBias, MaxPool, conv_gradients, convolve,
                        dropout_mask, map_bias_gradient, max_pool, max_pool_delta)

PLAIN = SimpleNamespace(
    conv=F.conv2d, pool=lambda c: F.max_pool2d(c, 2), map_bias=lambda pooled, b: pooled + b[:, None, None],
    weighted_input=lambda a, w, b: a @ w.T + b, activate=lambda z, activation: activation.fn(z),
    dropout=torch.mul, cost=lambda z, y: LogLikelihoodCost.fn(z, y).mean(),
)
FUNCTIONS = SimpleNamespace(
    conv=Convolution.apply, pool=lambda c: MaxPool.apply(c)[0], map_bias=MapBias.apply,
    weighted_input=WeightedInput.apply, activate=Activation.apply,
    dropout=Dropout.apply, cost=lambda z, y: Cost.apply(z, y, LogLikelihoodCost),
)


@dataclass
class ConvPoolLayer:
    """5×5 valid convolution → 2×2 max-pool → add the bias → activation, as network3's ConvPoolLayer."""

    w: torch.Tensor  # (n_maps, maps_in, 5, 5): the shared weights of each feature map
    b: torch.Tensor  # (n_maps,): one shared bias per feature map
    activation: type
    p_dropout: float = 0.0  # network3 applies no dropout in the convolutional layers

    @classmethod
    def create(cls, maps_in, n_maps, activation, generator):
        n_out = n_maps * 5 * 5 / (2 * 2)  # network3: maps · receptive field / pool area
        w = torch.randn(n_maps, maps_in, 5, 5, generator=generator) / math.sqrt(n_out)  # N(0, 1/√n_out)
        return cls(w, torch.randn(n_maps, generator=generator), activation)  # biases N(0, 1)

    def forward(self, a, mask, ops):
        z = ops.map_bias(ops.pool(ops.conv(a, self.w)), self.b)  # Ch.6, network3: pool, then add the bias
        return ops.activate(z, self.activation)

    def feedforward(self, a, mask):
        """Return (aˡ, what ``gradients`` needs) from aˡ⁻¹."""
        c = convolve(a, self.w)  # (m, n_maps, H − 4, W − 4)
        pooled, where = max_pool(c)  # (m, n_maps, (H − 4)//2, (W − 4)//2)
        z = pooled + self.b[:, None, None]  # zˡ
        return self.activation.fn(z), (a, where, c.shape, z)

    def gradients(self, delta, cache, need_input):
        """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ), summed over the mini-batch, from δˡ = ∂C/∂zˡ."""
        a_prev, where, conv_shape, _ = cache
        nabla_b = map_bias_gradient(delta)  # (BP3, conv)
        delta_conv = max_pool_delta(delta, where, conv_shape)  # (BP2, pool)
        grad_a_prev, nabla_w = conv_gradients(delta_conv, a_prev, self.w, need_input)  # (BP2), (BP4, conv)
        return grad_a_prev, nabla_w, nabla_b


@dataclass
class FullyConnectedLayer:
    """aˡ = σ(wˡ · (aˡ⁻¹ after dropout) + bˡ), as network3's FullyConnectedLayer."""

    w: torch.Tensor  # (n_out, n_in)
    b: torch.Tensor  # (n_out,)
    activation: type
    p_dropout: float = 0.0  # p: in training each input is dropped with probability p

    @classmethod
    def create(cls, n_in, n_out, activation, p_dropout, generator):
        # network3: N(0, 1/√n_out), n_out and not Ch.3's n_in: std 0.1 for 100 neurons.
        w = torch.randn(n_out, n_in, generator=generator) / math.sqrt(n_out)
        return cls(w, torch.randn(n_out, generator=generator), activation, p_dropout)

    def dropped(self, x, mask, ops):
        """Return the input as network3 feeds it: times the mask in training, times 1 − p in evaluation."""
        if self.p_dropout == 0:
            return x
        if mask is None:  # evaluation: network3's (1 − p)·(inpt·w) + b, the same product
            return (1 - self.p_dropout) * x
        return ops.dropout(x, mask)  # training: non-inverted, no 1/(1 − p)

    def forward(self, a, mask, ops):
        z = ops.weighted_input(self.dropped(a.flatten(1), mask, ops), self.w, self.b)  # (m, n_out)
        return self.output(z, ops)

    def output(self, z, ops):
        return ops.activate(z, self.activation)

    def feedforward(self, a, mask):
        """Return (aˡ, what ``gradients`` needs) from aˡ⁻¹."""
        x = self.dropped(a.flatten(1), mask, PLAIN)  # (m, n_in)
        z = x @ self.w.T + self.b  # zˡ = wˡx + bˡ  (m, n_out)
        return self.output(z, PLAIN), (x, mask, z)

    def gradients(self, delta, cache, need_input):
        """Return (∂C/∂aˡ⁻¹, ∂C/∂wˡ, ∂C/∂bˡ), summed over the mini-batch, from δˡ = ∂C/∂zˡ."""
        x, mask, _ = cache
        grad_x, nabla_w, nabla_b = layer_gradients(delta, x, self.w)  # (BP3), (BP4), (wˡ)ᵀδˡ
        return (grad_x if mask is None else grad_x * mask), nabla_w, nabla_b  # a dropped input gets no gradient


class SoftmaxLayer(FullyConnectedLayer):
    """The output layer: zᴸ = wᴸ · (aᴸ⁻¹ after dropout) + bᴸ; its softmax lives in the log-likelihood cost."""

    @classmethod
    def create(cls, n_in, n_out, p_dropout):
        return cls(torch.zeros(n_out, n_in), torch.zeros(n_out), None, p_dropout)  # network3: starts at zero

    def output(self, z, ops):
        return z  # softmax is monotonic: argmax zᴸ is network3's y_out


@dataclass
class Network3:
    """network3's Network: conv-pool layers, then fully connected layers, then a softmax layer."""

    layers: list

    @classmethod
    def create(cls, conv_maps, fc_sizes, activation, p_dropout, generator, device="cpu", dtype=torch.float32):
        """Return a new network, initialised on the CPU from ``generator`` so every device starts alike."""
        layers, maps, side = [], 1, 28
        for n_maps in conv_maps:
            layers.append(ConvPoolLayer.create(maps, n_maps, activation, generator))
            maps, side = n_maps, (side - 4) // 2
        n_in = maps * side * side
        for n_out in fc_sizes:
            layers.append(FullyConnectedLayer.create(n_in, n_out, activation, p_dropout, generator))
            n_in = n_out
        layers.append(SoftmaxLayer.create(n_in, 10, p_dropout))
        return cls([replace(layer, w=layer.w.to(device, dtype), b=layer.b.to(device, dtype)) for layer in layers])

    @property
    def weights(self):
        return [layer.w for layer in self.layers]

    @property
    def biases(self):
        return [layer.b for layer in self.layers]

    @property
    def parameters(self):
        return self.weights + self.biases

    def with_parameters(self, weights, biases):
        """Return the same architecture holding other parameter tensors (for autograd to differentiate)."""
        return Network3([replace(layer, w=w, b=b) for layer, w, b in zip(self.layers, weights, biases)])

    def dropout_masks(self, m, generator):
        """Return one fresh mask per layer for a mini-batch of m (None where p = 0), drawn from generator."""
        return [dropout_mask((m, layer.w.shape[1]), layer.p_dropout, generator, layer.w)
                if layer.p_dropout > 0 else None for layer in self.layers]

    def output(self, x, masks, ops=PLAIN):
        """Return zᴸ for images x (m, 784); masks None per layer means evaluation."""
        a = x.view(len(x), 1, 28, 28)
        for layer, mask in zip(self.layers, masks):
            a = layer.forward(a, mask, ops)
        return a

    def cost(self, x, y, masks, ops=PLAIN):
        """Return the mini-batch's mean log-likelihood (network3's cost without its L2 term)."""
        return ops.cost(self.output(x, masks, ops), y)

    def backprop(self, x, y, masks):
        """Return (nabla_w, nabla_b, mean cost): ∂C/∂w and ∂C/∂b summed over the mini-batch, by hand."""
        a, caches = x.view(len(x), 1, 28, 28), []
        for layer, mask in zip(self.layers, masks):
            a, cache = layer.feedforward(a, mask)
            caches.append(cache)
        delta = LogLikelihoodCost.delta(a, LogLikelihoodCost.output(a), y)  # (BP1) δᴸ = aᴸ − y
        nabla_w, nabla_b = [None] * len(self.layers), [None] * len(self.layers)
        for l in reversed(range(len(self.layers))):
            grad_a_prev, nabla_w[l], nabla_b[l] = self.layers[l].gradients(delta, caches[l], need_input=l > 0)
            if l > 0:
                z_prev = caches[l - 1][-1]
                delta = hidden_delta(grad_a_prev.view(z_prev.shape), z_prev, self.layers[l - 1].activation)  # (BP2)
        return nabla_w, nabla_b, LogLikelihoodCost.fn(a, y).mean()

    @torch.no_grad()
    def predict(self, x, chunk=1000):
        """Return the digit the network picks for each image, evaluating chunk images at a time."""
        no_masks = [None] * len(self.layers)
        return torch.cat([self.output(x[k:k + chunk], no_masks).argmax(1) for k in range(0, len(x), chunk)])
