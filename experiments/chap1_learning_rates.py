"""Ch.1 "Implementing our network to classify digits": the learning rate, too small and too large.

Book, Ch.1 (network.py: sigmoid, quadratic cost, N(0, 1) weights, m = 10, 30 epochs, test
accuracy every epoch, best of three runs): with η = 0.001 the [784, 100, 10] network crawls
from 1,139 to 2,142 correct test images, 21.42% [BOOK.md 1.3]; "increasing the learning rate,
say to η = 0.01 ... we get better results", and so on to η = 1.0, "perhaps fine tune to 3.0"
[1.4, no number]; with η = 100 the [784, 30, 10] network is stuck: 1,009 correct in epochs 0-3,
982 at the end [1.5].

    python -m repro.run chap1_learning_rates --variant eta0.001 --seed 0 1 2
    python -m repro.run chap1_learning_rates --variant walk --seed 0   # η = 0.001 → 0.01 → 1.0 → 3.0, one chart
"""

from dataclasses import asdict, dataclass, replace

from experiments import chap1_network
from repro.expected import Expected
from repro.plots import plot_curves
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    walk: tuple = ()  # Ch.1's walk: these η, each a run of its own (a sub-folder), drawn on one chart


CONFIG = Config(**{**asdict(chap1_network.CONFIG), "sizes": (784, 100, 10), "eta": 0.001})

VARIANTS = {
    "eta0.001": CONFIG,
    "eta0.01": replace(CONFIG, eta=0.01),
    "eta1": replace(CONFIG, eta=1.0),
    "eta100": replace(CONFIG, sizes=(784, 30, 10), eta=100.0),
    "walk": replace(CONFIG, eta=3.0, walk=(0.001, 0.01, 1.0)),  # and η = 3.0 itself, in the run's own folder
}

# Ours, seeds 0-5, recorded (python -m repro.run chap1_learning_rates --variant V --seed 0 1 2 3 4 5), peak
# test accuracy: the N(0, 1) weights make the slow runs very seed-dependent.
#   eta0.001  21.82, 32.82, 15.54, 28.95, 29.34, 16.55  (24.17 ± 7.25; after epoch 0: 9.55-15.31)
#   eta0.01   47.23, 68.02, 29.01, 68.19, 51.41, 50.72  (52.43 ± 14.64; after epoch 0: 12.85-24.47)
#   eta1      77.64, 95.80, 47.33, 84.79, 77.35, 77.56  (76.75 ± 16.09; 4 of 6 never predict 1-2 digits)
#   eta100    10.31, 10.33,  9.26, 10.12,  8.48, 11.34  (9.97 ± 0.99; each predicts 1-4 digits only)
# Ch.1 says "To generate results in this chapter I've taken best-of-three runs" and calls the η = 0.001 printout
# "The results are much less encouraging", so its 21.42% is held as a best of three, like 95.42% and 96.59%.
EXPECTED = {
    "eta0.001": Expected(
        book=21.42, source="Ch.1: Epoch 0: 1139 ... Epoch 29: 2142 (BOOK.md 1.3), best of 3 runs", statistic="best",
        within=6.0, seed_band=(12.0, 40.0),
        why="Ch.1 reports the best of three; ours spread ±7 pp per seed (15.54-32.82 over 6 seeds), so the best of "
            "seeds 0-2 within 6 pp of it, and every seed between chance and η = 0.01's typical run",
        unreproduced="the best of our seeds 0-2 is 32.82% (of seeds 3-5 29.34%), 11.4 pp above the book's 21.42% "
                     "best of three; our mean, 23.39%, lies within 2 pp of it: with N(0, 1) weights, η = 0.001 "
                     "ends anywhere in 15.5-32.8% (6 seeds), and only 2 of our 6 end below the book's best",
        # After epoch 0, seeds 1-5: 9.55-15.31 -> [min - 1, max + 1].
        quick=dict(epochs=1), quick_band=(8.5, 16.3),
    ),
    "eta0.01": Expected(
        book=None, source='Ch.1: "If we do that, we get better results" (BOOK.md 1.4, no number)', within=0.0,
        seed_band=(20.0, 80.0), why="no book number: every seed within our six seeds' 29.01-68.19, widened ~10 pp",
        # After epoch 0, seeds 1-5: 12.85-24.47 -> [min - 1, max + 1].
        quick=dict(epochs=1), quick_band=(11.8, 25.5),
    ),
    "eta1": Expected(
        book=None, source='Ch.1: "a learning rate of something like η = 1.0" (BOOK.md 1.4, no number)', within=0.0,
        seed_band=(35.0, 98.0), why="no book number: every seed within our six seeds' 47.33-95.80, widened; "
                                    "most get stuck with a digit or two never predicted (quadratic cost, N(0, 1))",
    ),
    "eta100": Expected(
        book=10.09, source="Ch.1: Epochs 0-3: 1009 each ... 27, 28, 29: 982 each (BOOK.md 1.5), best of 3 runs",
        statistic="best", within=1.0, seed_band=(8.0, 12.0),
        why="a stuck network scores about the share of the digits it still predicts: one digit is 8.92% (a 5) to "
            "11.35% (a 1) of the test set; ours 8.48-11.34 over 6 seeds",
        # After epoch 0, seeds 1-5: 8.48-10.33: the same stuck band.
        quick=dict(epochs=1), quick_band=(8.0, 12.0),
    ),
}


def run(cfg, data, logs):
    """Train with η; for the walk, first each η of cfg.walk in a sub-folder, then draw every curve."""
    if not cfg.walk:
        return train_network(cfg, data, logs)
    walks = train_alongside({f"eta{eta:g}": replace(cfg, eta=eta, walk=()) for eta in cfg.walk}, data, logs)
    histories = train_network(replace(cfg, walk=()), data, logs)
    for log, walk, history in zip(logs, walks, histories):
        curves = {f"η = {name[3:]}": [row["accuracy/test"] for row in rows] for name, rows in walk.items()}
        curves[f"η = {cfg.eta:g}"] = [row["accuracy/test"] for row in history]
        log.figure("learning_rates", plot_curves(curves, "Epoch", "test accuracy (%)",
                                                 f"Ch.1's learning rates, {cfg.sizes}, seed {log.seed}"))
    return histories
