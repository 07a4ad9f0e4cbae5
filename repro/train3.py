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
from repro.train import refuse_unless, sgd, stop_if_diverged, train_step


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
    backend: str = "manual"  # "manual": backprop called directly; "function": loss.backward() through it; "autograd"
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


def train_one_epoch(network, x, y, cfg, optimizer, generator, desc=""):
    """One pass over the mini-batches in file order; return network3's training cost, averaged over them."""
    m, batches = cfg.mini_batch_size, len(x) // cfg.mini_batch_size  # network3 drops a last partial batch
    l2 = cfg.lmbda * m / len(x)  # λ / num_training_batches
    total = torch.zeros((), dtype=x.dtype, device=x.device)  # summed on the device: no sync per step
    network.train()
    for k in tqdm(range(0, batches * m, m), desc=desc, leave=False, disable=None):
        masks = network.dropout_masks(m, generator)  # one draw serves every backend
        z = train_step(network, x[k:k + m], y[k:k + m], cfg.backend, cfg.eta, cfg.eta * l2, optimizer, masks)
        total += network.cost_function.fn(z, y[k:k + m]).mean()
    return total.item() / batches + 0.5 * l2 * sum((w ** 2).sum().item() for w in network.weights)


def accuracy(network, split, name):
    network.eval()
    correct = int((network.predict(split.images) == split.labels).sum())
    return {f"accuracy/{name}": 100 * correct / len(split), f"correct/{name}": correct}


def evaluate(network, data, best_validation):
    """Return validation accuracy, and test accuracy too when validation ≥ the best so far (network3)."""
    metrics = accuracy(network, data.validation, "validation")
    print(f"validation accuracy {metrics['accuracy/validation']:.2f}%")
    if metrics["accuracy/validation"] >= best_validation:  # ≥: a tie moves the best epoch later
        metrics |= accuracy(network, data.test, "test")
        print(f"This is the best validation accuracy to date. Test accuracy {metrics['accuracy/test']:.2f}%")
    return metrics


def first_layer_filters(network):
    """Return the first conv layer's kernels as an image grid, darker = larger weight, as the book's figure."""
    if not isinstance(network.layers[0], ConvPool):
        return {}
    kernels = -network.layers[0].weight.detach().cpu()  # (n_maps, 1, 5, 5); Ch.6: "Darker blocks mean a larger weight"
    kernels = kernels.repeat_interleave(8, 2).repeat_interleave(8, 3)  # 40×40 pixels each, to be seen
    return {"filters/layer1": make_grid(kernels, nrow=10, padding=4, normalize=True, pad_value=1.0)}


def train_network3(cfg, data, log):
    """Train a fresh (or resumed) network3 network with cfg; return it (the metrics are in log)."""
    generator = torch.Generator().manual_seed(log.seed)  # the expanded set's order, then the initialisation
    training = data.training.first(cfg.train_size)
    if cfg.expanded:
        training = expanded(training, generator)
    network = cfg.network(generator).to(training.images.dtype)  # float32, unless a test hands in float64 data
    weight_decay = cfg.lmbda * cfg.mini_batch_size / len(training)  # λ·m/n
    optimizer = sgd(network, cfg.eta, weight_decay) if cfg.backend != "manual" else None
    dropout_generator = torch.Generator(device=training.images.device).manual_seed(log.seed)
    start_epoch = log.resume(network, dropout_generator, optimizer)
    best_validation = max((row["accuracy/validation"] for row in log.history), default=-1.0)
    x, y = training.images, training.one_hot()
    for epoch in range(start_epoch, cfg.epochs):
        cost = train_one_epoch(network, x, y, cfg, optimizer, dropout_generator, desc=f"epoch {epoch}")
        print(f"Epoch {epoch}: ", end="")
        metrics = evaluate(network, data, best_validation) | {"cost/train": cost}
        best_validation = max(best_validation, metrics["accuracy/validation"])
        stop_if_diverged(network, metrics, epoch, cfg, log)
        log.epoch(epoch, metrics, network, dropout_generator, optimizer, images=first_layer_filters(network))
    return network
