"""network3.py's Network (Ch.6): conv-pool layers, fully connected layers, a softmax layer.

Shapes: rows are examples. Images enter as (m, 784) and the first ConvPool layer takes
them as (m, 1, 28, 28); a ConvPool layer maps (m, maps_in, H, W) → (m, n_maps, (H − 4)//2,
(W − 4)//2), so 28 → 24 → 12 and 12 → 8 → 4; a fully connected layer flattens its input
to (m, n_in) as network3's ``inpt.reshape`` does. The layers are repro/layers.py's; the
network, its forward pass, cost and backprop are repro/network.py's ``Network``.
"""

import math

import torch

from repro.costs import LogLikelihoodCost
from repro.layers import ConvPool, FullyConnected, Softmax
from repro.network import Network


def network3_initializer(layer, generator):
    """Return (w, b) as network3 draws them: weights N(0, 1/√n_out), biases N(0, 1), the softmax layer zero.

    n_out is network3's: maps · receptive field / pool area for a ConvPool layer (20·25/4
    = 125), the neurons of a fully connected layer: n_out, not Ch.3's n_in (std 0.1 for 100).
    """
    if isinstance(layer, Softmax):
        return torch.zeros(layer.weight.shape), torch.zeros(layer.bias.shape)  # network3: starts at zero
    n_out = layer.weight.shape[0] * 5 * 5 / (2 * 2) if isinstance(layer, ConvPool) else layer.weight.shape[0]
    w = torch.randn(layer.weight.shape, generator=generator) / math.sqrt(n_out)
    return w, torch.randn(layer.bias.shape, generator=generator)


class Network3(Network):
    """network3's Network: the same stack and cost machinery, with network3's layers, softmax and initialisation."""

    @staticmethod
    def layers_of(conv_maps, fc_sizes, activation, p_dropout):
        """Return the layers, parameters at zero: ConvPool (28 → 24 → 12, 12 → 8 → 4), FullyConnected, Softmax."""
        layers, maps, side = [], 1, 28
        for n_maps in conv_maps:
            layers.append(ConvPool(maps, n_maps, activation))
            maps, side = n_maps, (side - 4) // 2
        n_in = maps * side * side
        for n_out in fc_sizes:
            layers.append(FullyConnected(n_in, n_out, activation, p_dropout))
            n_in = n_out
        return layers + [Softmax(n_in, 10, p_dropout)]

    @classmethod
    def create(cls, conv_maps, fc_sizes, activation, p_dropout, generator):
        """Return a new network in float32, initialised on the CPU from ``generator``: ``.to(device)`` after, so
        that every device starts alike.

        Dropout (probability p_dropout) applies to the inputs of the fully connected and
        softmax layers; network3 applies none in the convolutional layers.
        """
        network = cls(cls.layers_of(conv_maps, fc_sizes, activation, p_dropout), LogLikelihoodCost)
        network.set_parameters(*zip(*(network3_initializer(layer, generator) for layer in network.layers)))
        return network
