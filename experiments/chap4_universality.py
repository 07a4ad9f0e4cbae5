"""Ch.4 "A visual proof that neural nets can compute any function": steps and bumps, built by hand.

Book, Ch.4 [BOOK.md 4.1–4.5, 4.7, 4.8; two inputs and towers, 4.6, are chap4_towers]: a sigmoid neuron with a large weight w is a step at s = −b/w. Two
hidden neurons stepping at s₁ < s₂, with output weights h and −h, make a bump of height h on
[s₁, s₂); N such pairs (w = 1000, b = −ws, step points j/N) give the hidden layer's weighted output
any staircase, and an output neuron σ with bias 0 turns a staircase for σ⁻¹∘f into f, Eq. 113's
f(x) = 0.2 + 0.4x² + 0.3x sin(15x) + 0.05 cos(50x). The widget scores 5 bumps by the "average
deviation" from σ⁻¹∘f at x = 0, 0.01, …, 0.99 and asks for ≤ 0.40. Any activation with distinct
limits at ±∞ steps too; and M
copies of the staircase for σ⁻¹∘f/M, each shifted by 1/M of a bump, shrink the failure near the
step points (the "windows of failure") about M times.

Every number is read off a network (``Network``, float64) whose weights are set, not trained: the
deviation is that of zᴸ, the weighted input of its output neuron. Beyond the book, the same
[1, 10, 1] network is trained from a random start through the hand-written Functions (BP1–BP4)
and scored on the same grid.

    python -m repro.run chap4_universality
    python -m repro.run chap4_universality --bumps 10 --window-w 300 --optimizer sgd --lr 2
"""

import math
from dataclasses import dataclass, replace

import torch

from repro.backprop import QuadraticCost, Sigmoid
from repro.network import Network
from repro.plots import plt
from repro.update import sgd

BOOK = "5 bumps: average deviation ≤ 0.40 (best 0.372); M shifted copies: ~M× better in the windows of failure"
DT = torch.float64
BUMP = (torch.tensor([0.4, 0.6], dtype=DT), torch.tensor([0.8, -0.8], dtype=DT))  # s₁, s₂; h, −h [4.2]


@dataclass(frozen=True)
class Config:
    """The constructions' sizes; the defaults are the book's where it gives one."""

    w: float = 1000.0  # every step's first-layer weight: "some large, constant value, say w = 1000" [4.3]
    bumps: int = 5  # N, bump pairs of the widget [4.3, 4.5]; also the trained network's [1, 2N, 1]
    sweep: tuple = (5, 10, 20, 50, 100, 200, 500, 1000)  # N of the error-against-N figure (ours)
    grid: int = 20_000  # points (i + ½)/grid scoring the sweep: 20 a bin at N = 1000, none on a step point
    window_w: float = 100.0  # the finite w whose windows of failure are measured [4.8] (ours: wide enough to see)
    copies: tuple = (1, 2, 4)  # M, shifted copies of the 5-bump staircase for σ⁻¹∘f/M [4.8]
    steps: int = 2000  # training steps of the [1, 2N, 1] network, full batch (beyond the book)
    optimizer: str = "adam"  # "adam" or "sgd" (torch.optim.SGD, momentum 0.9) for that training
    lr: float = 0.05  # its learning rate (for sgd, η: 2 reaches 0.415, seed 0)

    def __post_init__(self):
        if not (self.w > 0 and self.window_w > 0 and self.lr > 0 and 1 <= self.bumps <= 100
                and min(self.sweep + self.copies) >= 1 and self.steps >= 0
                and self.optimizer in ("adam", "sgd") and all(self.grid % n == 0 for n in self.sweep)):
            raise ValueError(f"need w, window-w, lr > 0, 1 <= bumps <= 100, sweep and copies >= 1, "
                             f"optimizer adam or sgd and grid a multiple of every N in sweep; got {self}")


VARIANTS = {"default": Config()}
EXPECTED = {}


