"""Ch.3 "Variations on stochastic gradient descent": momentum-based gradient descent, μ chosen on validation.

Book, Ch.3 [BOOK.md 3F]: a velocity v for each weight, v → v′ = μv − η∇C, w → w′ = w + v′
(Eqs. 107-108); μ is the "momentum co-efficient", 1 − μ the friction, and "we can use the
hold out validation data to select the value of μ". No run and no number in the book. Ours,
on the [784, 30, 10] net with λ = 5.0 and η = 0.5 of chap3_multiple_eta (network2's
defaults otherwise): μ = 0.5 is this run's own, and μ = 0, 0.2, 0.8, 0.9 train beside it in
sub-folders, scored on validation data, with the best μ said in results.json.

    python -m repro.run chap3_momentum --seed 0 1 2
    python -m repro.run chap3_momentum --momentum 0.8 --sweep ''     # one μ alone
"""

from dataclasses import dataclass, replace

from repro.plots import plot_curves
from repro.report import Expected
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    sweep: tuple = ()  # these μ too, each a run of its own (a sub-folder), drawn on one chart


CONFIG = Config(sizes=(784, 30, 10), cost="cross_entropy", init="default", eta=0.5, lmbda=5.0, mini_batch_size=10,
                epochs=30, evaluation="validation", momentum=0.5, sweep=(0.0, 0.2, 0.8, 0.9))
VARIANTS = {"default": CONFIG}

EXPECTED = {}


def run(cfg, data, logs):
    """Train at cfg.momentum and at each μ of the sweep; draw validation accuracy per epoch, one line per μ."""
    others = train_alongside({f"mu{mu:g}": replace(cfg, momentum=mu, sweep=()) for mu in cfg.sweep}, data, logs)
    histories = train_network(cfg, data, logs)
    for log, sibling, history in zip(logs, others, histories):
        runs = {cfg.momentum: history} | {float(name[2:]): rows for name, rows in sibling.items()}
        peaks = {mu: max(row["accuracy/validation"] for row in rows) for mu, rows in runs.items()}
        log.extra["best_momentum"] = max(peaks, key=peaks.get)
        curves = {f"μ = {mu:g}": [row["accuracy/validation"] for row in runs[mu]] for mu in sorted(runs)}
        log.figure("momentum", plot_curves(curves, "Epoch", "validation accuracy (%)",
                                           f"Momentum, η = {cfg.eta:g}, λ = {cfg.lmbda:g}, seed {log.seed}"))
    return histories
