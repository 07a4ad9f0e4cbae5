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

# Measured here (python -m repro.run chap1_network --seed 0 1 2 3 4 5; repro.report): in 3 of 6
# seeds one output neuron saturates early and its digit is never predicted again
# (peaks 86.12-86.37%); the other 3 peak at 94.86-95.26%. That is the quadratic cost's
# learning slowdown (Ch.3, "The cross-entropy cost function") and why Ch.1 reports the
# best of three runs. So the book's number is compared with the best of our 3 seeds.
EXPECTED = {
    "default": Expected(
        book=95.42, source='Ch.1: "95.42 percent at its peak ("Epoch 28")", best of 3 runs',
        statistic="best", within=0.6, seed_band=(85.0, 97.42),
        why="best of seeds 0-2 within 0.6 pp of the book, as Ch.1 reports best-of-3; every seed above "
            "85.0 (stuck runs peak at 86.12-86.37 over 6 seeds) and below book + 2 pp",
        # First 2 epochs, seeds 1-5: stuck 83.70, 83.91; learning 92.29, 92.38, 92.39 -> [min - 1, max + 1].
        quick=dict(epochs=2), quick_band=(82.7, 93.4),
    ),
    # Seeds 0-4 (python -m repro.run chap1_network --variant hidden100 --seed 0 1 2 3 4): 96.47 and
    # 96.40% learned; 87.46, 78.10 and 49.15% stuck with 1, 2 and 4 digits (almost) never predicted.
    # The book's footnote warns of exactly this: "some training runs give results quite a bit worse".
    "hidden100": Expected(
        book=96.59, source='Ch.1: "96.59 percent" (footnote: "quite some variation in results")',
        statistic="best", within=0.6, seed_band=(40.0, 98.59),
        why="best of seeds 0-2 within 0.6 pp of the book (Ch.1 reports best-of-3); a seed may get stuck "
            "as low as 49% (seed 2), so the per-seed floor only rules out a network that learned nothing",
    ),
}


def run(cfg, data, logs):
    """Train network.py's network with SGD and record test accuracy every epoch."""
    return train_network(cfg, data, logs)
