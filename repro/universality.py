"""Ch.4's constructions by hand: steps, bumps, staircases, towers' building blocks.

Book, Ch.4 "A visual proof that neural nets can compute any function" [BOOK.md 4.1–4.8]. Every network here
is a float64 ``Network`` whose weights are set, not trained, and every score is read off it: zᴸ, the weighted
input of its output neuron, against σ⁻¹∘f. experiments/chap4_universality.py measures the one-input
constructions and draws them (``figure``); experiments/chap4_towers.py builds towers from ``network``.
"""

import math

import torch

from repro.costs import QuadraticCost, Sigmoid
from repro.network import Network
from repro.plots import plt

DT = torch.float64
BUMP = (torch.tensor([0.4, 0.6], dtype=DT), torch.tensor([0.8, -0.8], dtype=DT))  # s₁, s₂; h, −h [4.2]


def f(x):
    """Return Eq. 113's f(x), with the JS's 0.3·x·sin(15x) (the text's later "0.3 sin(15x)" is a typo
    [4.4])."""
    return 0.2 + 0.4 * x ** 2 + 0.3 * x * torch.sin(15 * x) + 0.05 * torch.cos(50 * x)


def sigma_inverse(a):
    """Return σ⁻¹(a) = ln(a/(1 − a)): what the hidden layer must output for σ to give a [4.4]."""
    return torch.log(a / (1 - a))


class Wiggly:
    """s(z) = σ(z) + 0.2 sin(10z) e^−|z|, the widget's other activation, limits 0 and 1 at ±∞ [4.7]: never trained."""

    name = "wiggly"

    @staticmethod
    def fn(z):
        return Sigmoid.fn(z) + 0.2 * torch.sin(10 * z) * torch.exp(-z.abs())


def step(w, b):
    """Return (s, rise) of σ(wx + b): the step point s = −b/w, and the 1%-to-99% rise 2 ln 99/|w|: sharper as w
    grows."""
    return -b / w, 2 * math.log(99) / abs(w)


def network(sizes, weights, biases, activation=Sigmoid):
    """Return a float64 ``Network`` of these sizes holding these weights and biases (the output neuron σ)."""
    built = Network.create(sizes, QuadraticCost, activation, "default", torch.Generator()).to(DT)
    built.set_parameters(weights, biases)
    return built


def staircase(steps, heights, w, activation=Sigmoid):
    """Return the [1, n, 1] network whose hidden neuron k steps at steps[k] (b = −ws) and adds heights[k] to zᴸ."""
    return network((1, len(steps), 1), [torch.full((len(steps), 1), w, dtype=DT), heights[None]],
                   [-w * steps, torch.zeros(1, dtype=DT)], activation)


def bump_steps(x, g, edges, how="median"):
    """Return (steps, heights): one bump per bin [edges[j], edges[j+1]), up by h at its start and down by h at its
    end, h the median of g over the bin's points (the least average deviation; of two middle values, their
    midpoint) or their mean; 0 for a bin with no point. x ascending, within [edges[0], edges[-1])."""
    counts = torch.bincount(torch.bucketize(x, edges, right=True) - 1, minlength=len(edges) - 1)
    reduce = (lambda v: torch.quantile(v, 0.5)) if how == "median" else torch.mean
    h = torch.stack([reduce(part) if len(part) else g.new_zeros(()) for part in g.split(counts.tolist())])
    return torch.cat([edges[:-1], edges[1:]]), torch.cat([h, -h])


@torch.no_grad()
def weighted_output(net, x, chunk=2000):
    """Return zᴸ at inputs x, (n,) or (n, 2): the hidden layer's weighted output plus the output bias."""
    x = x.reshape(len(x), -1)
    return torch.cat([net(x[k:k + chunk]) for k in range(0, len(x), chunk)])[:, 0]


def deviation(net, x, g=None):
    """Return the widget's average deviation, mean |zᴸ − σ⁻¹∘f| over x (or mean |zᴸ − g|)."""
    return float((weighted_output(net, x) - (sigma_inverse(f(x)) if g is None else g)).abs().mean())


def output_deviation(net, x):
    """Return mean |σ(zᴸ) − f| over x: the deviation after the output neuron's σ, on f's own scale."""
    return float((Sigmoid.fn(weighted_output(net, x)) - f(x)).abs().mean())


def five_bumps(n=5, how="median", w=1000.0, activation=Sigmoid, offset=0.005):
    """Return the widget's network of n bumps for σ⁻¹∘f and its average deviation on x = 0, 0.01, …, 0.99.

    DEVIATION(book): the widget's steps are ideal, and a point on a step (x = 0.2, 0.4, …) counts in the bin to
    its right; at a finite w, σ(0) = ½ there. The step points move left by ``offset``, half the grid's spacing,
    so that each point scores in its bin as in the widget; ``offset=0`` keeps the book's step points.
    """
    x = torch.arange(100, dtype=DT) / 100
    edges = torch.arange(n + 1, dtype=DT) / n - offset * (torch.arange(n + 1) < n)  # the last step stays at x = 1
    net = staircase(*bump_steps(x, sigma_inverse(f(x)), edges, how), w, activation)
    return net, deviation(net, x)


