"""network2.SGD (Ch.1 and Ch.3): its configuration and what it does around the steps of repro/sgd.py.

Each step is Eq. 93, w ← (1 − ηλ/n)w − (η/m)Σₓ∂Cₓ/∂w, n the size of the training set passed in.
Ch.3's other techniques are options, all off by default so that every run above is unchanged:
L1 instead of L2 (``regularization``), dropout of hidden neurons (``p_dropout``), momentum
(``momentum``), and the no-improvement-in-n rule, which either stops the run (early stopping)
or halves η down to a floor (``patience``, ``halve_to``).
"""

import math
from dataclasses import asdict, dataclass

import torch
from tqdm import tqdm

from repro import sgd
from repro.config import Checked
from repro.costs import ACTIVATIONS, COSTS, penalty
from repro.data import N_TRAINING, rows
from repro.expected import Headline
from repro.layers import AUTOGRAD
from repro.network import INITIALIZERS, Network
from repro.seeds import SideBySide, networks, velocities
from repro.update import Rule


@dataclass(frozen=True)
class SGDConfig(Checked):
    """Hyper-parameters of a network2-style run; the defaults are network2.py's."""

    sizes: tuple = (784, 30, 10)  # neurons per layer, input first
    cost: str = "cross_entropy"  # C: "cross_entropy" (network2), "quadratic" (network.py) or "log_likelihood" (softmax)
    activation: str = "sigmoid"  # σ of the hidden layers ("relu", "tanh"); the output layer is sigmoid, or softmax
    init: str = "default"  # "default" N(0, 1/√n_in) or "large" N(0, 1) weights
    eta: float = 0.5  # η, the learning rate
    lmbda: float = 0.0  # λ, the regularisation parameter, scaled by λ/n as network2
    regularization: str = "l2"  # "l2": C₀ + (λ/2n)Σw², weight decay (Eq. 85); "l1": C₀ + (λ/n)Σ|w| (Eq. 95)
    p_dropout: float = 0.0  # dropout: each hidden neuron left out of a mini-batch with this probability (Ch.3)
    momentum: float = 0.0  # μ of momentum-based gradient descent, v ← μv − η∇C, w ← w + v (Ch.3); 0: plain SGD
    patience: int = 0  # n of the no-improvement-in-n rule on the evaluation accuracy (Ch.3); 0: every epoch runs
    halve_to: int = 1  # with patience: halve η at each no-improvement-in-n and stop at η/halve_to (Ch.3: 128); 1: stop at the first
    mini_batch_size: int = 10  # m
    epochs: int = 30  # passes over the training set
    train_size: int = N_TRAINING  # n: train on the first n of the 50,000 training images
    evaluation: str = "test"  # the split measured every epoch: "test" or "validation"
    backend: str = "manual"  # where ∇C comes from: "manual" (BP1–BP4 called directly), "function", "autograd"
    compile: str = "off"  # "on": the manual step under torch.compile; "cuda-graphs": also replayed as a CUDA graph
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def checks(self):
        """network2's own fields; the shared ones are repro.config's."""
        return [
            (self.regularization in ("l1", "l2"), f"regularization must be l1 or l2, got {self.regularization!r}"),
            (0 <= self.momentum < 1, f"momentum must be in [0, 1): μ = 1 is no friction at all, got {self.momentum}"),
            (self.patience >= 0, f"patience must be >= 0 epochs, got {self.patience}"),
            (self.halve_to >= 1 and self.halve_to & (self.halve_to - 1) == 0,
             f"halve-to must be a power of two (η is halved), got {self.halve_to}"),
            (len(self.sizes) >= 2 and min(self.sizes) >= 1, f"sizes must be >= 2 positive layer sizes, got {self.sizes}"),
            (self.sizes[:1] == (784,) and self.sizes[-1:] == (10,),
             f"sizes must start with 784 (MNIST's pixels) and end with 10 (its digits), got {self.sizes}"),
            (self.cost in COSTS, f"cost must be one of {sorted(COSTS)}, got {self.cost!r}"),
            (self.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"),
            (self.init in INITIALIZERS, f"init must be one of {sorted(INITIALIZERS)}, got {self.init!r}"),
            (self.evaluation in ("test", "validation"), f"evaluation must be test or validation, got {self.evaluation!r}"),
        ]

    def network(self, generator):
        """Return this configuration's network, initialised from generator."""
        return Network.create(self.sizes, COSTS[self.cost], ACTIVATIONS[self.activation], self.init, generator,
                              self.p_dropout).to(self.device)

    @property
    def headline(self):
        """network2 reports the peak accuracy on its evaluation split (monitor_evaluation_accuracy)."""
        return Headline(self.evaluation)

    def eta_after(self, history):
        """Return η for the epoch after ``history``, or None where the run ends (Ch.3, "How to choose ...").

        The no-improvement-in-n rule: after ``patience`` epochs without a better evaluation
        accuracy, stop (early stopping), or halve η and wait again, stopping once η has
        fallen to η/halve_to. Replayed from the accuracies themselves, so a resumed run
        carries no state of its own.
        """
        eta, best, waited = self.eta, -math.inf, 0
        for row in history if self.patience else []:
            accuracy = row[f"accuracy/{self.evaluation}"]
            best, waited = (accuracy, 0) if accuracy > best else (best, waited + 1)
            if waited == self.patience:
                eta, waited = eta / 2, 0
                if eta <= self.eta / self.halve_to:
                    return None
        return eta if len(history) < self.epochs else None


@torch.no_grad()
def evaluate(network, splits, lmbda, regularization="l2"):
    """Return, per seed, {"accuracy/<split>": %, "cost/<split>": C, "correct/<split>": count, "digits/<split>":
    how many of the 10 digits it predicts at all} for each split.

    ``network`` holds the seeds side by side (a lone network: ``Network.side_by_side([net])``).
    As network2's total_cost and accuracy: the mean per-example cost plus 0.5·(λ/n)·Σ‖w‖²
    (L1: (λ/n)Σ|w|), with n the size of *this* data set (network2 passes ``len(data)``: 10,000 for
    validation and test).
    """
    metrics = [{} for _ in range(network.seeds)]
    for name, split in splits.items():
        z = network(split.images, ops=AUTOGRAD)  # (seeds, n, 10)
        decay = penalty(network, lmbda / len(split), regularization)
        costs = network.cost_function.fn(z, split.one_hot()).mean(-1) + decay
        digits = network.cost_function.output(z).argmax(-1)  # (seeds, n)
        correct = (digits == split.labels).sum(-1)
        predicted = torch.zeros(network.seeds, 10, dtype=torch.bool, device=z.device).scatter_(1, digits, True)
        for seed_metrics, cost, count, kinds in zip(metrics, costs.tolist(), correct.tolist(), predicted.sum(1).tolist()):
            seed_metrics |= {f"accuracy/{name}": 100 * count / len(split), f"cost/{name}": cost,
                             f"correct/{name}": count, f"digits/{name}": kinds}  # < 10: a stuck run (Ch.1)
    return metrics


def epoch_line(epoch, metrics, split, size, logs):
    """Return network.py's line, ``Epoch 0: 9129 / 10000``, with one count per seed side by side."""
    seeds = f" (seeds {', '.join(str(log.seed) for log in logs)})" if len(logs) > 1 else ""
    return f"Epoch {epoch}: {', '.join(str(row[f'correct/{split}']) for row in metrics)} / {size}{seeds}"


class Network2SGD:
    """What network2.SGD does around its steps (repro/sgd.py runs the loop).

    Every epoch each seed reshuffles the training set with its own generator and takes its
    consecutive mini-batches of m; after it, cost and accuracy on the training set and on the
    evaluation split (network2's monitor_* flags), and network.py's line.
    """

    costs_from_steps = False  # network2 measures the training cost afresh after the epoch

    def __init__(self, cfg, data, training=None, progress=True):
        """``training``: the training set, where it is not the first ``cfg.train_size`` images (Ch.3's expanded data)."""
        self.cfg, self.progress = cfg, progress
        self.training = training or data.training.first(cfg.train_size)
        self.x, self.y = self.training.images, self.training.one_hot()
        self.splits = {"train": self.training, cfg.evaluation: getattr(data, cfg.evaluation)}

    def start(self, logs):
        """Return the seeds side by side: each network drawn from its seed's generator, or from its checkpoint."""
        generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the init, then every shuffle and mask
        network = networks(self.cfg, logs, self.x.dtype, generators)
        return SideBySide(network, logs, generators, self.cfg,
                          velocity=velocities(network, logs) if self.cfg.momentum else None)

    def mini_batches(self, seeds, epoch):
        """Yield (x, y, dropout masks) of each seed's next m images, in its own reshuffled order."""
        n, m = len(self.x), self.cfg.mini_batch_size
        order = torch.stack([torch.randperm(n, generator=g) for g in seeds.generators]).to(self.x.device)
        for k in tqdm(range(0, n, m), desc=f"epoch {epoch}", leave=False, disable=None if self.progress else True):
            batch = order[:, k:k + m]  # each seed's next m images, gathered now, while the step finds them in cache
            masks = seeds.network.dropout_masks(batch.shape[1], seeds.generators) if self.cfg.p_dropout else None
            yield rows(self.x, batch), rows(self.y, batch), masks

    def rule(self, seeds, eta):
        """Return Eq. 93's constants: η and ηλ/n, n the training set passed in; L1 or momentum as configured."""
        return Rule(eta, eta * self.cfg.lmbda / len(self.x), self.cfg.regularization == "l1", self.cfg.momentum)

    def evaluate(self, seeds, epoch, costs=None):
        """Return each seed's network2 metrics after an epoch (and η, under a schedule); print network.py's line."""
        cfg = self.cfg
        metrics = evaluate(seeds.network.eval(), self.splits, cfg.lmbda, cfg.regularization)
        if cfg.patience:  # η as the schedule set it for this epoch, a curve of its own in TensorBoard
            metrics = [row | {"eta": cfg.eta_after(seeds.logs[0].history)} for row in metrics]
        print(epoch_line(epoch, metrics, cfg.evaluation, len(self.splits[cfg.evaluation]), seeds.logs))
        return metrics

    def images(self, seeds):
        return {}


def train_network(cfg, data, logs, training=None):
    """Train one network per log (its seed) as network2.SGD, side by side, fresh or resumed; return each history.

    ``training``: the training set, where it is not the first ``cfg.train_size`` images (Ch.3's
    expanded data). Raises Diverged, after the other seeds have finished, if any seed stopped
    being finite.
    """
    sgd.train(Network2SGD(cfg, data, training), logs)
    return [log.history for log in logs]


def train_alongside(configs, data, logs):
    """Train every config of ``configs`` ({name: cfg}) for each seed, each in a sub-folder of the seed's run.

    A book section that compares settings (several η, λ or μ) is one run per seed with a
    child per setting (``RunLog.child``), so TensorBoard draws them on the same charts and
    the run resumes child by child. Return, per seed, {name: that child's history}; each
    child's results.json is also kept in the run's own, under its name.
    """
    histories = [{} for _ in logs]
    for name, cfg in configs.items():
        children = [log.child(name, asdict(cfg)) for log in logs]
        for seed_histories, history in zip(histories, train_network(cfg, data, children)):
            seed_histories[name] = history
        for log, child in zip(logs, children):
            log.extra[name] = child.close(cfg.headline)
    return histories
