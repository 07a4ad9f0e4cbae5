"""Ch.3 "Other techniques for regularization": L1 regularization, the book's problem answered.

Book, Ch.3: C = C₀ + (λ/n) Σ|w| (Eq. 95) makes the update w ← w − (ηλ/n) sgn(w) − η∂C₀/∂w
(Eq. 96, sgn(0) = 0): every weight shrinks by the same constant amount, where L2 shrinks it
in proportion to w, so "L1 regularization tends to concentrate the weight of the network in
a relatively small number of high-importance connections, while the other weights are
driven toward zero" [BOOK.md 3.17]. The book runs none; its problem asks for a λ with which
L1 beats the unregularized [784, 30, 10] network on MNIST. Our answer: the λ of the ``sweep``
variant's best validation accuracy, the ``default`` variant; it trains beside it (sub-folders)
the unregularized net and the L2 net of Ch.3 (λ = 5), and draws the three weight distributions.

    python -m repro.run chap3_l1 --variant sweep --seed 0 1 2     # λ = 0, 0.1, 0.3, 1, 3, 10 on validation
    python -m repro.run chap3_l1 --seed 0 1 2
"""

from dataclasses import dataclass, replace

from repro.expected import Expected
from repro.plots import plt
from repro.readback import load_checkpoint
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    sweep: tuple = ()  # these λ instead, each a run of its own (a sub-folder), to choose λ on validation data


CONFIG = Config(
    sizes=(784, 30, 10),
    cost="cross_entropy",
    init="default",  # network2's N(0, 1/√n_in)
    eta=0.5,
    lmbda=3.0,  # the sweep's best mean validation accuracy over seeds 3-5, CHOOSING_SEEDS (below)
    regularization="l1",
    epochs=30,
    evaluation="validation",  # λ is chosen on validation data, as the book asks of every hyper-parameter
)
NEAR_ZERO = 1e-3  # |w| below this counts as driven to zero: ~1/36 of the initial weights' spread 1/√784

VARIANTS = {
    "default": CONFIG,
    "sweep": replace(CONFIG, lmbda=1.0, sweep=(0.0, 0.1, 0.3, 3.0, 10.0)),  # and λ = 1 itself, in the run's own folder
}

# λ is chosen on seeds that the full tier's confirmation (L1 beats λ = 0, seeds 0-2) does not train: the sweep's peak
# validation accuracy, the mean of seeds 3-5 (python -m repro.run chap3_l1 --variant sweep --seed 3 4 5): λ = 0 96.10,
# 0.1 96.15, 0.3 96.23, 1 96.30, 3 96.43 (96.47, 96.45, 96.37), 10 95.87. tests/test_full.py checks the choice on its records.
CHOOSING_SEEDS = (3, 4, 5)
# Ours, peak validation accuracy, seeds 0-2 (pytest -m full: python -m repro.run chap3_l1 --variant sweep --seed 0 1 2
# and python -m repro.run chap3_l1 --seed 0 1 2), which chose λ = 3 as well:
#   λ = 0     96.18, 96.16, 96.10        λ = 1    96.51, 96.37, 96.37 (96.42)
#   λ = 0.1   96.06, 96.16, 96.14        λ = 3    96.65, 96.44, 96.57 (96.55): the best, ahead of λ = 0 by 0.28-0.47
#   λ = 0.3   96.14, 96.36, 96.18        λ = 10   95.79, 95.89, 95.91: too strong
# L2 at λ = 5 beside it: 96.50, 96.54, 96.20. Input-layer weights with |w| < 1e-3 after 30 epochs: L1 at λ = 3
# 41-42% (λ = 10: 46-48%), L2 17% (the pixels that are 0 in every image), none 0.6%.
EXPECTED = {
    "default": Expected(
        book=None, source="Ch.3 problem: a λ with which L1 beats the unregularized net; no number (BOOK.md 3.17)",
        within=0.0, seed_band=(95.4, 97.6), why="no book number: every seed within our three seeds' 96.44-96.65 ± 1 pp",
        # After 2 epochs, seeds 1-5: 94.45-95.06 -> [min - 1, max + 1].
        quick=dict(epochs=2), quick_band=(93.4, 96.1),
    ),
    "sweep": Expected(
        book=None, source="as default; λ = 1, the sweep's own run", within=0.0, seed_band=(95.3, 97.6),
        why="no book number: every seed within our three seeds' 96.37-96.51 ± 1 pp",
    ),
}


def weights_near_zero(network_weights):
    """Return the share of the hidden layer's weights with |w| < NEAR_ZERO."""
    return float((network_weights.abs() < NEAR_ZERO).float().mean())


def distributions_figure(first_layers, title):
    """Return histograms of the first layer's weights, one per regularization ({label: weights})."""
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for label, w in first_layers.items():
        axes.hist(w.flatten().numpy(), bins=200, range=(-0.5, 0.5), histtype="step", log=True,
                  label=f"{label}: {100 * weights_near_zero(w):.0f}% with |w| < {NEAR_ZERO:g}")
    axes.set(xlabel="weight, input → hidden layer", ylabel="count", title=title)
    axes.legend(fontsize="small")
    return figure


def first_layer(run_dir):
    """Return the trained input → hidden weights in a run folder's checkpoint."""
    return load_checkpoint(run_dir / "checkpoint.pt")["network"]["layers.0.weight"]


def sweep_figure(peaks, title):
    """Return the peak validation accuracy against λ ({λ: %})."""
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    lmbdas = sorted(peaks)
    axes.plot(range(len(lmbdas)), [peaks[lmbda] for lmbda in lmbdas], marker="o")
    axes.set(xticks=range(len(lmbdas)), xticklabels=[f"{lmbda:g}" for lmbda in lmbdas], xlabel="λ (L1)",
             ylabel="peak validation accuracy (%)", title=title)
    axes.grid(alpha=0.3)
    return figure


def run(cfg, data, logs):
    """L1 at cfg.lmbda, beside (sub-folders) every λ of the sweep, or else no regularization and L2 at λ = 5."""
    others = ({f"lmbda{lmbda:g}": replace(cfg, lmbda=lmbda, sweep=()) for lmbda in cfg.sweep} if cfg.sweep else
              {"unregularized": replace(cfg, lmbda=0.0), "l2": replace(cfg, regularization="l2", lmbda=5.0)})
    siblings = train_alongside(others, data, logs)
    histories = train_network(cfg, data, logs)
    for log, sibling, history in zip(logs, siblings, histories):
        if cfg.sweep:
            peaks = {float(name[5:]): max(row["accuracy/validation"] for row in rows) for name, rows in sibling.items()}
            peaks[cfg.lmbda] = max(row["accuracy/validation"] for row in history)
            log.extra["peak_by_lmbda"] = {f"{lmbda:g}": peak for lmbda, peak in sorted(peaks.items())}
            log.figure("sweep", sweep_figure(peaks, f"L1's λ on validation data, seed {log.seed}"))
            continue
        layers = {f"L1, λ = {cfg.lmbda:g}": first_layer(log.run_dir),
                  "λ = 0": first_layer(log.run_dir / "unregularized"), "L2, λ = 5": first_layer(log.run_dir / "l2")}
        log.extra["near_zero"] = {label: weights_near_zero(w) for label, w in layers.items()}
        log.figure("weights", distributions_figure(layers, f"L1 against L2, seed {log.seed}"))
    return histories
