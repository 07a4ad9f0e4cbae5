"""Ch.1 "Implementing our network to classify digits": network.py, quadratic cost, η = 3.0.

Book, Ch.1: a [784, 30, 10] sigmoid network trained by mini-batch SGD (m = 10, η = 3.0,
30 epochs) on the quadratic cost, weights and biases drawn from N(0, 1), reaches
"95.42 percent at its peak ("Epoch 28")"; with 100 hidden neurons, 96.59 percent.
Chapter 1 reports the best of three runs.

    python -m repro.run chap1_network --seed 0 1 2          # the book's protocol, best of 3 (make run)
    python -m repro.run chap1_network --variant hidden100 --seed 0 1 2
"""

from dataclasses import replace

from repro.expected import Expected
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
    "no_hidden": replace(CONFIG, sizes=(784, 10)),  # the exercise: no hidden layer, "What accuracy can you achieve?"
}

# Measured here over 64 seeds (python -m repro.run chap1_network --seed 0 1 ... 15, then 16-31, 32-47, 48-63;
# 13.4 minutes on one core, side by side): after the first epoch 17 of 64 runs (26.6%) never predict
# one digit (results.json: digits/test = 9): an output neuron saturated early, the quadratic cost's
# learning slowdown (Ch.3, "The cross-entropy cost function"). Most recover. After 30 epochs 5 of 64
# (7.8%) are still stuck, peaking at 86.09-86.77% with that digit never (3 runs) or almost never
# (2 runs) predicted; the other 59 peak at 94.81-95.67%. That is why Ch.1 reports the best of three
# runs, so the book's number is compared with the best of our 3 seeds (by test: network.py evaluates only the test
# set, so Ch.1's best of three can only be chosen on it, unlike Ch.6's): over the 21 triples 3k..3k+2
# the best ranges 94.91-95.67 (seeds 0-2: 94.91, as two of them are stuck).
EXPECTED = {
    "default": Expected(
        book=95.42, source='Ch.1: "95.42 percent at its peak ("Epoch 28")", best of 3 runs',
        statistic="best", within=0.6, seed_band=(83.0, 97.42),
        why="best of seeds 0-2 within 0.6 pp of the book, as Ch.1 reports best-of-3 (the best of each of our 21 "
            "triples lies within 0.51 pp); every seed above 83.0 (stuck runs peak at 86.09-86.77 over 64 seeds, and "
            "a 72-seed measurement before this code found one at 83.89) and below book + 2 pp",
        note="5 of 64 seeds get stuck with a digit (almost) never predicted (7.8%; 27% after the first epoch): "
             "the quadratic cost's learning slowdown (Ch.3). ",
        # First 2 epochs, seeds 1-63 of the 64 above: 82.61-92.99 (stuck and learning) -> [min - 1, max + 1].
        quick=dict(epochs=2), quick_band=(81.6, 94.0),
    ),
    # Seeds 0-4 (python -m repro.run chap1_network --variant hidden100 --seed 0 1 2 3 4; their records are in
    # results/chap1_network/hidden100/): one learns (seed 1), the other four stall far below the book.
    # The book's footnote warns of exactly this: "some training runs give results quite a bit worse".
    "hidden100": Expected(
        book=96.59, source='Ch.1: "96.59 percent" (footnote: "quite some variation in results")',
        statistic="best", within=0.6, seed_band=(40.0, 98.59),
        why="best of seeds 0-2 within 0.6 pp of the book (Ch.1 reports best-of-3); a seed may get stuck far "
            "below the book (4 of our seeds 0-4 do), so the per-seed floor only rules out a network that learned "
            "nothing",
    ),
    # The exercise, seeds 0-5, recorded (python -m repro.run chap1_network --variant no_hidden --seed 0 1 2 3 4 5):
    # 74.58, 91.73, 91.77, 75.38, 84.10, 76.04 (82.27 ± 8.11). Without a hidden layer the quadratic cost's slowdown
    # still bites: the 74-76% runs spent epochs with an output neuron saturated. After epoch 0, seeds 1-5: 37.29-78.40.
    "no_hidden": Expected(
        book=None, source='Ch.1 exercise: "What classification accuracy can you achieve?" (BOOK.md 1.6, no number)',
        within=0.0, seed_band=(65.0, 95.0),
        why="no book number: every seed within our six seeds' 74.58-91.77, widened ~10 pp below and 3 above",
        quick=dict(epochs=1), quick_band=(36.3, 79.4),
    ),
}


def run(cfg, data, logs):
    """Train network.py's network with SGD and record test accuracy every epoch."""
    return train_network(cfg, data, logs)
