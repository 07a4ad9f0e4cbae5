"""The companion videos' network on shuffled labels: does it learn digits, or memorise?

3Blue1Brown, "What is backpropagation really doing?" (after Zhang et al. 2017, "Understanding
deep learning requires rethinking generalization"): a network trained on images whose labels
were shuffled still learns to get its training images right, given enough time, but its
training cost falls slowly and near-linearly, where on the true labels it falls fast; and on
images it has not seen it is right by chance only. Here: the videos' [784, 16, 16, 10] network
(seeds_what_it_learned) on the first 1,000 training images, their labels shuffled once (the
same permutation for every seed), against the same images with their true labels in a
sub-folder (one chart in TensorBoard). No regularisation (λ = 0): memorising is the point.

    python -m repro.run seeds_random_labels --seed 0 1 2
"""

from dataclasses import replace

import torch

from experiments.seeds_what_it_learned import CONFIG as VIDEOS
from repro.data import Split
from repro.plots import plot_curves
from repro.train import train_alongside, train_network

CONFIG = replace(VIDEOS, train_size=1000, lmbda=0.0, epochs=400)
VARIANTS = {"default": CONFIG}
SHUFFLE_SEED = 2017  # the labels' permutation: one for every seed, so that only the network's init and order differ
AFTER = (10, 50)  # epochs after which the two training costs are compared

BOOK = "the videos (after Zhang et al. 2017): shuffled labels are learned, slowly, and score chance on test (no number)"
EXPECTED = {}


def shuffled(split):
    """Return the split with its labels permuted: the digits stay, what they are called is noise."""
    order = torch.randperm(len(split), generator=torch.Generator().manual_seed(SHUFFLE_SEED))
    return Split(split.images, split.labels[order.to(split.labels.device)])


def run(cfg, data, logs):
    """Train on the true labels (sub-folder) and on the shuffled ones; compare training cost and accuracy."""
    training = data.training.first(cfg.train_size)
    noise = shuffled(training)
    chance = 100 * float((noise.labels == training.labels).double().mean())  # a memoriser's accuracy on new images
    true = train_alongside({"true_labels": cfg}, data, logs)
    histories = train_network(cfg, data, logs, training=noise)
    for log, sibling, history in zip(logs, true, histories):
        runs = {"true labels": sibling["true_labels"], "shuffled labels": history}
        log.extra["training_cost_after"] = {
            name: {str(k): rows[k - 1]["cost/train"] for k in AFTER if k <= len(rows)} for name, rows in runs.items()}
        log.extra["best_training_accuracy"] = {name: max(row["accuracy/train"] for row in rows)
                                               for name, rows in runs.items()}
        log.extra["chance"] = chance
        for metric, label in (("cost/train", "training cost"), ("accuracy/train", "training accuracy (%)"),
                              (f"accuracy/{cfg.evaluation}", f"{cfg.evaluation} accuracy (%)")):
            curves = {name: [row[metric] for row in rows] for name, rows in runs.items()}
            log.figure(metric.replace("/", "_"), plot_curves(curves, "Epoch", label,
                                                             f"{cfg.sizes}, {cfg.train_size} images, seed {log.seed}"))
    return histories
