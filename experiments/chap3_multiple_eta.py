"""Ch.3 "How to choose a neural network's hyper-parameters?": the cost for η = 0.025, 0.25 and 2.5.

Book, Ch.3 (fig/multiple_eta.py): network2's [784, 30, 10] (cross-entropy, N(0, 1/√n_in)
weights), λ = 5.0, m = 10, 30 epochs on the 50,000 training images, the training cost after
each epoch for three learning rates [BOOK.md 3.22]: "With η=0.025 the cost decreases smoothly
until the final epoch. With η=0.25 the cost initially decreases, but after about 20 epochs it
is near saturation ... Finally, with η=2.5 the cost makes large oscillations right from the
start." The book's curves (fig/multiple_eta.json) are drawn beside ours. η = 0.25 is this
run's own; the other two train beside it, in sub-folders.

    python -m repro.run chap3_multiple_eta --seed 0 1 2
"""

from dataclasses import dataclass, replace

from repro.expected import Expected
from repro.plots import plt
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    others: tuple = ()  # these η too, each a run of its own (a sub-folder), drawn on one chart


CONFIG = Config(
    sizes=(784, 30, 10),
    cost="cross_entropy",
    init="default",  # network2's default: Network([784, 30, 10])
    eta=0.25,
    lmbda=5.0,
    mini_batch_size=10,
    epochs=30,
    evaluation="validation",  # the script passes validation_data; it monitors the training cost only
    others=(0.025, 2.5),
)
VARIANTS = {"default": CONFIG}

# fig/multiple_eta.json, the training cost after each epoch, to 3 decimals (BOOK.md Appendix).
BOOK_COSTS = {
    0.025: [0.878, 0.674, 0.598, 0.555, 0.518, 0.494, 0.473, 0.461, 0.443, 0.431, 0.423, 0.414, 0.406, 0.401, 0.392,
            0.387, 0.381, 0.376, 0.373, 0.371, 0.366, 0.363, 0.357, 0.355, 0.354, 0.350, 0.349, 0.346, 0.344, 0.339],
    0.25: [0.495, 0.406, 0.405, 0.372, 0.374, 0.372, 0.354, 0.356, 0.343, 0.343, 0.337, 0.345, 0.335, 0.348, 0.349,
           0.339, 0.328, 0.332, 0.331, 0.330, 0.327, 0.326, 0.320, 0.334, 0.339, 0.325, 0.327, 0.325, 0.331, 0.339],
    2.5: [0.925, 0.839, 0.887, 0.796, 0.781, 1.137, 0.788, 0.768, 0.737, 0.801, 0.744, 0.737, 0.802, 0.852, 0.799,
          0.802, 0.806, 0.815, 0.825, 0.750, 0.937, 0.882, 0.861, 0.725, 0.804, 0.840, 0.834, 0.883, 0.886, 0.861],
}

# Ours, seeds 0-3 side by side (python -m repro.run chap3_multiple_eta --seed 0 1 2 3), training cost:
#   η = 0.025  0.860-0.872 after epoch 0, falling every epoch (seed 2: but once) to 0.342-0.347 (book 0.878 → 0.339)
#   η = 0.25   0.460-0.475 → lowest 0.320-0.332 at epochs 24-29, within 0.021-0.034 over epochs 20-29 (book 0.495 →
#              0.320 at 22 → 0.339)
#   η = 2.5    0.88-1.05 at epoch 0, up 3-4 times in the first 10 epochs, 0.72-1.03 throughout (book 0.725-1.137)
# Peak validation accuracy at η = 0.25: 96.72, 96.46, 96.45, 96.55; after epoch 0, seeds 1-5: 93.49-94.29.
BOOK_FINAL_WITHIN = 0.05  # |our final cost − the book's| at η = 0.025 and 0.25 (ours: 0.003-0.019)
EXPECTED = {
    "default": Expected(
        book=None, source="Ch.3: the book plots training costs only (BOOK.md 3.22)", within=0.0,
        seed_band=(95.4, 97.7), why="no book accuracy: every seed within our four seeds' 96.45-96.72 ± 1 pp",
        quick=dict(epochs=1), quick_band=(92.4, 95.3),
    ),
}


def training_costs(history):
    return [row["cost/train"] for row in history]


def run(cfg, data, logs):
    """Train at η and at each of cfg.others; draw every training-cost curve beside the book's."""
    others = train_alongside({f"eta{eta:g}": replace(cfg, eta=eta, others=()) for eta in cfg.others}, data, logs)
    histories = train_network(cfg, data, logs)
    for log, sibling, history in zip(logs, others, histories):
        costs = {cfg.eta: training_costs(history)} | {float(name[3:]): training_costs(rows)
                                                       for name, rows in sibling.items()}
        log.extra["training_cost"] = {f"{eta:g}": values for eta, values in sorted(costs.items())}
        log.figure("multiple_eta", costs_figure(costs, f"Ch.3's three learning rates, λ = {cfg.lmbda:g}, seed {log.seed}"))
    return histories


def costs_figure(costs, title):
    """Return the training cost per epoch for each η ({η: costs}), ours solid and the book's dashed, one colour each."""
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for k, (eta, values) in enumerate(sorted(costs.items())):
        axes.plot(values, color=f"C{k}", label=f"η = {eta:g}")
        if eta in BOOK_COSTS:
            axes.plot(BOOK_COSTS[eta], color=f"C{k}", linestyle="--", alpha=0.6, label=f"η = {eta:g}, book")
    axes.set(xlabel="Epoch", ylabel="cost on the training data", title=title)
    axes.legend(fontsize="small", ncols=2)
    axes.grid(alpha=0.3)
    return figure
