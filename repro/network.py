"""A fully connected sigmoid network, as network.py (Ch.1) and network2.py (Ch.3).

The network is its parameters and three ways to take the gradient of its cost:

- ``backprop``: BP1–BP4 called directly, no autograd engine (the ``manual`` backend);
- ``cost_by_functions``: the same equations as autograd Functions (the referee's view
  of the hand-written backward: ``gradcheck`` and parity tests run through it);
- ``cost_by_autograd``: ordinary torch ops, differentiated by autograd (the
  ``autograd`` backend and the referee).
"""

import math
from dataclasses import dataclass

import torch

from repro.backprop import Activation, Cost, Sigmoid, WeightedInput, hidden_delta, layer_gradients


def large_weight_initializer(sizes, generator):
    """Return weights and biases ~ N(0, 1): network.py's scheme (Ch.1), network2's ``large``."""
    weights = [torch.randn(n_out, n_in, generator=generator)
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [torch.randn(n_out, generator=generator) for n_out in sizes[1:]]
    return weights, biases


def default_weight_initializer(sizes, generator):
    """Return weights ~ N(0, 1/√n_in) and biases ~ N(0, 1) (Ch.3, "Weight initialization").

    The same normal draws as ``large_weight_initializer``, the weights scaled by 1/√n_in,
    so that with one seed the two schemes differ in scale alone.
    """
    weights, biases = large_weight_initializer(sizes, generator)
    return [w / math.sqrt(w.shape[1]) for w in weights], biases


INITIALIZERS = {"default": default_weight_initializer, "large": large_weight_initializer}


@dataclass
class Network:
    """Layers of sizes ``sizes``. Hidden layers apply ``activation``; the output layer is always σ,
    which the costs' ``fn`` and ``delta`` assume (network2's output neurons are sigmoid)."""

    weights: list  # w^l, (n_l, n_{l-1}) for l = 1 … L
    biases: list  # b^l, (n_l,)
    cost: type
    activation: type

    @classmethod
    def create(cls, sizes, cost, activation, init, generator, device="cpu", dtype=torch.float32):
        """Return a new network, initialised on the CPU from ``generator`` so every device starts alike."""
        weights, biases = INITIALIZERS[init](sizes, generator)
        to = dict(device=device, dtype=dtype)
        return cls([w.to(**to) for w in weights], [b.to(**to) for b in biases], cost, activation)

    @property
    def parameters(self):
        return self.weights + self.biases

    def feedforward(self, a):
        """Return the weighted inputs zˡ and activations aˡ of every layer (a⁰ = x)."""
        zs, activations = [], [a]
        for l, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            zs.append(a @ w.T + b)  # zˡ = wˡaˡ⁻¹ + bˡ        (m, n_l)
            a = (self.activation if l < len(self.weights) else Sigmoid).fn(zs[-1])  # aˡ = σ(zˡ)
            activations.append(a)
        return zs, activations

    def backprop(self, x, y):
        """Return (nabla_w, nabla_b): ∂C/∂w and ∂C/∂b summed over the mini-batch (Ch.2).

        As network2.backprop, with the mini-batch as one matrix instead of a loop
        over examples. DEVIATION(book): batched matrices (Ch.2's own exercise).
        """
        zs, activations = self.feedforward(x)
        delta = self.cost.delta(zs[-1], activations[-1], y)  # (BP1)
        nabla_w, nabla_b = [None] * len(self.weights), [None] * len(self.biases)
        for l in reversed(range(len(self.weights))):
            grad_a_prev, nabla_w[l], nabla_b[l] = layer_gradients(delta, activations[l], self.weights[l])
            if l > 0:
                delta = hidden_delta(grad_a_prev, zs[l - 1], self.activation)  # (BP2)
        return nabla_w, nabla_b

    def cost_by_functions(self, x, y, weights=None, biases=None):
        """Return the mean cost of (x, y), built from the hand-written autograd Functions."""
        weights, biases = weights or self.weights, biases or self.biases
        a = x
        for w, b in zip(weights[:-1], biases[:-1]):
            a = Activation.apply(WeightedInput.apply(a, w, b), self.activation)
        return Cost.apply(WeightedInput.apply(a, weights[-1], biases[-1]), y, self.cost)

    def cost_by_autograd(self, x, y, weights=None, biases=None):
        """Return the same mean cost from ordinary torch ops, for autograd to differentiate."""
        weights, biases = weights or self.weights, biases or self.biases
        a = x
        for w, b in zip(weights[:-1], biases[:-1]):
            a = self.activation.fn(a @ w.T + b)
        return self.cost.fn(a @ weights[-1].T + biases[-1], y).mean()

    @torch.no_grad()
    def evaluate(self, x, labels, y, lmbda=0.0):
        """Return (total cost, number correct) on a data set, as network2's total_cost and accuracy.

        The cost is the mean per-example cost plus 0.5·(λ/n)·Σ‖w‖², with n the size of
        *this* data set (network2 passes ``len(data)``: 10,000 for validation and test).
        """
        zs, activations = self.feedforward(x)
        decay = 0.5 * (lmbda / len(x)) * sum((w ** 2).sum() for w in self.weights)
        cost = self.cost.fn(zs[-1], y).mean() + decay
        correct = (activations[-1].argmax(1) == labels).sum()
        return cost.item(), int(correct)
