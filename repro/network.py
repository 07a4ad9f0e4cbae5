"""The network: a stack of layers (repro/layers.py) and a cost, as a ``torch.nn.Module``.

``Network.create`` builds network.py's and network2.py's fully connected sigmoid network
(Ch.1–5); ``Network3.create`` (repro/network3.py) builds network3's (Ch.6). Three ways
to take the gradient of the cost, one per training backend:

- ``backprop``: BP1–BP4 called directly, no autograd engine (``manual``);
- ``network.cost(x, y).backward()``: the same equations, run by the engine through the
  layers' autograd Functions (``function``);
- ``network.cost(x, y, ops=AUTOGRAD).backward()``: plain torch ops, differentiated by
  autograd (``autograd``, the referee).
"""

import copy
import math

import torch
from torch import nn

from repro.backprop import hidden_delta
from repro.conv import dropout_mask
from repro.layers import AUTOGRAD, HAND_WRITTEN, FullyConnected


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


class Network(nn.Module):
    """Layers applied in turn, then a cost of the last layer's weighted input zᴸ.

    ``forward`` returns zᴸ: σ (network2) or softmax (network3) belongs to the cost,
    ``cost_function.output``, as BP1 is written in zᴸ.
    """

    def __init__(self, layers, cost_function):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.cost_function = cost_function  # network2's ``cost``: fn(z, y), delta(z, a, y), output(z)
        self.seeds = None  # networks side by side (``side_by_side``): how many; None for one network

    @classmethod
    def side_by_side(cls, networks):
        """Return one network holding ``networks`` (alike but for their numbers) on a leading seed axis.

        Every parameter becomes (seeds, *shape), as ``torch.func.stack_module_state``
        makes it, and the same equations train all of them at once: each matrix product
        becomes a batched one, each network keeps its own weights, and the inputs are
        (seeds, m, 784), or (m, 784) shared by all. On one thread every seed's numbers are
        bit for bit those of the network trained alone (tests/test_seeds.py).
        """
        stacked = copy.deepcopy(networks[0])
        parameters, _ = torch.func.stack_module_state(list(networks))
        for name, value in parameters.items():
            layer, attribute = name.rsplit(".", 1)
            setattr(stacked.get_submodule(layer), attribute, nn.Parameter(value))
        stacked.seeds = len(networks)
        return stacked

    def member(self, seed):
        """Return network ``seed`` (an index) of networks side by side, on its own, sharing their memory."""
        network = copy.deepcopy(self, memo={id(p): p for p in self.parameters()})  # the structure, not the numbers
        for name, value in self.named_parameters():
            layer, attribute = name.rsplit(".", 1)
            setattr(network.get_submodule(layer), attribute, nn.Parameter(value.detach()[seed]))
        network.seeds = None
        return network

    @classmethod
    def create(cls, sizes, cost, activation, init, generator, p_dropout=0.0):
        """Return network2's Network(sizes) in float32, initialised on the CPU from ``generator``: ``.to(device)``
        after, so that every device starts alike.

        Hidden layers apply ``activation``; the output layer is σ (or softmax), in the cost.
        ``p_dropout``: Ch.3's dropout, each hidden neuron left out of a training mini-batch with
        probability p, which is a mask on the inputs of every layer after the first.
        """
        n_layers = len(sizes) - 1
        network = cls([FullyConnected(n_in, n_out, activation if l < n_layers else None, p_dropout if l > 1 else 0.0)
                       for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1)], cost)
        network.set_parameters(*INITIALIZERS[init](sizes, generator))
        return network

    @torch.no_grad()
    def set_parameters(self, weights, biases):
        for layer, w, b in zip(self.layers, weights, biases):
            layer.weight.copy_(w)
            layer.bias.copy_(b)

    def extra_repr(self):
        if all(type(layer) is FullyConnected for layer in self.layers):  # network2's: say its sizes, as the book
            sizes = [self.layers[0].weight.shape[1]] + [layer.weight.shape[0] for layer in self.layers]
            return f"sizes={sizes}, cost={self.cost_function.name}"
        return f"cost={self.cost_function.name}"

    @property
    def weights(self):
        return [layer.weight for layer in self.layers]

    @property
    def biases(self):
        return [layer.bias for layer in self.layers]

    def shared(self, x):
        """Return images x (m, 784) as every seed's input when networks sit side by side."""
        return x.expand(self.seeds, *x.shape) if self.seeds and x.dim() == 2 else x

    def forward(self, x, masks=None, ops=HAND_WRITTEN):
        """Return zᴸ for the inputs x; masks: one dropout mask per layer (or None) in training."""
        x = self.shared(x)
        for layer, mask in zip(self.layers, masks or [None] * len(self.layers)):
            x = layer(x, mask, ops)
        return x

    def cost(self, x, y, masks=None, ops=HAND_WRITTEN):
        """Return the mini-batch's mean cost (1/m) Σₓ Cₓ: ``.backward()`` on it runs BP1–BP4."""
        return ops.cost(self(x, masks, ops), y, self.cost_function)

    def backprop(self, x, y, masks=None):
        """Return (nabla_w, nabla_b, zᴸ): ∂C/∂w and ∂C/∂b summed over the mini-batch (Ch.2), by hand.

        As network2.backprop, with the mini-batch as one matrix instead of a loop
        over examples. DEVIATION(book): batched matrices (Ch.2's own exercise).
        """
        a, caches = self.shared(x), []
        for layer, mask in zip(self.layers, masks or [None] * len(self.layers)):
            a, cache = layer.feedforward(a, mask)
            caches.append(cache)  # each ends with the layer's aˡ and zˡ
        delta = self.cost_function.delta(a, self.cost_function.output(a), y)  # (BP1) δᴸ
        nabla_w, nabla_b = [None] * len(self.layers), [None] * len(self.layers)
        for l in reversed(range(len(self.layers))):
            grad_a_prev, nabla_w[l], nabla_b[l] = self.layers[l].gradients(delta, caches[l], need_input=l > 0)
            if l > 0:
                *_, a_prev, z_prev = caches[l - 1]
                delta = hidden_delta(grad_a_prev, z_prev, a_prev, self.layers[l - 1].activation)  # (BP2)
        return nabla_w, nabla_b, a

    def dropout_masks(self, m, generators):
        """Return one fresh mask per layer for a mini-batch of m (None where p = 0), one generator per seed.

        Side by side, each seed draws its masks from its own generator, as it would alone.
        """
        def mask(layer):
            shape = (m, layer.weight.shape[-1])
            masks = [dropout_mask(shape, layer.p_dropout, generator, layer.weight) for generator in generators]
            return torch.stack(masks) if self.seeds else masks[0]

        return [mask(layer) if layer.p_dropout > 0 else None for layer in self.layers]

    @torch.no_grad()
    def predict(self, x, chunk=1000):
        """Return the digit the network picks for each input, the most active output neuron (chunk at a time).

        Always as network3 evaluates (dropped inputs scaled by 1 − p, no masks), whatever mode the
        network is in: a network fresh from training, or rebuilt from its checkpoint, is in training
        mode, where a forward pass without masks draws new ones.
        """
        training = self.training
        self.eval()
        digits = torch.cat([self.cost_function.output(self(x[k:k + chunk], ops=AUTOGRAD)).argmax(-1)
                            for k in range(0, len(x), chunk)], dim=-1)
        self.train(training)
        return digits
