"""One loop for every SGD run of the book, network2.SGD's and network3.SGD's, seeds side by side.

    for each epoch:
        for each mini-batch (x, y) of m:              the program's: reshuffled (network2), in file order (network3)
            Σₓ∇Cₓ ← BP1–BP4 on (x, y)                  step(): by hand, through the Functions, or autograd
            w ← (1 − ηλ/n)w − (η/m)Σₓ∂Cₓ/∂w            update(): Eq. 93, or its L1 or momentum form
        evaluate, print the book's line                the program's
        record each seed; set aside a seed that diverged
        stop, or go on with a new η                    the no-improvement-in-n rule (Ch.3)

What differs between the book's two programs is a small class each, a *program*:
``Network2SGD`` (repro/train.py) and ``Network3SGD`` (repro/train3.py). Its ``start`` builds the
seeds' networks (fresh or from their checkpoints), ``mini_batches`` yields an epoch's (x, y,
dropout masks), ``rule`` gives the update's constants, ``evaluate`` measures and prints.

Where ∇C comes from is the ``backend``; every backend feeds the one update (repro/update.py),
so wherever their gradients agree bit for bit, so do their runs (README, "Backprop by hand").
"""

import functools

import torch

from repro.layers import OPS
from repro.seeds import Diverged
from repro.update import update

BACKENDS = ("manual", "function", "autograd")  # where Σₓ∇Cₓ comes from
COMPILE = ("off", "on", "cuda-graphs")  # the manual step under torch.compile; on CUDA also replayed as a graph


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


def sgd_epoch(seeds, mini_batches, rule, cfg, costs=False):
    """Take one step per mini-batch for the seeds side by side; with ``costs``, return Σ of each step's mean cost.

    network3 reports the training cost as the mean of its mini-batches' costs (summed here on
    the device, no sync per step); network2 measures it afresh after the epoch.
    """
    network = seeds.network.train()
    take_step = step if cfg.compile == "off" else compiled_step(cfg.compile)
    total = None
    for batch in mini_batches:
        z = take_step(network, batch, rule, seeds.velocity, cfg.backend)
        if costs:
            cost = network.cost_function.fn(z, batch[1]).mean(-1)
            total = cost if total is None else total + cost
    return total


def step(network, batch, rule, velocity=None, backend="manual"):
    """One mini-batch (x, y, dropout masks) of SGD: Σₓ∇Cₓ from ``backend`` (BP1–BP4 called directly by default),
    then the update; return zᴸ."""
    x, y, masks = batch
    with torch.no_grad():
        if backend == "manual":
            nabla_w, nabla_b, z = network.backprop(x, y, masks)
        else:
            nabla_w, nabla_b, z = gradient_by_engine(network, x, y, masks, backend)
        update(network, nabla_w, nabla_b, rule, x.shape[-2], velocity)
    return z


def gradient_by_engine(network, x, y, masks, backend):
    """Return (nabla_w, nabla_b, zᴸ), Σₓ ∂Cₓ/∂w and Σₓ ∂Cₓ/∂b over the mini-batch (x, y), by ``cost.backward()``.

    ``function``: the engine runs each layer's ``torch.autograd.Function``, whose ``backward``
    calls the equations ``Network.backprop`` calls (the ``manual`` backend); ``autograd``: it
    differentiates the same forward written in plain torch ops (the referee). The cost is the
    *sum* over the mini-batch, so that BP1's δᴸ reaches the equations unscaled, as ``backprop``
    hands it to them: ``function``'s gradients are ``manual``'s, bit for bit.
    """
    network.zero_grad(set_to_none=True)
    with torch.enable_grad():
        z = network(x, masks, OPS[backend])
        OPS[backend].cost(z, y, network.cost_function, False).backward()
    return [w.grad for w in network.weights], [b.grad for b in network.biases], z.detach()


@functools.cache
def compiled_step(mode="on"):
    """Return the manual ``step`` under torch.compile (``--compile on``): its small ops fused, one graph per shape.

    Static shapes, so that the kernels a seed runs never depend on what the process compiled
    before it. Fused kernels round differently from eager ones: a run's last bits differ from
    the eager step's (the option is recorded in its config), and are the same whichever seeds sit
    beside it. ``cuda-graphs`` (torch's "reduce-overhead"): on CUDA the compiled step is also
    captured as a CUDA graph and replayed, one launch a step instead of dozens; on the CPU it is ``on``.
    """
    return torch.compile(step, dynamic=False, mode="reduce-overhead" if mode == "cuda-graphs" else None)


def in_groups(train, logs, state):
    """Run train(group) on each group of seeds in one state until none is left; return {run folder: …}.

    ``state(log)``: what the seeds of a group share (the epoch they resume at, and η); None
    for a seed that is done. ``train`` returns, merged here, whatever it hands back (a finished
    seed's network too), and may return early when its seeds stop sharing a state; they are
    then grouped anew, until a pass trains no epoch. Raises Diverged, after the other seeds
    have finished, if any seed stopped being finite.
    """
    trained, diverged, before = {}, [], None
    while (groups := by_state(logs, state)) and before != (now := [len(log.history) for log in logs]):
        before = now  # a pass that trains no epoch would come back forever
        for group in groups:
            try:
                trained |= train(group) or {}
            except Diverged as error:
                diverged.append(str(error))
    if diverged:
        raise Diverged("; ".join(diverged))
    return trained


def by_state(logs, state):
    """Return the running logs grouped by ``state(log)``, in the order given; a state None is a finished seed.

    Seeds of one run checkpoint one after another, so a run stopped while writing them can
    have seeds an epoch apart; with a learning-rate schedule (Ch.3) seeds come to differ in η.
    Each group trains side by side on its own.
    """
    groups = {}
    for log in logs:
        if log.status == "running" and (key := state(log)) is not None:
            groups.setdefault(key, []).append(log)
    return list(groups.values())
