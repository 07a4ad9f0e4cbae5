"""Ch.4 "Many input variables": two inputs, a tower, and towers side by side for a function of (x, y).

Book, Ch.4 [BOOK.md 4.6]: with two inputs, a hidden neuron with weight w = 1000 on x alone steps in
x at s_x = −b/w, one on y alone in y. Two x-steps weighted h and −h make a ridge along y, two
y-steps one along x; a neuron summing both ridges, with bias b ≈ −3h/2 and large h ("when we use
h = 10"), fires only where they cross: a tower, ≈ 1 inside its cell and ≈ 0 outside. K × K towers,
each weighted by σ⁻¹ of the target over its cell, approximate a function of (x, y) at an output
neuron σ, as chap4_universality's bumps do in one dimension. The book names no 2-D function; ours
is the smooth bump 0.1 + 0.8 exp(−10‖p − (½, ½)‖²). Every number is read off the network (float64).

    python -m repro.run chap4_towers
    python -m repro.run chap4_towers --tower-h 30 --towers 10,20
"""

from dataclasses import dataclass

import torch

from repro.costs import Sigmoid
from repro.plots import plt
from repro.universality import DT, deviation, network, sigma_inverse, weighted_output

BOOK = "a tower: output bias b ≈ −3h/2 with large h (h = 10): ≈ 1 inside, ≈ 0 outside (no accuracy)"
TOWER = (torch.tensor([0.4, 0.6], dtype=DT), torch.tensor([0.3, 0.7], dtype=DT))  # the widget's x- and y-steps [4.6]


@dataclass(frozen=True)
class Config:
    """The towers' sizes; the defaults are the book's where it gives one."""

    w: float = 1000.0  # every step's first-layer weight, as in one dimension [4.3]
    tower_h: float = 10.0  # h of a tower, output bias −3h/2: "when we use h = 10" [4.6]
    towers: tuple = (10, 20)  # towers per side of the 2-D approximations (ours)

    def __post_init__(self):
        if not (self.w > 0 and self.tower_h > 0 and self.towers and all(1 <= k <= 40 for k in self.towers)):
            raise ValueError(f"need w, tower-h > 0 and towers between 1 and 40 a side; got {self}")


VARIANTS = {"default": Config()}
EXPECTED = {}


def towers(x_edges, y_edges, h, w, heights=None):
    """Return Ch.4's network of towers [4.6]: x-steps and y-steps, then one neuron per cell (i, j) weighting x-steps
    i, i + 1 and y-steps j, j + 1 by h, −h, h, −h, with bias −3h/2: ≈ 1 inside the cell, ≈ 0 outside. With
    ``heights`` (K, L) an output neuron sums the towers so weighted; without, the one tower is the output."""
    k, l, edges = len(x_edges) - 1, len(y_edges) - 1, torch.cat([x_edges, y_edges])
    w1 = torch.zeros(len(edges), 2, dtype=DT)
    w1[:k + 1, 0], w1[k + 1:, 1] = w, w  # (2(K+1), 2): a step in x or in y
    i, j = (index.reshape(-1) for index in torch.meshgrid(torch.arange(k), torch.arange(l), indexing="ij"))
    w2, cell = torch.zeros(k * l, len(edges), dtype=DT), torch.arange(k * l)
    w2[cell, i], w2[cell, i + 1], w2[cell, k + 1 + j], w2[cell, k + 2 + j] = h, -h, h, -h  # (KL, 2(K+1))
    layers = [(w1, -w * edges), (w2, torch.full((k * l,), -1.5 * h, dtype=DT))]  # b = −3h/2
    if heights is not None:
        layers.append((heights.reshape(1, -1), torch.zeros(1, dtype=DT)))
    return network((2, len(edges), k * l) + ((1,) if heights is not None else ()), *zip(*layers))


