"""Ch.5's chain of one sigmoid neuron per layer, many chains side by side: build, backprop, draw.

experiments/chap5_unstable_gradients.py chooses the weights and biases (N(0, 1), or the book's
w = 100 with every zⱼ = 0) and checks what BP1–BP4 give here against the book's product of
factors wⱼσ′(zⱼ). A chain is network2's Network with sizes (1, 1, …, 1), in float64.
"""

import torch

from repro.costs import QuadraticCost, Sigmoid
from repro.network import Network
from repro.plots import plt


def chains(weights, biases):
    """Return chains of one sigmoid neuron per layer, side by side: weights and biases (chains, depth), float64."""
    depth = weights.shape[1]
    chain = Network.create((1,) * (depth + 1), QuadraticCost, Sigmoid, "large", torch.Generator()).to(torch.float64)
    network = Network.side_by_side([chain] * len(weights))
    network.set_parameters(weights.T[:, :, None, None], biases.T[:, :, None])  # layer l: (chains, 1, 1), (chains, 1)
    return network


def bias_gradients(network, x, y):
    """Return ∂C/∂bₗ of each chain and layer, (chains, depth), by BP1–BP4 (C = ½(a_L − y)², one input x)."""
    _, nabla_b, _ = network.backprop(torch.full((1, 1), x, dtype=torch.float64),
                                     torch.full((1, 1), y, dtype=torch.float64))
    return torch.cat(nabla_b, dim=-1).detach()


def gradients_figure(random, blown, title):
    """Return |∂C/∂bₗ| against layer l: the median of the random chains (and its 10-90% band), and the w = 100 chain."""
    figure, (vanishing, exploded) = plt.subplots(1, 2, figsize=(11, 4))
    layers = range(1, random.shape[1] + 1)
    low, median, high = torch.quantile(random.abs(), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=0)
    vanishing.fill_between(layers, low, high, alpha=0.3, label="10%-90% of the chains")
    vanishing.plot(layers, median, marker="o", ms=3, label="median")
    vanishing.set(yscale="log", xlabel="layer l", ylabel="|∂C/∂bₗ|", title=f"N(0, 1) weights and biases: {title}")
    exploded.plot(layers, blown.abs()[0], marker="o", ms=3, color="C3")
    exploded.set(yscale="log", xlabel="layer l", ylabel="|∂C/∂bₗ|", title="w = 100, every zⱼ = 0: ×25 a layer")
    vanishing.legend()
    for axes in (vanishing, exploded):
        axes.grid(alpha=0.3)
    return figure
