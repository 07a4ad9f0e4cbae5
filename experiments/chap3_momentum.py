"""Ch.3 "Variations on stochastic gradient descent": momentum-based gradient descent, μ chosen on validation.

Book, Ch.3 [BOOK.md 3F]: a velocity v for each weight, v → v′ = μv − η∇C, w → w′ = w + v′
(Eqs. 107-108); μ is the "momentum co-efficient", 1 − μ the friction, and "we can use the
hold out validation data to select the value of μ". No run and no number in the book. Ours,
on the [784, 30, 10] net with λ = 5.0 of chap3_multiple_eta (network2's defaults otherwise):
μ = 0.5 is this run's own, and μ = 0, 0.2, 0.8, 0.9 train beside it in sub-folders, scored on
validation data, with the best μ said in results.json. With momentum a step moves by up to
η/(1 − μ), so μ is chosen together with η: at η = 0.1 (``default``) and at the book's η = 0.5,
which is already near this net's threshold (variant ``eta0.5``).

    python -m repro.run chap3_momentum --seed 0 1 2
    python -m repro.run chap3_momentum --momentum 0.8 --sweep ''     # one μ alone
"""

from dataclasses import dataclass, replace

from repro.expected import Expected
from repro.plots import plot_curves
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    sweep: tuple = ()  # these μ too, each a run of its own (a sub-folder), drawn on one chart


CONFIG = Config(sizes=(784, 30, 10), cost="cross_entropy", init="default", eta=0.1, lmbda=5.0, mini_batch_size=10,
                epochs=30, evaluation="validation", momentum=0.5, sweep=(0.0, 0.2, 0.8, 0.9))
VARIANTS = {
    "default": CONFIG,
    "eta0.5": replace(CONFIG, eta=0.5),  # the book's η for this net, already near its threshold (Ch.3: 0.5)
}

# Ours, python -m repro.run chap3_momentum --variant eta0.5 --seed 0 1 2 3, peak validation accuracy by μ:
#   μ = 0     96.50, 96.54, 96.20, 96.42        μ = 0.2   96.38, 96.33, 95.93, 96.26
#   μ = 0.5   96.11, 95.59, 95.41, 95.93        μ = 0.8   94.09, 93.47, 93.85, 93.66
#   μ = 0.9   87.38, 87.99, 87.27, 87.42        best μ: 0 for every seed (the steps are already as large as they can be)
# At η = 0.1, seeds 0-2 (python -m repro.run chap3_momentum --seed 0 1 2: 5.6 minutes), peak (after epoch 0):
#   μ = 0     96.63, 96.49, 96.68 (92.81-93.03)      μ = 0.2   96.64, 96.67, 96.70 (93.03-93.49)
#   μ = 0.5   96.81, 96.39, 96.57 (93.78-93.97)      μ = 0.8   96.27, 96.44, 96.34 (94.15-94.72)
#   μ = 0.9   95.88, 95.83, 95.94 (91.67-93.55)      best μ: 0.5, 0.2, 0.2
# Momentum speeds the start (μ = 0.8 ahead after epoch 0 by 1.1-1.7 pp), μ ≤ 0.5 ends level or a little ahead of
# plain SGD, and μ = 0.9 (steps up to 10η) is too much. After epoch 0 at μ = 0.5, seeds 1-5: 93.32-93.97.
EXPECTED = {
    "default": Expected(
        book=None, source='Ch.3 "Momentum-based gradient descent": no run, no number (BOOK.md 3F)', within=0.0,
        seed_band=(95.3, 97.9), why="no book number: every seed within our three seeds' 96.39-96.81 (μ = 0.5) ± 1 pp",
        quick=dict(epochs=1), quick_band=(92.3, 95.0),
    ),
    "eta0.5": Expected(
        book=None, source='Ch.3 "Momentum-based gradient descent": no run, no number (BOOK.md 3F)', within=0.0,
        seed_band=(94.4, 97.1), why="no book number: every seed within our four seeds' 95.41-96.11 (μ = 0.5) ± 1 pp",
    ),
}


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
