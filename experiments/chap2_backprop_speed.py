"""Ch.2 "In what sense is backpropagation a fast algorithm?": backprop against finite differences, measured.

Book, Ch.2: the gradient by finite differences, ∂C/∂wⱼ ≈ (C(w + εeⱼ) − C(w))/ε, needs one forward
pass per weight, "a million and one passes through the network" for a million weights, while
backprop costs "roughly the same as making just two forward passes" [BOOK.md 2.2]. And the
problem "Fully matrix-based approach to backpropagation over a mini-batch": on the book's laptop
"the speedup is about a factor of two" over a loop over the mini-batch's examples [2.1]. The book
gives no machine-independent number: we time them here, on [784, h, 10] nets and a mini-batch of
10, and check that the two gradients agree (central differences, float64).

    python -m repro.run chap2_backprop_speed                 # h = 10, 30: seconds
    python -m repro.run chap2_backprop_speed --hidden 10 30 100 300 1000   # wider nets: minutes
"""

from dataclasses import dataclass, replace

import torch

from experiments import chap1_network
from repro.layers import AUTOGRAD
from repro.plots import plt
from repro.timing import best_time, seconds


@dataclass(frozen=True)
class Config:
    """The nets timed and how."""

    hidden: tuple = (10, 30)  # h of each [784, h, 10] net (network.py's: quadratic cost, N(0, 1))
    mini_batch_size: int = 10  # m
    epsilon: float = 1e-6  # ε of the central differences that check the gradient (float64)
    checked: int = 200  # weights of the first layer whose finite difference is checked against backprop
    device: str = "cpu"  # the timings are on the CPU, one thread as the CLI's default

    def __post_init__(self):
        if not (self.hidden and min(self.hidden) >= 1 and self.mini_batch_size >= 1 and self.checked >= 1):
            raise ValueError(f"need hidden sizes >= 1, mini-batch-size >= 1, checked >= 1; got {self}")


VARIANTS = {"default": Config()}
EXPECTED = {}
BOOK = 'backprop ≈ 2 forward passes, finite differences W + 1; matrix mini-batch ≈ 2× a loop (no number)'


def finite_differences(network, x, y, epsilon, parameters=None):
    """Return ∂C/∂w of each weight by (C(w + εeⱼ) − C(w))/ε: the book's one forward pass per weight, plus one."""
    base, gradient = network.cost(x, y, ops=AUTOGRAD).item(), []
    for parameter in parameters or list(network.parameters()):
        flat = parameter.data.view(-1)
        for j in range(len(flat)):
            flat[j] += epsilon
            gradient.append((network.cost(x, y, ops=AUTOGRAD).item() - base) / epsilon)
            flat[j] -= epsilon
    return gradient


def timings(h, x, y):
    """Return one row of the table for the [784, h, 10] net: its size and the seconds each way takes."""
    network = replace(chap1_network.CONFIG, sizes=(784, h, 10)).network(torch.Generator().manual_seed(0))
    with torch.no_grad():
        row = {"h": h, "weights": sum(parameter.numel() for parameter in network.parameters()),
               "forward_s": best_time(lambda: network.cost(x, y, ops=AUTOGRAD)),  # plain ops, as backprop's
               "backprop_s": best_time(lambda: network.backprop(x, y)),  # the mini-batch as one matrix
               "per_example_s": best_time(lambda: [network.backprop(x[k:k + 1], y[k:k + 1]) for k in range(len(x))])}
        # once, W + 1 forward passes being slow; the timing only: float32 differences are no gradient
        row["finite_differences_s"] = seconds(lambda: finite_differences(network, x, y, 1e-3))
    return row


def agreement(x, y, cfg):
    """Return max |central difference − backprop| / max |backprop| over cfg.checked first-layer weights (float64)."""
    network = chap1_network.CONFIG.network(torch.Generator().manual_seed(0)).double()
    x, y = x.double(), y.double()
    with torch.no_grad():
        nabla_w, _, _ = network.backprop(x, y)
        exact = nabla_w[0].view(-1)[:cfg.checked] / len(x)  # backprop sums over the mini-batch; C is its mean
        flat, central = network.layers[0].weight.data.view(-1), []
        for j in range(cfg.checked):
            flat[j] += cfg.epsilon
            plus = network.cost(x, y, ops=AUTOGRAD).item()
            flat[j] -= 2 * cfg.epsilon
            minus = network.cost(x, y, ops=AUTOGRAD).item()
            flat[j] += cfg.epsilon
            central.append((plus - minus) / (2 * cfg.epsilon))
    return ((torch.tensor(central, dtype=torch.float64) - exact).abs().max() / exact.abs().max()).item()


def figure(rows):
    """Return seconds against the number of weights W, log-log: finite differences grow with W, backprop stays
    near two forward passes."""
    fig, axes = plt.subplots(figsize=(6.4, 4.0))
    weights = [row["weights"] for row in rows]
    for key, label in (("finite_differences_s", "finite differences (W + 1 forward passes)"),
                       ("per_example_s", "backprop, a loop over the 10 examples"),
                       ("backprop_s", "backprop, the mini-batch as one matrix"), ("forward_s", "one forward pass")):
        axes.plot(weights, [row[key] for row in rows], marker="o", label=label)
    axes.set(xscale="log", yscale="log", xlabel="weights and biases W", ylabel="seconds for one mini-batch of 10",
             title="The gradient of C, [784, h, 10]")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return fig


def run(cfg, data, logs):
    """Time each way on the first mini-batch of training images, check the gradients agree, draw and record it."""
    x, y = data.training.images[:cfg.mini_batch_size].cpu(), data.training.one_hot()[:cfg.mini_batch_size].cpu()
    rows = [timings(h, x, y) for h in cfg.hidden]
    error = agreement(x, y, cfg)
    for row in rows:
        print(f"[784, {row['h']}, 10], W = {row['weights']}: forward {1e6 * row['forward_s']:.0f} µs, backprop "
              f"{row['backprop_s'] / row['forward_s']:.1f} forwards, loop over examples "
              f"{row['per_example_s'] / row['backprop_s']:.1f}× the matrix, finite differences "
              f"{row['finite_differences_s'] / row['backprop_s']:.0f}× backprop")
    print(f"central differences against backprop, {cfg.checked} weights: max relative error {error:.1e}")
    for log in logs:  # timings, not seeds: every seed holds the same
        log.extra |= {"rows": rows, "relative_error": error}
        log.measured({})
        log.figure("backprop_speed", figure(rows))
