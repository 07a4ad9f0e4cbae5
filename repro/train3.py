"""Stochastic gradient descent exactly as network3.Network.SGD (Ch.6).

network3 minimises, per mini-batch of m, the mean log-likelihood plus an L2 term,

    C = (1/m) Σₓ −ln aᴸ_y(x) + 0.5·λ·Σ‖w‖² / num_training_batches,    num_training_batches = n/m,

so each step is w ← (1 − η·λ·m/n)·w − η·∇C̄ and b ← b − η·∇C̄ (C̄ the mean term; biases
are not decayed): torch.optim.SGD with weight_decay = λ·m/n on the weights only, ten
times network2's λ/n at m = 10 (repro.update.sgd; tests/test_conv.py proves the two equal). Unlike
network2, the mini-batches follow the training set's order every epoch (no reshuffle).
After each epoch network3 measures validation accuracy, and test accuracy only when
validation reached its best so far (ties included); chapter 6 reports that test
accuracy at the best-validation epoch.
"""

from dataclasses import dataclass

import torch
from torchvision.utils import make_grid
from tqdm import tqdm

from repro import sgd
from repro.config import Checked
from repro.costs import ACTIVATIONS
from repro.data import N_TRAINING, expanded
from repro.expected import Headline
from repro.layers import ConvPool
from repro.network3 import Network3
from repro.seeds import SideBySide, networks
from repro.update import Rule


