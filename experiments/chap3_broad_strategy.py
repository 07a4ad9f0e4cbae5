"""Ch.3 "How to choose a neural network's hyper-parameters?": the broad strategy's walk-through.

Book, Ch.3 [BOOK.md 3.21]: a network that learns nothing is where a search starts. With η =
10.0 and λ = 1000.0 the [784, 30, 10] network scores about chance on validation data (1030,
990, 1009, … 967 of 10,000: variant ``default``). So strip the problem down: a [784, 10]
network on 1,000 training images, scored on validation_data[:100] for fast feedback, still
10 of 100 (``no_hidden``); keep λ/n as it was, λ = 1000 · 1,000/50,000 = 20.0, and it learns
a little: 12, 14, 25, 18 (``lmbda20``); η = 100.0 breaks it again: 10, 10, 10 (``eta100``);
η = 1.0 works: 62, 42, 43, 61 (``eta1``). Single runs, 30 epochs each; the book prints the
first four or so epochs only, so its numbers here are the best it printed.
DEVIATION(book): the first 1,000 training images, where the book's session had shuffled them
in place (network2.SGD) and trained on a random 1,000 (BOOK.md discrepancy 11).

    python -m repro.run chap3_broad_strategy --seed 0 1 2
    python -m repro.run chap3_broad_strategy --variant eta1 --seed 0 1 2
"""

from dataclasses import dataclass, replace

from repro.report import Expected
from repro.train import SGDConfig, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    evaluation_size: int = 0  # score on the first n images of the evaluation split only (the book: 100); 0: all


CONFIG = Config(sizes=(784, 30, 10), cost="cross_entropy", init="default", eta=10.0, lmbda=1000.0,
                mini_batch_size=10, epochs=30, evaluation="validation")
NO_HIDDEN = replace(CONFIG, sizes=(784, 10), train_size=1000, evaluation_size=100)

VARIANTS = {
    "default": CONFIG,
    "no_hidden": NO_HIDDEN,
    "lmbda20": replace(NO_HIDDEN, lmbda=20.0),
    "eta100": replace(NO_HIDDEN, lmbda=20.0, eta=100.0),
    "eta1": replace(NO_HIDDEN, lmbda=20.0, eta=1.0),
}

EXPECTED = {}


def run(cfg, data, logs):
    """Train on cfg's images, scored every epoch on the first cfg.evaluation_size images of the evaluation split."""
    if cfg.evaluation_size:
        data = replace(data, **{cfg.evaluation: getattr(data, cfg.evaluation).first(cfg.evaluation_size)})
    return train_network(cfg, data, logs)
