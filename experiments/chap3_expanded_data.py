"""Ch.3 "Artificially expanding the training data": each image kept, rotated by ±15° and moved one pixel.

Book, Ch.3: with few training images, make more from them: a digit rotated by a small
angle (the book's example: "15 degrees") is still that digit to us, but a new image to
the network. The book runs no experiment here; it cites Simard, Steinkraus and Platt
(2003), 98.4% → 98.9% with rotations, translations and skewing [BOOK.md 3.19]. Here each
training image is joined by its two rotations (bilinear, the corners that turn in black)
and its four one-pixel shifts (Ch.6's expand_mnist.py): 7 for each. No random numbers:
every seed gets the same set, and shuffles it its own way.

default: chap3_overfitting's 1,000 images made 7,000; 57 epochs, the steps of its 400
    (57 × 7,000 = 399 × 1,000): 400 epochs here peaked by epoch 32, then slipped ~0.5 pp.
    Beside it, in ``unexpanded/``, the same network on the 1,000 for those 399 epochs.
full: chap3_regularization's "full", 50,000 images made 350,000, λ = 35 (λ/n = 1e-4 as
    there: the book's own rule from 1,000 to 50,000 images), 30 epochs; not retrained.

    python -m repro.run chap3_expanded_data --seed 0 1 2 3 4 5    # ~5 min side by side
    python -m repro.run chap3_expanded_data --variant full --seed 0 1 2   # ~8 min
"""

from dataclasses import asdict, dataclass, replace

import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2.functional import rotate

from experiments import chap3_overfitting, chap3_regularization
from repro.data import Split, shifted
from repro.expected import Expected
from repro.plots import plot_curves, plot_versions
from repro.train import SGDConfig, train_alongside, train_network


@dataclass(frozen=True)
class Config(SGDConfig):
    angles: tuple = (-15, 15)  # rotations in whole degrees, anticlockwise, a copy of every image each (Ch.3: 15°)
    shifts: bool = True  # also every image moved one pixel down, up, right and left (Ch.6's expand_mnist.py)
    baseline: bool = True  # also train it on the images as they are, as many steps, in the sub-folder "unexpanded"


# [784, 30, 10], N(0, 1), η = 0.5, λ = 0, the first 1,000 images; 57 epochs of 7,000: the steps of 400 of 1,000
CONFIG = Config(**asdict(chap3_overfitting.CONFIG) | {"epochs": 57})

VARIANTS = {
    "default": CONFIG,
    # λ/n = 35/350,000 = 1e-4, as chap3_regularization's 5/50,000; baseline: its own runs (96.23 ± 0.18)
    "full": Config(**asdict(chap3_regularization.FULL) | {"lmbda": 35.0, "baseline": False}),
}

# Ours, python -m repro.run chap3_expanded_data --seed 0 1 2 3 4 5 --epochs 400 (10 min), peak test accuracy (epoch):
#   expanded   89.26 (20), 89.35 (23), 89.68 (26), 89.96 (14), 88.04 (32), 88.82 (20); mean 89.19 ± 0.68
#   unexpanded 83.40, 82.88, 83.59, 82.91, 82.22, 83.01 (chap3_overfitting's own): behind by 5.81-7.05 pp
# Every peak by epoch 32: the default's 57 epochs hold the same peaks (seeds 0-2 rerun so: the same).
EXPECTED = {
    "default": Expected(
        book=None, source='Ch.3 "Artificially expanding the training data": rotations by "15 degrees", no run of '
                          'its own; Simard et al. cited, 98.4 -> 98.9 (BOOK.md 3.19)', within=0.0,
        seed_band=(87.0, 91.0),
        why="no book number: our six seeds' 88.04-89.96 widened to [min - 1, max + 1]; the floor lies above "
            "chap3_overfitting's ceiling (84.27), so a run in the band has gained from the expansion",
        # First 15 epochs, seeds 1-5: 87.80-89.96 -> [min - 1, max + 1]; no baseline child, to stay quick.
        quick=dict(epochs=15, baseline=False), quick_band=(86.8, 91.0),
    ),
    # Ours, --variant full --seed 0 1 2: 96.64 (epoch 17), 96.54 (25), 96.61 (15), 96.60 ± 0.05, 7.6 min side by
    # side; chap3_regularization's full: 96.23 ± 0.18. Training accuracy 94.8%: the turned digits are harder.
    "full": Expected(
        book=None, source='as "default"; Simard et al.\'s gain, 98.4 -> 98.9, is on 800 hidden neurons',
        within=0.0, seed_band=(95.5, 97.6),
        why="no book number: our three seeds' 96.54-96.64 widened to [min - 1, max + 1], as chap3_regularization's "
            "±1 pp; a gain of 0.4 pp is within its band, so the band alone does not prove one",
    ),
}


def expand(split, angles=(-15, 15), shifts=True):
    """Return split's images followed by one rotated copy of them per angle and, with shifts, four moved ones.

    The originals stay first, in their order (``first(n)`` gives them back); block k of n
    images is version k of every image, labels carried: (1 + len(angles) + 4)·n images.
    """
    images = split.images.view(-1, 28, 28)  # (n, 28, 28)
    versions = [images]
    for angle in angles:  # torchvision rotates (…, C, H, W) about the centre; bilinear, zero fill
        versions.append(rotate(images.unsqueeze(1), angle, InterpolationMode.BILINEAR, fill=0).squeeze(1))
    if shifts:
        versions += [shifted(images, step, axis) for axis in (1, 2) for step in (1, -1)]  # down, up, right, left
    return Split(torch.cat(versions).view(-1, 784), split.labels.repeat(len(versions)))


def version_names(cfg):
    """Return the name of each block of ``expand``'s images, in order: the originals, each angle, each shift."""
    shifts = ["down", "up", "right", "left"] if cfg.shifts else []
    return ["original"] + [f"{angle:+d}°" for angle in cfg.angles] + shifts


def run(cfg, data, logs):
    """Train on the expanded images (with cfg.baseline first on the originals alone, as many steps); draw both."""
    originals = data.training.first(cfg.train_size)
    training = expand(originals, cfg.angles, cfg.shifts)
    times = len(training) // len(originals)  # 7: an epoch here is 7 epochs of the originals
    unexpanded = replace(cfg, angles=(), shifts=False, baseline=False, epochs=cfg.epochs * times)
    baselines = train_alongside({"unexpanded": unexpanded}, data, logs) if cfg.baseline else [{} for _ in logs]
    histories = train_network(cfg, data, logs, training=training)  # n in λ/n: len(training)
    split, grown = f"accuracy/{cfg.evaluation}", f"Ch.3: {len(originals):,} training images become {len(training):,}"
    for log, history, baseline in zip(logs, histories, baselines):
        log.extra["training_images"] = len(training)
        log.figure("expanded_versions", plot_versions(training.images, len(originals), version_names(cfg), grown))
        curves = {f"expanded: {len(training):,} images": [row[split] for row in history]}
        if baseline:  # its epochs 6, 13, 20, …: after as many steps as each epoch here
            curves[f"as they are: {len(originals):,} images, every {times}th epoch"] = \
                [row[split] for row in baseline["unexpanded"][times - 1::times]]
        log.figure("expanded_data", plot_curves(curves, f"Epoch (of {len(training):,} images)",
                                                f"{cfg.evaluation} accuracy (%)",
                                                f"Expanded training data, {cfg.sizes}, seed {log.seed}"))
    return histories
