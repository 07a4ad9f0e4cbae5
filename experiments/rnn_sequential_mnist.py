"""Recurrent nets on sequential MNIST: does the gradient reach the first row? (issue #13; Ch.5 in time).

Beyond the book, which names recurrent nets as a direction (Ch.6, "Other approaches to deep
neural nets") and tells in Ch.5 why gradients vanish through many layers. An RNN unrolled over
T steps is a T-layer net with one shared W_h, so the same product of factors returns, one per
time step. Each image is read row by row, 28 steps of 28 pixels, by a vanilla RNN or an LSTM
of the same width (repro/recurrent.py, backward by BPTT written out); a softmax layer with the
log-likelihood cost (network3's output, Ch.6) classifies the last hidden state h_28, so every
gradient comes from hand-written backward passes. After a fixed budget we score validation
accuracy, and draw, as Ch.5's speeds of learning, ‖∂C/∂h_t‖ at every step t: at initialisation
and after training, averaged over the first 1,000 training images.

    python -m repro.run rnn_sequential_mnist --variant rnn --seed 0 1 2     # seeds one after another
    python -m repro.run rnn_sequential_mnist --variant lstm --seed 0 1 2
"""

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from repro.backprop import CostFunction, LogLikelihoodCost
from repro.data import N_TRAINING
from repro.layers import Softmax
from repro.plots import plot_curves
from repro.recurrent import CELLS, hidden_gradients
from repro.report import Expected
from repro.train import refuse_unless

SPEED_IMAGES = 1000  # ‖∂C/∂h_t‖ is averaged over the first 1,000 training images, as Ch.5's speeds


