"""Ch.1 "Implementing our network to classify digits": network.py, quadratic cost, η = 3.0.

Book, Ch.1: a [784, 30, 10] sigmoid network trained by mini-batch SGD (m = 10, η = 3.0,
30 epochs) on the quadratic cost, weights and biases drawn from N(0, 1), reaches
"95.42 percent at its peak ("Epoch 28")"; with 100 hidden neurons, 96.59 percent.
Chapter 1 reports the best of three runs.

    python -m repro.run chap1_network                      # the book's run, seed 0
    python -m repro.run chap1_network --variant hidden100 --seed 0 1 2
"""

from dataclasses import replace

from repro.report import Expected
from repro.train import SGDConfig, train_network

CONFIG = SGDConfig(
    sizes=(784, 30, 10),
    cost="quadratic",  # network.py: C = ½‖y − a‖²
    init="large",  # network.py: weights and biases ~ N(0, 1)
    eta=3.0,
    lmbda=0.0,  # network.py has no regularisation
    mini_batch_size=10,
    epochs=30,
    evaluation="test",  # network.py prints test accuracy after every epoch
)

VARIANTS = {
    "default": CONFIG,
    "hidden100": replace(CONFIG, sizes=(784, 100, 10)),
}

EXPECTED = {
    "default": Expected(
        book=95.42, source='Ch.1: "95.42 percent at its peak ("Epoch 28")", best of 3 runs',
        mean_within=0.6, seed_within=2.0,
        why="TODO",
        quick=dict(epochs=2), quick_band=(0.0, 100.0),
    ),
    "hidden100": Expected(
        book=96.59, source='Ch.1: "96.59 percent" (footnote: "quite some variation in results")',
        mean_within=0.6, seed_within=2.0,
        why="TODO",
    ),
}


def run(cfg, data, log):
    """Train network.py's network with SGD and record test accuracy every epoch."""
    return train_network(cfg, data, log)
