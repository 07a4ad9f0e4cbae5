"""Stochastic gradient descent exactly as network2.SGD (Ch.1 and Ch.3).

Every epoch: shuffle the training set, cut it into consecutive mini-batches of m,
and for each apply the L2-regularised update (Ch.3, Eq. 93)

    w ← (1 − ηλ/n) w − (η/m) Σₓ ∂Cₓ/∂w,        b ← b − (η/m) Σₓ ∂Cₓ/∂b,

with n the size of the training set passed in. Then measure cost and accuracy on the
training set and on the evaluation split, as network2's monitor_* flags.
"""

import functools
import math
from dataclasses import asdict, dataclass

import torch
from tqdm import tqdm

from repro.backprop import ACTIVATIONS, COSTS
from repro.data import N_TRAINING
from repro.layers import AUTOGRAD, OPS
from repro.network import INITIALIZERS, Network
from repro.seeds import SideBySide, in_groups, networks

BACKENDS = ("manual", "compiled", "function", "autograd")
MANUAL = ("manual", "compiled")  # the backends that call BP1–BP4 directly and update in place, with no optimizer


@dataclass(frozen=True)
class SGDConfig:
    """Hyper-parameters of a network2-style run; the defaults are network2.py's."""

    sizes: tuple = (784, 30, 10)  # neurons per layer, input first
    cost: str = "cross_entropy"  # C: "cross_entropy" (network2) or "quadratic" (network.py)
    activation: str = "sigmoid"  # σ of the hidden layers ("relu", "tanh"); the output layer is sigmoid
    init: str = "default"  # "default" N(0, 1/√n_in) or "large" N(0, 1) weights
    eta: float = 0.5  # η, the learning rate
    lmbda: float = 0.0  # λ, L2 regularisation, scaled by λ/n as network2
    mini_batch_size: int = 10  # m
    epochs: int = 30  # passes over the training set
    train_size: int = N_TRAINING  # n: train on the first n of the 50,000 training images
    evaluation: str = "test"  # the split measured every epoch: "test" or "validation"
    backend: str = "manual"  # "manual": BP1–BP4 called directly; "compiled": the same, torch.compile'd;
    # "function": loss.backward() through them; "autograd": torch's own backward
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def __post_init__(self):
        """Refuse bad hyper-parameters before any data is loaded or any time is spent."""
        checks = [
            (0 < self.eta < math.inf, f"eta must be > 0 and finite, got {self.eta}"),
            (0 <= self.lmbda < math.inf, f"lmbda must be >= 0 and finite, got {self.lmbda}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (1 <= self.mini_batch_size <= self.train_size,
             f"mini-batch-size must be between 1 and train-size ({self.train_size}), got {self.mini_batch_size}"),
            (1 <= self.train_size <= N_TRAINING,
             f"train-size must be between 1 and {N_TRAINING}, got {self.train_size}"),
            (len(self.sizes) >= 2 and min(self.sizes) >= 1, f"sizes must be >= 2 positive layer sizes, got {self.sizes}"),
            (self.sizes[:1] == (784,) and self.sizes[-1:] == (10,),
             f"sizes must start with 784 (MNIST's pixels) and end with 10 (its digits), got {self.sizes}"),
            (self.cost in COSTS, f"cost must be one of {sorted(COSTS)}, got {self.cost!r}"),
            (self.activation in ACTIVATIONS, f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"),
            (self.init in INITIALIZERS, f"init must be one of {sorted(INITIALIZERS)}, got {self.init!r}"),
            (self.evaluation in ("test", "validation"), f"evaluation must be test or validation, got {self.evaluation!r}"),
        ]
        refuse_unless(checks, self.backend, self.device)

    def as_dict(self):
        return asdict(self)

    def network(self, generator):
        """Return this configuration's network, initialised from generator."""
        return Network.create(self.sizes, COSTS[self.cost], ACTIVATIONS[self.activation], self.init, generator,
                              self.device)


def refuse_unless(checks, backend, device):
    """Raise ValueError naming the first (ok, message) check that fails, or a backend or device we lack."""
    checks = checks + [
        (backend in BACKENDS, f"backend must be one of {BACKENDS}, got {backend!r}"),
        (device.split(":")[0] in ("cpu", "cuda"), f"device must be cpu or cuda, got {device!r}"),
        (not device.startswith("cuda") or torch.cuda.is_available(),
         "device cuda was asked for, but torch sees no CUDA device here"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def sgd_update(network, nabla_w, nabla_b, step_size, weight_decay):
    """Apply w ← (1 − weight_decay)·w − step_size·nabla_w and b ← b − step_size·nabla_b in place.

    network2's Eq. 93 is this with step_size = η/m on gradients summed over the
    mini-batch and weight_decay = ηλ/n. The ``manual`` backend's update. torch's
    ``_foreach`` ops apply one op to every parameter in a single call (as torch.optim
    does), rounding each element exactly as the op on each tensor would.
    """
    if weight_decay:  # w·1 is w: no pass over the weights without L2
        torch._foreach_mul_(network.weights, 1 - weight_decay)
    torch._foreach_sub_(network.weights + network.biases, torch._foreach_mul(nabla_w + nabla_b, step_size))


def sgd(network, eta, weight_decay):
    """Return the same update as ``torch.optim.SGD``: lr = η on the mean gradient, weight_decay on weights only.

    torch's step is w ← w − η(∇C̄ + weight_decay·w) = (1 − η·weight_decay)w − η(1/m)Σₓ∇Cₓ:
    network2's Eq. 93 with weight_decay = λ/n, network3's with λ·m/n; biases are not
    decayed (Eq. 94). tests/test_training.py and tests/test_conv.py prove the two equal.
    torch's default implementation: on this CPU neither ``foreach`` nor ``fused`` made a
    step faster (4 to 10 small tensors; README, "Speed").
    """
    return torch.optim.SGD([{"params": network.weights, "weight_decay": weight_decay},
                            {"params": network.biases, "weight_decay": 0.0}], lr=eta)


def manual_step(network, x, y, eta, decay, masks=None):
    """BP1–BP4 called directly, then Eq. 93 in place, shrinking w by ``decay`` (ηλ/n); return zᴸ."""
    with torch.no_grad():
        nabla_w, nabla_b, z = network.backprop(x, y, masks)  # Σₓ over the mini-batch
        sgd_update(network, nabla_w, nabla_b, eta / x.shape[-2], decay)  # η/m
    return z


@functools.cache
def compiled_step():
    """Return ``manual_step`` under torch.compile: one graph per shape, its small ops fused (``compiled``).

    Static shapes, so that the kernels a seed runs never depend on what the process compiled
    before it. Fused kernels round differently from eager ones: a run's last bits differ from
    the ``manual`` backend's (recorded in its config), and are the same whichever seeds sit beside it.
    """
    return torch.compile(manual_step, dynamic=False)


def train_step(network, x, y, backend, eta, decay, optimizer=None, masks=None):
    """One mini-batch of SGD on (x, y); return zᴸ.

    ``manual`` and ``compiled`` apply Eq. 93 themselves (decay = ηλ/n; network3: η·λ·m/n);
    the other backends step ``optimizer`` (``sgd``), which holds the same L2 as its weight decay.
    """
    if backend in MANUAL:
        return (manual_step if backend == "manual" else compiled_step())(network, x, y, eta, decay, masks)
    optimizer.zero_grad()
    z = network(x, masks, OPS[backend])
    OPS[backend].cost(z, y, network.cost_function).backward()  # "function": BP1–BP4 by the engine
    optimizer.step()
    return z.detach()


@torch.no_grad()
def evaluate(network, splits, lmbda):
    """Return, per seed, {"accuracy/<split>": %, "cost/<split>": C, "correct/<split>": count, "digits/<split>":
    how many of the 10 digits it predicts at all} for each split.

    ``network`` holds the seeds side by side (a lone network: ``Network.side_by_side([net])``).
    As network2's total_cost and accuracy: the mean per-example cost plus 0.5·(λ/n)·Σ‖w‖²,
    with n the size of *this* data set (network2 passes ``len(data)``: 10,000 for
    validation and test).
    """
    metrics = [{} for _ in range(network.seeds)]
    for name, split in splits.items():
        z = network(split.images, ops=AUTOGRAD)  # (seeds, n, 10)
        decay = 0.5 * (lmbda / len(split)) * sum((w ** 2).flatten(1).sum(1) for w in network.weights)
        costs = network.cost_function.fn(z, split.one_hot()).mean(-1) + decay
        digits = network.cost_function.output(z).argmax(-1)  # (seeds, n)
        correct = (digits == split.labels).sum(-1)
        predicted = torch.zeros(network.seeds, 10, dtype=torch.bool, device=z.device).scatter_(1, digits, True)
        for seed_metrics, cost, count, kinds in zip(metrics, costs.tolist(), correct.tolist(), predicted.sum(1).tolist()):
            seed_metrics |= {f"accuracy/{name}": 100 * count / len(split), f"cost/{name}": cost,
                             f"correct/{name}": count, f"digits/{name}": kinds}  # < 10: a stuck run (Ch.1)
    return metrics


def rows(t, index):
    """Return t's rows at index (seeds, m) as (seeds, m, …): one gather, cheaper than a shuffled copy an epoch.

    (At E = 16 a copy of 16 shuffled training sets is 2.5 GB a epoch, and took longer than the steps.)
    """
    return t.index_select(0, index.flatten()).unflatten(0, index.shape)


def epoch_line(epoch, metrics, split, size, logs):
    """Return network.py's line, ``Epoch 0: 9129 / 10000``, with one count per seed side by side."""
    seeds = f" (seeds {', '.join(str(log.seed) for log in logs)})" if len(logs) > 1 else ""
    return f"Epoch {epoch}: {', '.join(str(row[f'correct/{split}']) for row in metrics)} / {size}{seeds}"


def train_network(cfg, data, logs):
    """Train one network per log (its seed), side by side, fresh or resumed; return each log's history.

    Raises Diverged, after the other seeds have finished, if any seed stopped being finite.
    """
    in_groups(train_side_by_side, cfg, data, logs)
    return [log.history for log in logs]


def train_side_by_side(cfg, data, logs):
    """network2.SGD for every seed of ``logs`` at once: the same steps, each seed with its own shuffle."""
    training = data.training.first(cfg.train_size)
    x, y = training.images, training.one_hot()
    generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the init, then every shuffle
    seeds = SideBySide(networks(cfg, logs, x.dtype, generators), logs, generators, cfg)
    n, m = len(x), cfg.mini_batch_size
    splits = {"train": training, cfg.evaluation: getattr(data, cfg.evaluation)}
    decay = cfg.eta * cfg.lmbda / n  # ηλ/n
    for epoch in range(len(logs[0].history), cfg.epochs):
        network = seeds.network.train()
        optimizer = sgd(network, cfg.eta, cfg.lmbda / n) if cfg.backend not in MANUAL else None  # plain SGD: no state
        order = torch.stack([torch.randperm(n, generator=g) for g in seeds.generators]).to(x.device)  # per seed
        for k in tqdm(range(0, n, m), desc=f"epoch {epoch}", leave=False, disable=None):
            batch = order[:, k:k + m]  # each seed's next m images, gathered now, while the step finds them in cache
            train_step(network, rows(x, batch), rows(y, batch), cfg.backend, cfg.eta, decay, optimizer)
        metrics = evaluate(network.eval(), splits, cfg.lmbda)
        print(epoch_line(epoch, metrics, cfg.evaluation, len(splits[cfg.evaluation]), seeds.logs))
        seeds.record(epoch, metrics, optimizer)
        if not seeds.logs:
            break
    seeds.raise_if_diverged()
