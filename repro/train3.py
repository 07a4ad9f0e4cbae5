"""Stochastic gradient descent exactly as network3.Network.SGD (Ch.6).

network3 minimises, per mini-batch of m, the mean log-likelihood plus an L2 term,

    C = (1/m) Σₓ −ln aᴸ_y(x) + 0.5·λ·Σ‖w‖² / num_training_batches,    num_training_batches = n/m,

so each step is w ← (1 − η·λ·m/n)·w − η·∇C̄ and b ← b − η·∇C̄ (C̄ the mean term; biases
are not decayed): torch.optim.SGD with weight_decay = λ·m/n on the weights only, ten
times network2's λ/n at m = 10 (repro.train.sgd; tests/test_conv.py proves the two equal). Unlike
network2, the mini-batches follow the training set's order every epoch (no reshuffle).
After each epoch network3 measures validation accuracy, and test accuracy only when
validation reached its best so far (ties included); chapter 6 reports that test
accuracy at the best-validation epoch.
"""

import math
from dataclasses import asdict, dataclass

import torch
from torchvision.utils import make_grid
from tqdm import tqdm

from repro.backprop import ACTIVATIONS
from repro.data import N_TRAINING, expanded
from repro.layers import ConvPool
from repro.network3 import Network3
from repro.seeds import SideBySide, in_groups, networks
from repro.train import MANUAL, refuse_unless, sgd, train_step


@dataclass(frozen=True)
class Network3Config:
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
    select_on: str = "validation"  # report test accuracy at the best epoch of this split, as Ch.6
    backend: str = "manual"  # "manual": backprop called directly; "compiled": the same, torch.compile'd;
    # "graphed": compiled and, on CUDA, replayed as a CUDA graph;
    # "function": loss.backward() through it; "autograd": torch's own backward
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def __post_init__(self):
        """Refuse bad hyper-parameters before any data is loaded or any time is spent."""
        refuse_unless([
            (0 < self.eta < math.inf, f"eta must be > 0 and finite, got {self.eta}"),
            (0 <= self.lmbda < math.inf, f"lmbda must be >= 0 and finite, got {self.lmbda}"),
            (0 <= self.p_dropout < 1, f"p-dropout must be in [0, 1), got {self.p_dropout}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (1 <= self.mini_batch_size <= self.train_size,
             f"mini-batch-size must be between 1 and train-size, got {self.mini_batch_size}"),
            (1 <= self.train_size <= N_TRAINING, f"train-size must be between 1 and {N_TRAINING}, got {self.train_size}"),
            (len(self.conv_maps) <= 2 and min(self.conv_maps + self.fc_sizes, default=1) >= 1,
             f"at most 2 conv-pool layers (28 → 12 → 4) and positive sizes, got {self.conv_maps}, {self.fc_sizes}"),
            (self.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"),
            (self.select_on == "validation", f"select-on must be validation, got {self.select_on!r}"),
        ], self.backend, self.device)

    def as_dict(self):
        return asdict(self)

    def network(self, generator):
        """Return this configuration's network, initialised from generator."""
        return Network3.create(self.conv_maps, self.fc_sizes, ACTIVATIONS[self.activation], self.p_dropout,
                               generator, self.device)


def train_one_epoch(network, x, y, cfg, optimizer, generators, desc=""):
    """One pass over the mini-batches in file order; return each seed's network3 training cost, averaged over them.

    x: the images every seed trains on (n, 784), or each seed's own (seeds, n, 784).
    """
    m, batches = cfg.mini_batch_size, x.shape[-2] // cfg.mini_batch_size  # network3 drops a last partial batch
    l2 = cfg.lmbda * m / x.shape[-2]  # λ / num_training_batches
    total = x.new_zeros(network.seeds)  # summed on the device: no sync per step
    network.train()
    for k in tqdm(range(0, batches * m, m), desc=desc, leave=False, disable=None):
        masks = network.dropout_masks(m, generators)  # one draw serves every backend
        x_batch, y_batch = x[..., k:k + m, :], y[..., k:k + m, :]
        z = train_step(network, x_batch, y_batch, cfg.backend, cfg.eta, cfg.eta * l2, optimizer, masks)
        total += network.cost_function.fn(z, y_batch).mean(-1)
    return training_cost(network, total, batches, l2)


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


def train_network3(cfg, data, logs):
    """Train one network3 network per log (its seed), side by side, fresh or resumed; return them (a list).

    Raises Diverged, after the other seeds have finished, if any seed stopped being finite.
    """
    trained = in_groups(train_side_by_side, cfg, data, logs)
    return [trained[log.run_dir] for log in logs]


def train_side_by_side(cfg, data, logs):
    """network3.SGD for every seed of ``logs`` at once; return {run folder: trained network}."""
    training = data.training.first(cfg.train_size)
    generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the expanded set's order, then the init
    own_sets = [expanded(training, generator) for generator in generators] if cfg.expanded else None
    dropout_generators = [torch.Generator(device=training.images.device).manual_seed(log.seed) for log in logs]
    network = networks(cfg, logs, training.images.dtype, generators, dropout_generators)
    seeds = SideBySide(network, logs, dropout_generators, cfg, data=own_sets)
    x, y = training.images, training.one_hot()  # every seed trains on the same images, in file order,
    stacked_for = None  # but for the expanded set, whose order each seed draws: stacked once per set of seeds
    for epoch in range(len(logs[0].history), cfg.epochs):
        if cfg.expanded and stacked_for != len(seeds.logs):
            x, y = torch.stack([split.images for split in seeds.data]), torch.stack([s.one_hot() for s in seeds.data])
            stacked_for = len(seeds.logs)
        optimizer = sgd(seeds.network, cfg.eta, cfg.lmbda * cfg.mini_batch_size / x.shape[-2]) \
            if cfg.backend not in MANUAL else None  # λ·m/n; plain SGD keeps no state between epochs
        costs = train_one_epoch(seeds.network, x, y, cfg, optimizer, seeds.generators, desc=f"epoch {epoch}")
        metrics = epoch_metrics(seeds.network, data, costs, epoch, seeds.logs)
        images = {seed: first_layer_filters(seeds.network.member(seed)) for seed in range(len(metrics))}
        seeds.record(epoch, metrics, optimizer, images)
        if not seeds.logs:
            break
    seeds.raise_if_diverged()
    return {log.run_dir: seeds.network.member(seed) for seed, log in enumerate(seeds.logs)}
