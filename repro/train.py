"""Stochastic gradient descent exactly as network2.SGD (Ch.1 and Ch.3), and the rest of Ch.3's toolbox.

Every epoch: shuffle the training set, cut it into consecutive mini-batches of m,
and for each apply the L2-regularised update (Ch.3, Eq. 93)

    w ← (1 − ηλ/n) w − (η/m) Σₓ ∂Cₓ/∂w,        b ← b − (η/m) Σₓ ∂Cₓ/∂b,

with n the size of the training set passed in. Then measure cost and accuracy on the
training set and on the evaluation split, as network2's monitor_* flags.

Ch.3's other techniques are options, all off by default so that every run above is
unchanged: L1 instead of L2 (``regularization``), dropout of hidden neurons
(``p_dropout``), momentum (``momentum``), and the no-improvement-in-n rule, which either
stops the run (early stopping) or halves η down to a floor (``patience``, ``halve_to``).
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
from repro.seeds import SideBySide, in_groups, networks, velocities

BACKENDS = ("manual", "compiled", "graphed", "function", "autograd")
MANUAL = ("manual", "compiled", "graphed")  # the backends that call BP1–BP4 directly and update in place, no optimizer


@dataclass(frozen=True)
class SGDConfig:
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
    backend: str = "manual"  # "manual": BP1–BP4 called directly; "compiled": the same, torch.compile'd;
    # "graphed": compiled and, on CUDA, replayed as a CUDA graph;
    # "function": loss.backward() through them; "autograd": torch's own backward
    device: str = "cpu"  # "cpu" or "cuda": where the data and the network live

    def __post_init__(self):
        """Refuse bad hyper-parameters before any data is loaded or any time is spent."""
        checks = [
            (0 < self.eta < math.inf, f"eta must be > 0 and finite, got {self.eta}"),
            (0 <= self.lmbda < math.inf, f"lmbda must be >= 0 and finite, got {self.lmbda}"),
            (self.regularization in ("l1", "l2"), f"regularization must be l1 or l2, got {self.regularization!r}"),
            (0 <= self.p_dropout < 1, f"p-dropout must be in [0, 1), got {self.p_dropout}"),
            (0 <= self.momentum < 1, f"momentum must be in [0, 1): μ = 1 is no friction at all, got {self.momentum}"),
            (self.patience >= 0, f"patience must be >= 0 epochs, got {self.patience}"),
            (self.halve_to >= 1 and self.halve_to & (self.halve_to - 1) == 0,
             f"halve-to must be a power of two (η is halved), got {self.halve_to}"),
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
                              self.device, p_dropout=self.p_dropout)

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


def sgd_update(network, nabla_w, nabla_b, step_size, decay, l1=False, momentum=0.0, velocity=None):
    """Apply one step of gradient descent in place: Eq. 93, or Ch.3's L1 or momentum variant of it.

    ``step_size``·nabla is (η/m) Σₓ ∂Cₓ/∂w on gradients summed over the mini-batch, and
    ``decay`` is ηλ/n. Biases are never regularised (Eq. 94).

        L2 (Eq. 93)    w ← (1 − ηλ/n) w − (η/m) Σₓ ∂Cₓ/∂w
        L1 (Eq. 96)    w ← w − (ηλ/n) sgn(w) − (η/m) Σₓ ∂Cₓ/∂w         (sgn(0) = 0, torch.sign's too)
        momentum       v ← μv − η∇C,  w ← w + v  (Ch.3, "Momentum-based gradient descent"), with
                       ∇C = (1/m) Σₓ ∇Cₓ + the regulariser's (λ/n)w or (λ/n)sgn(w)

    The ``manual`` backend's update. torch's ``_foreach`` ops apply one op to every parameter
    in a single call (as torch.optim does), rounding each element exactly as the op on each
    tensor would.
    """
    weights, parameters = network.weights, network.weights + network.biases
    steps = torch._foreach_mul(nabla_w + nabla_b, step_size)  # (η/m) Σₓ ∇Cₓ
    if decay and (l1 or momentum):  # the regulariser's step, η(λ/n)sgn(w) or η(λ/n)w, joins the gradient's
        torch._foreach_add_(steps[:len(weights)], torch._foreach_mul(torch._foreach_sign(weights) if l1 else weights,
                                                                     decay))
    elif decay:  # Eq. 93 as network2 writes it; w·1 is w: no pass over the weights without L2
        torch._foreach_mul_(weights, 1 - decay)
    if momentum:
        torch._foreach_mul_(velocity, momentum)
        torch._foreach_sub_(velocity, steps)  # v ← μv − η∇C
        torch._foreach_add_(parameters, velocity)  # w ← w + v
    else:
        torch._foreach_sub_(parameters, steps)


def sgd(network, eta, weight_decay, momentum=0.0):
    """Return the same update as ``torch.optim.SGD``: lr = η on the mean gradient, weight_decay on weights only.

    torch's step is w ← w − η(∇C̄ + weight_decay·w) = (1 − η·weight_decay)w − η(1/m)Σₓ∇Cₓ:
    network2's Eq. 93 with weight_decay = λ/n, network3's with λ·m/n; biases are not
    decayed (Eq. 94). tests/test_training.py and tests/test_conv.py prove the two equal.
    With momentum torch keeps b ← μb + ∇C and steps w ← w − ηb: the book's v is −ηb.
    torch's default implementation: on this CPU neither ``foreach`` nor ``fused`` made a
    step faster (4 to 10 small tensors; README, "Speed").
    """
    return torch.optim.SGD([{"params": network.weights, "weight_decay": weight_decay},
                            {"params": network.biases, "weight_decay": 0.0}], lr=eta, momentum=momentum)


def manual_step(network, x, y, eta, decay, masks=None, l1=False, momentum=0.0, velocity=None):
    """BP1–BP4 called directly, then Eq. 93 (or its L1 or momentum variant) in place; return zᴸ."""
    with torch.no_grad():
        nabla_w, nabla_b, z = network.backprop(x, y, masks)  # Σₓ over the mini-batch
        sgd_update(network, nabla_w, nabla_b, eta / x.shape[-2], decay, l1, momentum, velocity)  # η/m
    return z


@functools.cache
def compiled_step(mode=None):
    """Return ``manual_step`` under torch.compile: one graph per shape, its small ops fused (``compiled``).

    Static shapes, so that the kernels a seed runs never depend on what the process compiled
    before it. Fused kernels round differently from eager ones: a run's last bits differ from
    the ``manual`` backend's (recorded in its config), and are the same whichever seeds sit beside it.
    ``mode="reduce-overhead"`` (``graphed``): on CUDA the compiled step is also captured as a CUDA
    graph and replayed, one launch a step instead of dozens (at m = 10 launches are the step's
    cost); on the CPU it is ``compiled``.
    """
    return torch.compile(manual_step, dynamic=False, mode=mode)


def train_step(network, x, y, backend, eta, decay, optimizer=None, masks=None, l1=False, momentum=0.0,
               velocity=None):
    """One mini-batch of SGD on (x, y); return zᴸ.

    ``manual`` and ``compiled`` apply Eq. 93 themselves (decay = ηλ/n; network3: η·λ·m/n),
    or its L1 or momentum variant (``sgd_update``); the other backends step ``optimizer``
    (``sgd``), which holds the same L2 as its weight decay and the same momentum, and add
    L1's (λ/n)sgn(w) to the gradient here.
    """
    if backend in MANUAL:
        step = manual_step if backend == "manual" else compiled_step("reduce-overhead" if backend == "graphed" else None)
        return step(network, x, y, eta, decay, masks, l1, momentum, velocity)
    optimizer.zero_grad()
    z = network(x, masks, OPS[backend])
    OPS[backend].cost(z, y, network.cost_function).backward()  # "function": BP1–BP4 by the engine
    if l1 and decay:
        for w in network.weights:
            w.grad.add_(torch.sign(w), alpha=decay / eta)  # ∂/∂w of (λ/n)Σ|w|
    optimizer.step()
    return z.detach()


def velocity_to_optimizer(optimizer, network, velocity, eta):
    """Give torch's SGD the book's v as its momentum buffer b = −v/η (``sgd``).

    The optimizer is made anew each epoch (seeds may have been set aside in between), so the
    ``function`` and ``autograd`` backends round v once an epoch here; ``manual`` keeps v itself.
    """
    for parameter, v in zip(network.weights + network.biases, velocity):
        optimizer.state[parameter]["momentum_buffer"] = -v / eta


def velocity_from_optimizer(optimizer, network, eta):
    """Return the book's v = −ηb from torch's momentum buffers (zero before the first step)."""
    return [-eta * optimizer.state[parameter].get("momentum_buffer", torch.zeros_like(parameter))
            for parameter in network.weights + network.biases]


def penalty(network, lmbda_over_n, regularization="l2"):
    """Return each seed's regularisation term of the cost: (λ/2n)Σw² (L2, Eq. 85) or (λ/n)Σ|w| (L1, Eq. 95)."""
    if regularization == "l1":
        return lmbda_over_n * sum(w.abs().flatten(1).sum(1) for w in network.weights)
    return 0.5 * lmbda_over_n * sum((w ** 2).flatten(1).sum(1) for w in network.weights)


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


def rows(t, index):
    """Return t's rows at index (seeds, m) as (seeds, m, …): one gather, cheaper than a shuffled copy an epoch.

    (At E = 16 a copy of 16 shuffled training sets is 2.5 GB a epoch, and took longer than the steps.)
    """
    return t.index_select(0, index.flatten()).unflatten(0, index.shape)


def epoch_line(epoch, metrics, split, size, logs):
    """Return network.py's line, ``Epoch 0: 9129 / 10000``, with one count per seed side by side."""
    seeds = f" (seeds {', '.join(str(log.seed) for log in logs)})" if len(logs) > 1 else ""
    return f"Epoch {epoch}: {', '.join(str(row[f'correct/{split}']) for row in metrics)} / {size}{seeds}"


def train_network(cfg, data, logs, training=None):
    """Train one network per log (its seed), side by side, fresh or resumed; return each log's history.

    ``training``: the training set, where it is not the first ``cfg.train_size`` images (Ch.3's
    expanded data). Raises Diverged, after the other seeds have finished, if any seed stopped
    being finite.
    """
    def state(log):  # seeds train side by side while they are at one epoch with one η; None: done
        eta = cfg.eta_after(log.history)
        return (len(log.history), eta) if eta is not None else None

    in_groups(functools.partial(train_side_by_side, training=training), cfg, data, logs, state)
    return [log.history for log in logs]


def sgd_epoch(network, x, y, cfg, generators, eta, decay, optimizer=None, velocity=None, desc=None):
    """One epoch of network2.SGD for the seeds side by side: each seed's own shuffle, then its mini-batches of m.

    ``desc``: the progress bar's label (none without it).
    """
    n, m = len(x), cfg.mini_batch_size
    order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(x.device)  # per seed
    for k in tqdm(range(0, n, m), desc=desc, leave=False, disable=None if desc else True):
        batch = order[:, k:k + m]  # each seed's next m images, gathered now, while the step finds them in cache
        masks = network.dropout_masks(batch.shape[1], generators) if cfg.p_dropout else None
        train_step(network, rows(x, batch), rows(y, batch), cfg.backend, eta, decay, optimizer, masks,
                   cfg.regularization == "l1", cfg.momentum, velocity)


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
            log.extra[name] = child.close()
    return histories


def train_side_by_side(cfg, data, logs, training=None):
    """network2.SGD for every seed of ``logs`` at once: the same steps, each seed with its own shuffle.

    The seeds share an η; when the schedule (``SGDConfig.eta_after``) ends a seed's run it is
    set aside, and when it gives them different η they return, to be grouped anew.
    """
    training = training or data.training.first(cfg.train_size)
    x, y = training.images, training.one_hot()
    generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the init, then every shuffle and mask
    network = networks(cfg, logs, x.dtype, generators)
    seeds = SideBySide(network, logs, generators, cfg, velocity=velocities(network, logs) if cfg.momentum else None)
    n, eta = len(x), cfg.eta_after(logs[0].history)
    splits = {"train": training, cfg.evaluation: getattr(data, cfg.evaluation)}
    decay, l1 = eta * cfg.lmbda / n, cfg.regularization == "l1"  # ηλ/n
    for epoch in range(len(logs[0].history), cfg.epochs):
        network = seeds.network.train()
        optimizer = None
        if cfg.backend not in MANUAL:  # torch.optim.SGD, its momentum buffers from the book's v
            optimizer = sgd(network, eta, 0.0 if l1 else cfg.lmbda / n, cfg.momentum)
            if cfg.momentum:
                velocity_to_optimizer(optimizer, network, seeds.velocity, eta)
        sgd_epoch(network, x, y, cfg, seeds.generators, eta, decay, optimizer, seeds.velocity, f"epoch {epoch}")
        if optimizer and cfg.momentum:
            seeds.velocity = velocity_from_optimizer(optimizer, network, eta)
        metrics = evaluate(network.eval(), splits, cfg.lmbda, cfg.regularization)
        if cfg.patience:  # η as the schedule set it, a curve of its own in TensorBoard
            metrics = [row | {"eta": eta} for row in metrics]
        print(epoch_line(epoch, metrics, cfg.evaluation, len(splits[cfg.evaluation]), seeds.logs))
        seeds.record(epoch, metrics, optimizer)
        next_eta = [cfg.eta_after(log.history) for log in seeds.logs]
        if None in next_eta:  # the schedule ended these seeds' runs (or the last epoch is done)
            seeds.keep([seed for seed, value in enumerate(next_eta) if value is not None])
        if not seeds.logs or any(value not in (None, eta) for value in next_eta):
            break  # done, or η changed: in_groups groups the seeds by their new η
    seeds.raise_if_diverged()