@dataclass(frozen=True)
class Config:
    """One cell on sequential MNIST; RNN and LSTM differ in ``cell`` alone."""

    cell: str = "rnn"  # "rnn": h_t = tanh(W_x x_t + W_h h_{t−1} + b); "lstm": gates i, f, g, o and a cell c_t
    hidden: int = 64  # H, the hidden units of either cell
    init: str = "default"  # "default": the book's N(0, 1/n_in), n_in = 28 + H, LSTM forget bias 1; "torch": U(±1/√H)
    eta: float = 0.001  # Adam's step size, the same for both cells
    mini_batch_size: int = 50  # m
    epochs: int = 5  # passes over the training images
    train_size: int = N_TRAINING  # n: train on the first n of the 50,000 training images
    evaluation: str = "validation"  # the split scored after each epoch; the test set stays unread
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def __post_init__(self):
        refuse_unless([
            (self.cell in CELLS, f"cell must be one of {sorted(CELLS)}, got {self.cell!r}"),
            (self.hidden >= 1, f"hidden must be >= 1, got {self.hidden}"),
            (self.init in ("default", "torch"), f"init must be default or torch, got {self.init!r}"),
            (0 < self.eta < math.inf, f"eta must be > 0 and finite, got {self.eta}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (1 <= self.train_size <= N_TRAINING, f"train-size must be between 1 and {N_TRAINING}, got {self.train_size}"),
            (1 <= self.mini_batch_size <= self.train_size,
             f"mini-batch-size must be between 1 and train-size ({self.train_size}), got {self.mini_batch_size}"),
            (self.evaluation in ("validation", "test"), f"evaluation must be validation or test, got {self.evaluation!r}"),
        ], "function", self.device)

    def network(self, generator):
        """Return this configuration's classifier, initialised from generator."""
        return SequenceClassifier(self.cell, self.hidden).initialise(self.init, generator).to(self.device)


class SequenceClassifier(nn.Module):
    """A recurrent layer reading an image row by row, and a softmax layer on its last hidden state."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.layer, self.output = CELLS[cell](28, hidden), Softmax(hidden, 10)

    def initialise(self, init, generator):
        """Return self with the layer drawn by ``init``; the output weights N(0, 1/H) either way (Ch.3), biases 0."""
        self.layer.initialise(init, generator)
        with torch.no_grad():  # network3 starts its softmax at zero: then ∂C/∂h_t = 0 and nothing would learn
            self.output.weight.normal_(generator=generator).div_(math.sqrt(self.output.weight.shape[1]))
        return self

    @staticmethod
    def rows(images):
        return images.view(-1, 28, 28).transpose(0, 1)  # (28, m, 28): step t reads row t

    def forward(self, images):
        return self.output(self.layer(self.rows(images))[-1])  # zᴸ from h_28   (m, 10)

    def predict(self, images):
        return self(images).argmax(-1)

    @property
    def weights(self):  # the histograms' layer 1 is the recurrent layer's [W_x W_h], layer 2 the softmax
        return [torch.cat([self.layer.weight_ih, self.layer.weight_hh], 1), self.output.weight]

    @property
    def biases(self):
        return [self.layer.bias, self.output.bias]


VARIANTS = {"rnn": Config(cell="rnn"), "lstm": Config(cell="lstm")}
EXPECTED = {}


def speeds(network, images, labels):
    """Return ‖∂C_x/∂h_t‖ for t = 1 … 28, averaged over the images: how fast each step's state learns.

    The mean of per-image norms, not the norm of the mean (Ch.5 averages δ, a bias's
    gradient): different digits push h_t different ways, and we ask how much reaches it.
    """
    sequence = network.rows(images)
    with torch.enable_grad():
        h_last = network.layer(sequence)[-1].detach().requires_grad_()
        cost = CostFunction.apply(network.output(h_last), nn.functional.one_hot(labels, 10).to(h_last), LogLikelihoodCost)
        (grad_last,) = torch.autograd.grad(cost, h_last)
    grad_hs = hidden_gradients(network.layer, sequence, grad_last) * len(images)  # ∂C_x/∂h_t   (28, n, H)
    return grad_hs.norm(dim=-1).mean(-1).tolist()


def train(cfg, data, log):
    """Train one seed with Adam on shuffled mini-batches, fresh or from its checkpoint; return the network."""
    generator = torch.Generator().manual_seed(log.seed)  # the initialisation, then each epoch's order
    network = cfg.network(generator)
    optimizer = torch.optim.Adam(network.parameters(), lr=cfg.eta)
    x, y = data.training.images[:cfg.train_size], data.training.first(cfg.train_size).one_hot()
    split = getattr(data, cfg.evaluation)
    for epoch in range(log.resume(network, generator, optimizer), cfg.epochs):
        order, total, batches = torch.randperm(len(x), generator=generator), 0.0, len(x) // cfg.mini_batch_size
        for k in range(0, batches * cfg.mini_batch_size, cfg.mini_batch_size):  # a last partial batch is dropped
            batch = order[k:k + cfg.mini_batch_size]
            cost = CostFunction.apply(network(x[batch]), y[batch], LogLikelihoodCost)  # mean over the batch
            optimizer.zero_grad()
            cost.backward()  # BP1 in the cost, the softmax layer's BP3-BP4, then BPTT
            optimizer.step()
            total += cost.item()
        with torch.no_grad():
            correct = int((network.predict(split.images) == split.labels).sum())
        print(f"Epoch {epoch}, {cfg.cell} seed {log.seed}: {correct} / {len(split)}")
        log.epoch(epoch, {f"accuracy/{cfg.evaluation}": 100 * correct / len(split), f"correct/{cfg.evaluation}": correct,
                          "cost/train": total / batches}, network, generator, optimizer)
    return network


def run(cfg, data, logs):
    """Train each seed in turn (one after another); then measure ‖∂C/∂h_t‖ at initialisation and trained."""
    images, labels = data.training.images[:SPEED_IMAGES], data.training.labels[:SPEED_IMAGES]
    for log in logs:
        trained = train(cfg, data, log)
        initial = cfg.network(torch.Generator().manual_seed(log.seed))  # the same draw the run started from
        for name, network in (("initialisation", initial), ("trained", trained)):
            log.extra[f"speeds_{name}"] = speeds(network, images, labels)
            for t, value in enumerate(log.extra[f"speeds_{name}"], 1):
                log.writer.add_scalar(f"speed/h_t/{name}", value, t)  # x axis: the step t, not an epoch
        other = "lstm" if cfg.cell == "rnn" else "rnn"  # drawn beside ours, untrained: both cells on one figure
        log.extra[f"speeds_initialisation_{other}"] = speeds(
            replace(cfg, cell=other).network(torch.Generator().manual_seed(log.seed)), images, labels)
        first, last = log.extra["speeds_initialisation"][0], log.extra["speeds_initialisation"][-1]
        log.extra["first_over_last_initialisation"] = first / last
        print(f"seed {log.seed}: ‖∂C/∂h_t‖ at initialisation, t = 1: {first:.3g}, t = 28: {last:.3g} "
              f"(ratio {first / last:.3g}); trained: {log.extra['speeds_trained'][0]:.3g}, "
              f"{log.extra['speeds_trained'][-1]:.3g}")
        curves = {f"{cfg.cell}, initialisation": log.extra["speeds_initialisation"],
                  f"{cfg.cell}, trained ({cfg.epochs} epochs)": log.extra["speeds_trained"],
                  f"{other}, initialisation": log.extra[f"speeds_initialisation_{other}"]}
        log.figure("speed_of_learning", plot_curves(
            {label: [math.nan] + values for label, values in curves.items()}, "Time step t (row of the image)",
            "Speed of learning ‖∂C/∂hₜ‖", f"{cfg.cell}, H = {cfg.hidden}, seed {log.seed}", log_y=True))