def plane(n=200):
    """Return the (n², 2) midpoints of an n × n grid on the unit square (none on a step point k/10 or k/20)."""
    u = (torch.arange(n, dtype=DT) + 0.5) / n
    return torch.cartesian_prod(u, u)


def smooth_bump(p):
    """Return our 2-D target (the book names none): the smooth bump 0.1 + 0.8 exp(−10 |p − (½, ½)|²), in (0, 1)."""
    return 0.1 + 0.8 * torch.exp(-10 * ((p - 0.5) ** 2).sum(-1))


def tower_grid(k, h, w, p):
    """Return (network, its average deviation from σ⁻¹ of the bump, the ideal K × K staircase's) over points p."""
    g, edges = sigma_inverse(smooth_bump(p)), torch.arange(k + 1, dtype=DT) / k
    cells = (torch.bucketize(p[:, 0].contiguous(), edges, right=True) - 1) * k + \
        torch.bucketize(p[:, 1].contiguous(), edges, right=True) - 1
    heights = torch.stack([torch.quantile(g[cells == c], 0.5) for c in range(k * k)])
    net = towers(edges, edges, h, w, heights)
    return net, deviation(net, p, g), float((heights[cells] - g).abs().mean())


def tower_levels(h, w, p, margin=0.005):
    """Return the [4.6] tower's least output inside, most outside, and most outside in both x and y, ≥ margin
    from its walls."""
    a = Sigmoid.fn(weighted_output(towers(*TOWER, h, w), p))
    out_x, out_y = (p[:, 0] - 0.5).abs() - 0.1, (p[:, 1] - 0.5).abs() - 0.2  # > 0 outside [0.4, 0.6] × [0.3, 0.7]
    return (float(a[(out_x < -margin) & (out_y < -margin)].min()), float(a[(out_x > margin) | (out_y > margin)].max()),
            float(a[(out_x > margin) & (out_y > margin)].max()))


def figure(cfg, p):
    """Return the book's tower and the first grid of towers for the smooth bump, seen from above."""
    drawing, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    k = cfg.towers[0]
    nets = (towers(*TOWER, cfg.tower_h, cfg.w), tower_grid(k, cfg.tower_h, cfg.w, p)[0])
    titles = (f"a tower: h = {cfg.tower_h:g}, b = −3h/2", f"{k} × {k} towers (h = {cfg.tower_h:g}), smooth bump")
    for ax, net, title in zip(axes, nets, titles):
        image = ax.imshow(Sigmoid.fn(weighted_output(net, p)).reshape(200, 200).T.numpy(), origin="lower",
                          extent=(0, 1, 0, 1), vmin=0, vmax=1)
        ax.set(xlabel="x", ylabel="y", title=title)
    drawing.colorbar(image, ax=axes[1], label="σ(zᴸ)")
    return drawing


def measure(cfg, logs):
    """Build the tower and the grids of towers once (no random numbers); record and draw them for each seed."""
    p = plane()
    levels = dict(zip(("inside_min", "outside_max", "outside_both_max"), tower_levels(cfg.tower_h, cfg.w, p)))
    grids = {f"{k}x{k}_h{h:g}": dict(zip(("deviation", "ideal"), tower_grid(k, h, cfg.w, p)[1:]))
             for k in cfg.towers for h in (cfg.tower_h, 3 * cfg.tower_h)}
    first = grids[f"{cfg.towers[0]}x{cfg.towers[0]}_h{cfg.tower_h:g}"]
    for log in logs:
        print(f"a tower (h = {cfg.tower_h:g}, b = −3h/2): {levels['inside_min']:.4f} inside, "
              f"{levels['outside_max']:.4f} outside; {cfg.towers[0]} × {cfg.towers[0]} towers deviate "
              f"{first['deviation']:.3f} from σ⁻¹ of the bump (the ideal staircase {first['ideal']:.3f})")
        log.extra |= {"tower": levels, "tower_grid": grids}
        log.measured({})
        log.figure("towers", figure(cfg, p))
