"""One loop for every SGD run of the book, network2.SGD's and network3.SGD's, seeds side by side.

    for each epoch:
        for each mini-batch (x, y) of m:              the program's: reshuffled (network2), in file order (network3)
            Σₓ∇Cₓ ← BP1–BP4 on (x, y)                  gradient(): by hand, through the Functions, or autograd
            w ← (1 − ηλ/n)w − (η/m)Σₓ∂Cₓ/∂w            update(): Eq. 93, or its L1 or momentum form
        evaluate, print the book's line                the program's
        record each seed; set aside a seed that diverged
        stop, or go on with a new η                    the no-improvement-in-n rule (Ch.3)

What differs between the book's two programs is a small class each, a *program*:
``Network2SGD`` (repro/train.py) and ``Network3SGD`` (repro/train3.py). Its ``start`` builds the
seeds' networks (fresh or from their checkpoints), ``mini_batches`` yields an epoch's (x, y,
dropout masks), ``rule`` gives the update's constants, ``evaluate`` measures and prints.

Where ∇C comes from is the ``backend``; every backend feeds the one update below, so wherever
their gradients agree bit for bit, so do their runs (README, "Backprop by hand").
"""

import functools
from dataclasses import dataclass

import torch
from tqdm import tqdm

from repro.layers import OPS
from repro.seeds import in_groups

BACKENDS = ("manual", "function", "autograd")  # where Σₓ∇Cₓ comes from
COMPILE = ("off", "on", "cuda-graphs")  # the manual step under torch.compile; on CUDA also replayed as a graph


@dataclass(frozen=True)
class Rule:
    """The constants of one update: η, the decay ηλ/n (network3: η·λ·m/n), L1 instead of L2, momentum μ."""

    eta: float
    decay: float = 0.0
    l1: bool = False
    momentum: float = 0.0


def gradient(network, x, y, masks=None, backend="manual"):
    """Return (nabla_w, nabla_b, zᴸ): Σₓ ∂Cₓ/∂w and Σₓ ∂Cₓ/∂b over the mini-batch (x, y).

    ``manual`` calls BP1–BP4 directly (``Network.backprop``); ``function`` runs the engine over
    each layer's ``torch.autograd.Function``, whose ``backward`` calls the same equations;
    ``autograd`` differentiates the same forward written in plain torch ops (the referee).
    The engine's cost is the *sum* over the mini-batch, so that BP1's δᴸ reaches the
    equations unscaled, as ``backprop`` hands it to them.
    """
    if backend == "manual":
        return network.backprop(x, y, masks)
    network.zero_grad(set_to_none=True)
    with torch.enable_grad():
        z = network(x, masks, OPS[backend])
        OPS[backend].cost(z, y, network.cost_function, False).backward()
    return [w.grad for w in network.weights], [b.grad for b in network.biases], z.detach()


def update(network, nabla_w, nabla_b, rule, m, velocity=None):
    """Apply one step of gradient descent in place: Eq. 93, or Ch.3's L1 or momentum variant of it.

    nabla is Σₓ over the mini-batch of m, and ``rule.decay`` is ηλ/n. Biases are never
    regularised (Eq. 94).

        L2 (Eq. 93)    w ← (1 − ηλ/n) w − (η/m) Σₓ ∂Cₓ/∂w
        L1 (Eq. 96)    w ← w − (ηλ/n) sgn(w) − (η/m) Σₓ ∂Cₓ/∂w         (sgn(0) = 0, torch.sign's too)
        momentum       v ← μv − η∇C,  w ← w + v  (Ch.3, "Momentum-based gradient descent"), with
                       ∇C = (1/m) Σₓ ∇Cₓ + the regulariser's (λ/n)w or (λ/n)sgn(w)

    torch's ``_foreach`` ops apply one op to every parameter in a single call (as torch.optim
    does), rounding each element exactly as the op on each tensor would.
    """
    weights, parameters = network.weights, network.weights + network.biases
    steps = torch._foreach_mul(nabla_w + nabla_b, rule.eta / m)  # (η/m) Σₓ ∇Cₓ
    if rule.decay and (rule.l1 or rule.momentum):  # the regulariser's η(λ/n)sgn(w) or η(λ/n)w joins the gradient's
        regularizer = torch._foreach_sign(weights) if rule.l1 else weights
        torch._foreach_add_(steps[:len(weights)], torch._foreach_mul(regularizer, rule.decay))
    elif rule.decay:  # Eq. 93 as network2 writes it; w·1 is w: no pass over the weights without L2
        torch._foreach_mul_(weights, 1 - rule.decay)
    if rule.momentum:
        torch._foreach_mul_(velocity, rule.momentum)
        torch._foreach_sub_(velocity, steps)  # v ← μv − η∇C
        torch._foreach_add_(parameters, velocity)  # w ← w + v
    else:
        torch._foreach_sub_(parameters, steps)