@dataclass(frozen=True)
class Network3Config(Checked):
    """Hyper-parameters of a network3 run; the defaults are Ch.6's first, fully connected, network."""

    conv_maps: tuple = ()  # feature maps of each conv-pool layer (5×5, stride 1, 2×2 max-pool): Ch.6 uses 20, 40
    fc_sizes: tuple = (100,)  # neurons of each fully connected layer between the conv layers and the softmax
    activation: str = "sigmoid"  # activation_fn of the conv and fully connected layers
    p_dropout: float = 0.0  # p_dropout of the fully connected and softmax layers' inputs
    eta: float = 0.1  # η, the learning rate
    lmbda: float = 0.0  # λ, L2 regularisation, scaled by m/n as network3 (weight decay λ·m/n)
    mini_batch_size: int = 10  # m
    epochs: int = 60  # passes over the training set
    train_size: int = N_TRAINING  # n: train on the first n of the 50,000 training images (before expansion)
    expanded: bool = False  # Ch.6 "Expanding the training data": 5n images, each shifted one pixel 4 ways
    backend: str = "manual"  # where ∇C comes from: "manual" (BP1–BP4 called directly), "function", "autograd"
    compile: str = "off"  # "on": the manual step under torch.compile; "cuda-graphs": also replayed as a CUDA graph
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def checks(self):
        """network3's own fields; the shared ones are repro.config's."""
        return [
            (len(self.conv_maps) <= 2 and min(self.conv_maps + self.fc_sizes, default=1) >= 1,
             f"at most 2 conv-pool layers (28 → 12 → 4) and positive sizes, got {self.conv_maps}, {self.fc_sizes}"),
            (self.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"),
        ]

    def network(self, generator):
        """Return this configuration's network, initialised from generator."""
        return Network3.create(self.conv_maps, self.fc_sizes, ACTIVATIONS[self.activation], self.p_dropout,
                               generator).to(self.device)

    @property
    def headline(self):
        """Ch.6 reports test accuracy at the epoch of the best validation accuracy, as network3 prints it."""
        return Headline("test", select_on="validation")

    def eta_after(self, history):
        """Return η for the epoch after ``history``, or None where the run ends: network3 keeps one η."""
        return self.eta if len(history) < self.epochs else None


def weight_decay(cfg, n):
    """Return network3's λ / num_training_batches = λ·m/n, for n training images: its weight decay."""
    return cfg.lmbda * cfg.mini_batch_size / n


def network3_rule(cfg, n):
    """Return network3's update for n training images: w ← (1 − η·λ·m/n)w − η∇C̄ (one η all run)."""
    return Rule(cfg.eta, cfg.eta * weight_decay(cfg, n))


def training_cost(network, total, batches, l2):
    """Return each seed's network3 training cost: its mini-batches' mean costs ``total`` over ``batches``, + L2."""
    squared = [(w ** 2).flatten(1).sum(1).tolist() for w in network.weights]  # ‖w‖² per layer, per seed
    return [cost / batches + 0.5 * l2 * sum(layer[seed] for layer in squared)  # in Python floats, as network3
            for seed, cost in enumerate(total.tolist())]


def accuracy(network, split, name):
    """Return, per seed of the networks side by side, the accuracy on split."""
    network.eval()
    correct = (network.predict(split.images) == split.labels).sum(-1).tolist()
    return [{f"accuracy/{name}": 100 * count / len(split), f"correct/{name}": count} for count in correct]


def evaluate(network, data, best_validation):
    """Return, per seed, validation accuracy, and test accuracy too where validation ≥ its best so far (network3)."""
    metrics = accuracy(network, data.validation, "validation")
    best = [row["accuracy/validation"] >= best for row, best in zip(metrics, best_validation)]  # ≥: ties move later
    if any(best):
        for row, is_best, test in zip(metrics, best, accuracy(network, data.test, "test")):
            row |= test if is_best else {}
    return metrics


def epoch_metrics(network, data, costs, epoch, logs):
    """Return each seed's metrics after an epoch (its training cost, network3's evaluation); print its lines."""
    best = [max((row["accuracy/validation"] for row in log.history), default=-1.0) for log in logs]
    metrics = [row | {"cost/train": cost} for row, cost in zip(evaluate(network, data, best), costs)]
    print_epoch(epoch, metrics, logs)
    return metrics


def print_epoch(epoch, metrics, logs):
    """Print network3's lines for each seed: validation accuracy, and the test accuracy at a new best."""
    for row, log in zip(metrics, logs):
        print(f"Epoch {epoch}{f', seed {log.seed}' if len(logs) > 1 else ''}: validation accuracy "
              f"{row['accuracy/validation']:.2f}%")
        if "accuracy/test" in row:
            print(f"This is the best validation accuracy to date. Test accuracy {row['accuracy/test']:.2f}%")


def first_layer_filters(network):
    """Return the first conv layer's kernels as an image grid, darker = larger weight, as the book's figure."""
    if not isinstance(network.layers[0], ConvPool):
        return {}
    kernels = -network.layers[0].weight.detach().cpu()  # (n_maps, 1, 5, 5); Ch.6: "Darker blocks mean a larger weight"
    kernels = kernels.repeat_interleave(8, 2).repeat_interleave(8, 3)  # 40×40 pixels each, to be seen
    return {"filters/layer1": make_grid(kernels, nrow=10, padding=4, normalize=True, pad_value=1.0)}


class Network3SGD:
    """What network3.SGD does around its steps (repro/sgd.py runs the loop).

    Mini-batches in the training set's order every epoch (each seed its own expanded set,
    Ch.6); the training cost is the mean of the mini-batches' costs; after each epoch
    validation accuracy, and test accuracy at a new best; the first layer's filters as an image.
    """

    costs_from_steps = True

    def __init__(self, cfg, data):
        self.cfg, self.data = cfg, data
        self.training = data.training.first(cfg.train_size)
        self.x, self.y = self.training.images, self.training.one_hot()  # what every seed trains on, unexpanded
        self.stacked = (None, None, None)  # (the seeds' run folders, their expanded sets' images, labels)

    def start(self, logs):
        """Return the seeds side by side, each with its own expanded set where the configuration expands."""
        generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the expanded set's order, the init
        own_sets = [expanded(self.training, generator) for generator in generators] if self.cfg.expanded else None
        device = self.training.images.device
        dropout_generators = [torch.Generator(device=device).manual_seed(log.seed) for log in logs]
        network = networks(self.cfg, logs, self.training.images.dtype, generators, dropout_generators)
        return SideBySide(network, logs, dropout_generators, self.cfg, data=own_sets)

    def training_set(self, seeds):
        """Return (x, y): the images every seed trains on, (n, 784), or each seed's own expanded set, (seeds, n, 784)."""
        if not self.cfg.expanded:
            return self.x, self.y
        if self.stacked[0] != [log.run_dir for log in seeds.logs]:  # stacked once per set of seeds
            self.stacked = ([log.run_dir for log in seeds.logs], torch.stack([split.images for split in seeds.data]),
                            torch.stack([split.one_hot() for split in seeds.data]))
        return self.stacked[1:]

    def mini_batches(self, seeds, epoch):
        """Yield (x, y, dropout masks) of the next m images in file order; network3 drops a last partial batch."""
        (x, y), m = self.training_set(seeds), self.cfg.mini_batch_size
        for k in tqdm(range(0, x.shape[-2] // m * m, m), desc=f"epoch {epoch}", leave=False, disable=None):
            masks = seeds.network.dropout_masks(m, seeds.generators)  # one draw serves every backend
            yield x[..., k:k + m, :], y[..., k:k + m, :], masks

    def rule(self, seeds, eta):
        return network3_rule(self.cfg, self.training_set(seeds)[0].shape[-2])

    def evaluate(self, seeds, epoch, costs):
        """Return each seed's metrics: its training cost (from the steps' summed ``costs``), network3's evaluation."""
        n, m = self.training_set(seeds)[0].shape[-2], self.cfg.mini_batch_size
        return epoch_metrics(seeds.network, self.data, training_cost(seeds.network, costs, n // m, weight_decay(self.cfg, n)),
                             epoch, seeds.logs)

    def images(self, seeds):
        return {seed: first_layer_filters(seeds.network.member(seed)) for seed in range(len(seeds.logs))}


def train_network3(cfg, data, logs):
    """Train one network3 network per log (its seed), side by side, fresh or resumed; return them (a list).

    Raises Diverged, after the other seeds have finished, if any seed stopped being finite.
    """
    trained = sgd.train(Network3SGD(cfg, data), logs)
    return [trained[log.run_dir] for log in logs]