def f(x):
    """Return Eq. 113's f(x), with the JS's 0.3·x·sin(15x) (the text's later "0.3 sin(15x)" is a typo [4.4])."""
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
    """Return (s, rise) of σ(wx + b): the step point s = −b/w, and the 1%-to-99% rise 2 ln 99/|w|: sharper as w grows."""
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
    """Return {N: [deviation with w·N/5 (w × bin width 200: steps as sharp for their bins as the book's 5), with w]}."""
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
    parts = [bump_steps(x, sigma_inverse(f(x)) / m, (torch.arange(-1, n + 2, dtype=DT) + k / m) / n) for k in range(m)]
    steps, heights = (torch.cat(part) for part in zip(*parts))
    return weighted_output(staircase(steps, heights, w), x), ((x[:, None] >= steps) * heights).sum(-1)


def windows(cfg, x):
    """Return {M: [max |zᴸ − the ideal steps'| anywhere (the failure), max |zᴸ − σ⁻¹∘f| within ln 99/w of M = 1's
    step points (its windows)]}, w = window_w."""
    edges = torch.arange(1, cfg.bumps, dtype=DT) / cfg.bumps
    inside = ((x[:, None] - edges).abs() < math.log(99) / cfg.window_w).any(1)  # σ(w(x − s)) off by > 1%
    rows = {}
    for m in cfg.copies:
        z, ideal = shifted_copies(m, cfg.bumps, cfg.window_w, x)
        rows[m] = [float((z - ideal).abs().max()), float((z - sigma_inverse(f(x)))[inside].abs().max())]
    return rows


def trained(cfg, seed):
    """Return the [1, 2N, 1] network trained from network2's default init on f at its σ output (quadratic cost),
    full batch on the 200 midpoints (i + ½)/200, none on the widget's grid. Beyond the book."""
    generator = torch.Generator().manual_seed(seed)
    net = Network.create((1, 2 * cfg.bumps, 1), QuadraticCost, Sigmoid, "default", generator).to(DT)
    x = ((torch.arange(200, dtype=DT) + 0.5) / 200)[:, None]
    optimizer = torch.optim.Adam(net.parameters(), cfg.lr) if cfg.optimizer == "adam" else sgd(net, cfg.lr, 0.0, 0.9)
    for _ in range(cfg.steps):
        optimizer.zero_grad()
        net.cost(x, f(x)).backward()  # BP1–BP4, run by the engine through the layers' Functions
        optimizer.step()
    return net


def measure_constructions(cfg, x, fives):
    """Return every construction's numbers (they draw no random numbers: the same for every seed).

    ``fives``: the widget's networks, {"median" or "mean": (network, average deviation)}."""
    bump = weighted_output(staircase(*BUMP, cfg.w), x)
    sweep = error_vs_n(cfg)
    short_sweep = replace(cfg, sweep=tuple(n for n in cfg.sweep if n <= 100))  # s(z) beside σ, for N ≤ 100
    return {
        "step": {"s": step(100.0, -40.0)[0], "rise": {f"w={w:g}": step(w, -0.4 * w)[1] for w in (8, 100, 999)}},
        "bump": {"inside_error": float((bump - 0.8)[(x - 0.5).abs() < 0.09].abs().max()),
                 "outside": float(bump[(x - 0.5).abs() > 0.11].abs().max())},
        "five_bumps": {how: {"deviation": dev, "heights": net.weights[1][0, :cfg.bumps].tolist()}
                       for how, (net, dev) in fives.items()}
                      | {"median_book_step_points": five_bumps(cfg.bumps, w=cfg.w, offset=0.0)[1]},
        "error_vs_n": {"N": list(sweep), "w_scaled": [row[0] for row in sweep.values()],
                       "w_fixed": [row[1] for row in sweep.values()],
                       "slope_w_scaled": slope(cfg.sweep, [row[0] for row in sweep.values()]),
                       "slope_w_fixed": slope(cfg.sweep, [row[1] for row in sweep.values()])},
        "wiggly": {"limits": Wiggly.fn(torch.tensor([-50.0, 50.0], dtype=DT)).tolist()}
                  | {f"five_bumps_w{w:g}": {a.name: five_bumps(cfg.bumps, w=w, activation=a)[1] for a in (Wiggly, Sigmoid)}
                     for w in (cfg.w, 100.0)}
                  | {"error_vs_n_to_100": {n: row[0] for n, row in error_vs_n(short_sweep, Wiggly).items()}},
        "windows": {f"M={m}": dict(zip(("failure", "in_windows"), row)) for m, row in windows(cfg, x).items()},
    }