@torch.no_grad()
def step(network, x, y, masks, rule, velocity=None, backend="manual"):
    """One mini-batch of SGD: Σₓ∇Cₓ from ``backend``, then the update; return zᴸ."""
    nabla_w, nabla_b, z = gradient(network, x, y, masks, backend)
    update(network, nabla_w, nabla_b, rule, x.shape[-2], velocity)
    return z


@functools.cache
def compiled_step(compile="on"):
    """Return the manual ``step`` under torch.compile (``--compile on``): its small ops fused, one graph per shape.

    Static shapes, so that the kernels a seed runs never depend on what the process compiled
    before it. Fused kernels round differently from eager ones: a run's last bits differ from
    the eager step's (the option is recorded in its config), and are the same whichever seeds sit
    beside it. ``cuda-graphs`` (torch's "reduce-overhead"): on CUDA the compiled step is also
    captured as a CUDA graph and replayed, one launch a step instead of dozens; on the CPU it is ``on``.
    """
    return torch.compile(step, dynamic=False, mode="reduce-overhead" if compile == "cuda-graphs" else None)


def sgd(network, eta, weight_decay, momentum=0.0):
    """Return ``torch.optim.SGD`` set to take the book's step, for training the suite's modules the PyTorch way.

    torch's step is w ← w − η(∇C̄ + weight_decay·w) = (1 − η·weight_decay)w − η(1/m)Σₓ∇Cₓ:
    network2's Eq. 93 with weight_decay = λ/n, network3's with λ·m/n; biases are not
    decayed (Eq. 94). With momentum torch keeps b ← μb + ∇C and steps w ← w − ηb: the book's
    v is −ηb. The suite's own runs use ``update``; tests/test_training.py proves the two equal.
    """
    return torch.optim.SGD([{"params": network.weights, "weight_decay": weight_decay},
                            {"params": network.biases, "weight_decay": 0.0}], lr=eta, momentum=momentum)


def sgd_epoch(seeds, mini_batches, rule, cfg, costs=False):
    """Take one step per mini-batch for the seeds side by side; with ``costs``, return Σ of each step's mean cost.

    network3 reports the training cost as the mean of its mini-batches' costs (summed here on
    the device, no sync per step); network2 measures it afresh after the epoch.
    """
    network = seeds.network.train()
    take_step = step if cfg.compile == "off" else compiled_step(cfg.compile)
    total = None
    for x, y, masks in mini_batches:
        z = take_step(network, x, y, masks, rule, seeds.velocity, cfg.backend)
        if costs:
            cost = network.cost_function.fn(z, y).mean(-1)
            total = cost if total is None else total + cost
    return total


def train(program, logs):
    """Train one network per log (its seed) as ``program`` says, fresh or resumed; return {run folder: network}.

    Seeds train side by side while they share an epoch and an η (``cfg.eta_after``); a
    schedule that parts them, or a resume that finds them an epoch apart, regroups them.
    Raises Diverged, after the other seeds have finished, if any seed stopped being finite.
    """
    def state(log):  # what seeds side by side share; None: done
        eta = program.cfg.eta_after(log.history)
        return (len(log.history), eta) if eta is not None else None

    return in_groups(functools.partial(train_group, program), logs, state)


def train_group(program, logs):
    """network2.SGD or network3.SGD for the seeds of ``logs``, which share an epoch and an η."""
    cfg, seeds = program.cfg, program.start(logs)
    eta = cfg.eta_after(logs[0].history)
    for epoch in range(len(logs[0].history), cfg.epochs):
        rule = program.rule(seeds, eta)
        costs = sgd_epoch(seeds, program.mini_batches(seeds, epoch), rule, cfg, program.costs_from_steps)
        metrics = program.evaluate(seeds, epoch, costs)  # and prints the book's line
        seeds.record(epoch, metrics, program.images(seeds))
        next_eta = [cfg.eta_after(log.history) for log in seeds.logs]
        if all(value is None for value in next_eta) or any(value not in (None, eta) for value in next_eta):
            break  # done, or η changed: ``train`` groups the seeds by their new η
        if None in next_eta:  # the schedule ended these seeds' runs early (Ch.3's early stopping)
            seeds.keep([seed for seed, value in enumerate(next_eta) if value is not None])
    seeds.raise_if_diverged()
    return {log.run_dir: seeds.network.member(seed) for seed, log in enumerate(seeds.logs)}
