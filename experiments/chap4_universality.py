"""Ch.4 "A visual proof that neural nets can compute any function": steps and bumps, built by hand.

Book, Ch.4 [BOOK.md 4.1–4.5, 4.7, 4.8; two inputs and towers, 4.6, are chap4_towers]: a sigmoid neuron with
a large weight w is a step at s = −b/w. Two hidden neurons stepping at s₁ < s₂, with output weights h and −h,
make a bump of height h on [s₁, s₂); N such pairs (w = 1000, b = −ws, step points j/N) give the hidden layer's
weighted output any staircase, and an output neuron σ with bias 0 turns a staircase for σ⁻¹∘f into f, Eq. 113's
f(x) = 0.2 + 0.4x² + 0.3x sin(15x) + 0.05 cos(50x). The widget scores 5 bumps by the "average deviation" from
σ⁻¹∘f at x = 0, 0.01, …, 0.99 and asks for ≤ 0.40. Any activation with distinct limits at ±∞ steps too; and M
copies of the staircase for σ⁻¹∘f/M, each shifted by 1/M of a bump, shrink the failure near the step points
(the "windows of failure") about M times.

Every number is read off a network (``Network``, float64) whose weights are set, not trained: the deviation is
that of zᴸ, the weighted input of its output neuron. The constructions are built by repro/universality.py.
Beyond the book, the same [1, 10, 1] network is trained from a random start through the hand-written Functions
(BP1–BP4) and scored on the same grid.

    python -m repro.run chap4_universality
    python -m repro.run chap4_universality --bumps 10 --window-w 300 --optimizer sgd --lr 2
"""

from dataclasses import dataclass, replace

import torch

from repro.costs import QuadraticCost, Sigmoid
from repro.network import Network
from repro.universality import (BUMP, DT, Wiggly, deviation, error_vs_n, f, figure, five_bumps, output_deviation,
                                slope, staircase, step, weighted_output, windows)
from repro.update import sgd

BOOK = "5 bumps: average deviation ≤ 0.40 (best 0.372); M shifted copies: ~M× better in the windows of failure"


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
    bump = weighted_output(staircase(*BUMP, cfg.w), x)  # h = 0.8 on [0.4, 0.6) [4.2]
    sweep = error_vs_n(cfg)
    scaled, fixed = [row[0] for row in sweep.values()], [row[1] for row in sweep.values()]
    short_sweep = replace(cfg, sweep=tuple(n for n in cfg.sweep if n <= 100))  # s(z) beside σ, for N ≤ 100
    return {
        "step": {"s": step(100.0, -40.0)[0], "rise": {f"w={w:g}": step(w, -0.4 * w)[1] for w in (8, 100, 999)}},
        "bump": {"inside_error": float((bump - 0.8)[(x - 0.5).abs() < 0.09].abs().max()),
                 "outside": float(bump[(x - 0.5).abs() > 0.11].abs().max())},
        "five_bumps": {how: {"deviation": dev, "heights": net.weights[1][0, :cfg.bumps].tolist()}
                       for how, (net, dev) in fives.items()}
                      | {"median_book_step_points": five_bumps(cfg.bumps, w=cfg.w, offset=0.0)[1]},
        "error_vs_n": {"N": list(sweep), "w_scaled": scaled, "w_fixed": fixed,
                       "slope_w_scaled": slope(cfg.sweep, scaled), "slope_w_fixed": slope(cfg.sweep, fixed)},
        "wiggly": {"limits": Wiggly.fn(torch.tensor([-50.0, 50.0], dtype=DT)).tolist()}
                  | {f"five_bumps_w{w:g}": {a.name: five_bumps(cfg.bumps, w=w, activation=a)[1]
                                          for a in (Wiggly, Sigmoid)} for w in (cfg.w, 100.0)}
                  | {"error_vs_n_to_100": {n: row[0] for n, row in error_vs_n(short_sweep, Wiggly).items()}},
        "windows": {f"M={m}": dict(zip(("failure", "in_windows"), row)) for m, row in windows(cfg, x).items()},
    }


def measure(cfg, logs):
    """Build and measure each construction once, train the [1, 2N, 1] network once a seed; record and draw."""
    book_x, x = torch.arange(100, dtype=DT) / 100, (torch.arange(1000, dtype=DT) + 0.5) / 1000
    fives = {how: five_bumps(cfg.bumps, how, cfg.w) for how in ("median", "mean")}  # (network, deviation) each
    shared, (five, median), (means, mean) = measure_constructions(cfg, x, fives), fives["median"], fives["mean"]
    failures = ", ".join(f"{row['failure']:.2f}" for row in shared["windows"].values())
    said = (f"{cfg.bumps} bumps: average deviation {median:.3f} (means {mean:.3f}; book, 5 bumps: ≤ 0.40,"
            f" best 0.372); {cfg.sweep[-1]} bumps {shared['error_vs_n']['w_scaled'][-1]:.4f}, slope "
            f"{shared['error_vs_n']['slope_w_scaled']:.2f}; windows of failure, M = {', '.join(map(str, cfg.copies))}:"
            f" {failures}; ")
    for log in logs:
        net = trained(cfg, log.seed)
        learnt = {"deviation": deviation(net, book_x), "output_deviation_trained": output_deviation(net, book_x),
                  "output_deviation_constructed": output_deviation(five, book_x)}
        print(said + f"trained ({cfg.optimizer}, seed {log.seed}) {learnt['deviation']:.3f}")
        log.extra |= shared | {"trained": learnt}
        log.measured({"deviation/five_bumps": median, "deviation/trained": learnt["deviation"]})
        nets = {f"{cfg.bumps} bumps, medians": five, f"{cfg.bumps} bumps, means": means,
                f"trained, seed {log.seed}": net}
        log.figure("universality", figure(cfg, x, nets, shared["error_vs_n"]))