def error_vs_n(cfg, activation=Sigmoid):
    """Return {N: [deviation with w·N/5 (w × bin width 200: steps as sharp for their bins as the book's 5), with
    w]} for N in cfg.sweep, w = cfg.w, scored on cfg.grid midpoints."""
    x = (torch.arange(cfg.grid, dtype=DT) + 0.5) / cfg.grid
    rows = {}
    for n in cfg.sweep:
        steps, heights = bump_steps(x, sigma_inverse(f(x)), torch.arange(n + 1, dtype=DT) / n)
        rows[n] = [deviation(staircase(steps, heights, w, activation), x) for w in (cfg.w * n / 5, cfg.w)]
    return rows


def slope(ns, errors):
    """Return the least-squares slope of log error against log N (−1: the error falls as 1/N)."""
    u, v = torch.log(torch.tensor(ns, dtype=DT)), torch.log(torch.tensor(errors, dtype=DT))
    return float(((u - u.mean()) * (v - v.mean())).sum() / ((u - u.mean()) ** 2).sum())


def shifted_copies(m, n, w, x):
    """Return (zᴸ, the same staircase with ideal steps H(x − s)) at x for the sum of m n-bump staircases for
    σ⁻¹∘f/m, copy k's step points shifted by k/(mn), one more bin at each end so that every copy covers [0, 1]."""
    g = sigma_inverse(f(x)) / m
    parts = [bump_steps(x, g, (torch.arange(-1, n + 2, dtype=DT) + k / m) / n) for k in range(m)]
    steps, heights = (torch.cat(part) for part in zip(*parts))
    return weighted_output(staircase(steps, heights, w), x), ((x[:, None] >= steps) * heights).sum(-1)


def windows(cfg, x):
    """Return {M: [max |zᴸ − the ideal steps'| anywhere (the failure), max |zᴸ − σ⁻¹∘f| within ln 99/w of M = 1's
    step points (its windows)]} for M in cfg.copies, cfg.bumps bumps, w = cfg.window_w [4.8]."""
    edges = torch.arange(1, cfg.bumps, dtype=DT) / cfg.bumps
    inside = ((x[:, None] - edges).abs() < math.log(99) / cfg.window_w).any(1)  # σ(w(x − s)) off by > 1%
    rows = {}
    for m in cfg.copies:
        z, ideal = shifted_copies(m, cfg.bumps, cfg.window_w, x)
        rows[m] = [float((z - ideal).abs().max()), float((z - sigma_inverse(f(x)))[inside].abs().max())]
    return rows


PANELS = [("x", "output of the hidden neuron", "the step at s = −b/w = 0.4"),
          ("x", "weighted output zᴸ", "a bump: h = 0.8 on [0.4, 0.6)"), ("z", "", "another activation"),
          ("x", "zᴸ", "5 bumps for σ⁻¹∘f"), ("x", "σ(zᴸ)", "after the output neuron's σ"),
          ("N bumps", "average deviation", "the error against N"),
          ("x", "|zᴸ − the ideal steps|", "windows of failure: M copies, w = {w:g}")]


def figure(cfg, x, nets, errors):
    """Return the book's pictures [4.1]–[4.5], [4.7], [4.8], 2 × 4, titled by PANELS (the towers: chap4_towers).

    ``nets``: {label: network} drawn against σ⁻¹∘f and f; ``errors``: the recorded "error_vs_n"."""
    drawing, axes = plt.subplots(2, 4, figsize=(20, 8))
    (step_ax, bump_ax, s_ax, stair_ax), (f_ax, n_ax, window_ax, spare) = axes
    spare.axis("off")
    for w in (3, 8, 100, 999):
        step_ax.plot(x, Sigmoid.fn(w * (x - 0.4)), label=f"w = {w}, b = {-0.4 * w:g}")
    for activation in (Sigmoid, Wiggly):
        bump_ax.plot(x, weighted_output(staircase(*BUMP, 100.0, activation), x), label=f"{activation.name}, w = 100")
        s_ax.plot(6 * x - 3, activation.fn(6 * x - 3), label=activation.__doc__.split(",")[0])
    stair_ax.plot(x, sigma_inverse(f(x)), "k", lw=1, label="σ⁻¹∘f")
    f_ax.plot(x, f(x), "k", lw=1, label="f, Eq. 113")
    for label, net in nets.items():
        stair_ax.plot(x, weighted_output(net, x), label=label)
        f_ax.plot(x, Sigmoid.fn(weighted_output(net, x)), label=label)
    for key, label in (("w_scaled", f"w = {cfg.w:g}·N/5"), ("w_fixed", f"w = {cfg.w:g}")):
        n_ax.loglog(errors["N"], errors[key], marker="o", label=label)
    first = errors["w_scaled"][0] * errors["N"][0]
    n_ax.loglog(errors["N"], [first / n for n in errors["N"]], "k:", label="∝ 1/N")
    for m in cfg.copies:
        z, ideal = shifted_copies(m, cfg.bumps, cfg.window_w, x)
        window_ax.plot(x, (z - ideal).abs(), label=f"M = {m}")
    for ax, (xlabel, ylabel, title) in zip(axes.flat, PANELS):
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title.format(w=cfg.window_w))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    drawing.tight_layout()
    return drawing