PANELS = [("x", "output of the hidden neuron", "the step at s = −b/w = 0.4"),
          ("x", "weighted output zᴸ", "a bump: h = 0.8 on [0.4, 0.6)"), ("z", "", "another activation"),
          ("x", "zᴸ", "5 bumps for σ⁻¹∘f"), ("x", "σ(zᴸ)", "after the output neuron's σ"),
          ("N bumps", "average deviation", "the error against N"),
          ("x", "|zᴸ − the ideal steps|", "windows of failure: M copies, w = {w:g}")]


def figure(cfg, x, nets, errors):
    """Return the book's pictures [4.1]–[4.5], [4.7], [4.8], 2 × 4, titled by PANELS (the towers: chap4_towers)."""
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
    n_ax.loglog(errors["N"], [errors["w_scaled"][0] * errors["N"][0] / n for n in errors["N"]], "k:", label="∝ 1/N")
    for m in cfg.copies:
        z, ideal = shifted_copies(m, cfg.bumps, cfg.window_w, x)
        window_ax.plot(x, (z - ideal).abs(), label=f"M = {m}")
    for ax, (xlabel, ylabel, title) in zip(axes.flat, PANELS):
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title.format(w=cfg.window_w))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    drawing.tight_layout()
    return drawing


def measure(cfg, logs):
    """Build and measure each construction once, train the [1, 2N, 1] network once a seed; record and draw."""
    book_x, x = torch.arange(100, dtype=DT) / 100, (torch.arange(1000, dtype=DT) + 0.5) / 1000
    fives = {how: five_bumps(cfg.bumps, how, cfg.w) for how in ("median", "mean")}  # (network, deviation) each
    shared, (five, _), (means, _) = measure_constructions(cfg, x, fives), fives["median"], fives["mean"]
    median, n_most = shared["five_bumps"]["median"]["deviation"], shared["error_vs_n"]["w_scaled"][-1]
    failures = ", ".join(f"{row['failure']:.2f}" for row in shared["windows"].values())
    for log in logs:
        net = trained(cfg, log.seed)
        learnt = {"deviation": deviation(net, book_x), **{f"output_deviation_{name}": float(
            (Sigmoid.fn(weighted_output(model, book_x)) - f(book_x)).abs().mean()) for name, model in
            (("trained", net), ("constructed", five))}}
        print(f"{cfg.bumps} bumps: average deviation {median:.3f} (means {shared['five_bumps']['mean']['deviation']:.3f};"
              f" book, 5 bumps: ≤ 0.40, best 0.372); {cfg.sweep[-1]} bumps {n_most:.4f}, slope "
              f"{shared['error_vs_n']['slope_w_scaled']:.2f}; windows of failure, M = {', '.join(map(str, cfg.copies))}:"
              f" {failures}; "
              f"trained ({cfg.optimizer}, seed {log.seed}) {learnt['deviation']:.3f}")
        log.extra |= shared | {"trained": learnt}
        log.measured({"deviation/five_bumps": median, "deviation/trained": learnt["deviation"]})
        nets = {f"{cfg.bumps} bumps, medians": five, f"{cfg.bumps} bumps, means": means, f"trained, seed {log.seed}": net}
        log.figure("universality", figure(cfg, x, nets, shared["error_vs_n"]))
