"""Seeds side by side: several runs of one configuration trained as one network with a seed axis.

The book reports chapters 1 and 6 as the best of three runs, and every band here is set
from several seeds. At m = 10 a [784, 30, 10] step is too little arithmetic to keep a core
busy, so E networks (``Network.side_by_side``) take one step together: every matrix
product becomes a batched one over the seed axis. Each seed keeps what makes it its own
run: its initialisation and shuffles drawn from its own generator, its dropout masks, its
run folder, events, config.json, results.json and checkpoint.

A seed's numbers do not depend on its neighbours. On one thread each batched product is,
seed by seed, the product alone, and every elementwise op used rounds an element the same
wherever it sits in the tensor (which is why σ is network.py's 1/(1 + e⁻ᶻ) and not
``torch.sigmoid``): tests/test_seeds.py holds E = 1, 3 and 8 and the unbatched network equal,
bit for bit. So one seed alone is simply E = 1, a run can resume its seeds in any grouping,
and a seed that diverges is set aside while the others go on.
"""

import math

import torch

from repro.network import Network


class Diverged(Exception):
    """A cost or parameter stopped being finite: the run ends there, a result (exit 3), not a crash."""


def networks(cfg, logs, dtype, generators, resumed_generators=None):
    """Return the seeds' networks side by side, fresh or each from its checkpoint.

    Each network is drawn from its seed's generator (``generators``, one per seed) exactly
    as a run alone draws it; a checkpoint restores the network and the generator the run
    goes on drawing from (``resumed_generators``, default ``generators``).
    """
    members = []
    for log, generator, resumed in zip(logs, generators, resumed_generators or generators):
        network = cfg.network(generator).to(dtype)  # float32, unless a test hands in float64 data
        if checkpoint := log.resume(network):
            resumed.set_state(checkpoint["generator"])
        members.append(network)
    return Network.side_by_side(members)


def velocities(network, logs):
    """Return momentum's velocity v (Ch.3) of the seeds side by side: each from its checkpoint, zero for a new run."""
    saved = [log.checkpoint().get("velocity") for log in logs]
    return [torch.stack([v[k] if v else torch.zeros_like(p[seed]) for seed, v in enumerate(saved)])
            for k, p in enumerate(network.weights + network.biases)]


LARGEST = 1e19  # past this |w|, w² overflows float32 (3.4e38): the L2 term, ‖w‖² and TensorBoard's histograms are ±inf


def not_finite(network, metrics):
    """Return what is no longer finite in one seed's metrics or parameters (a parameter past LARGEST counts).

    Adam with a huge η (the RNN) moves each weight by about η a step and never reaches inf, but
    a weight of 1e30 has stopped being a number the run can compute with.
    """
    bad = [tag for tag, value in metrics.items() if isinstance(value, float) and not math.isfinite(value)]
    return bad + [name for name, parameter in network.named_parameters() if not parameter.abs().le(LARGEST).all()]


def set_aside(log, epoch, metrics, network, cfg):
    """Return None while a seed's metrics and parameters are finite; else record in its log that it diverged
    at this epoch (its last checkpoint stays the last good one) and return the line that says so."""
    if not (bad := not_finite(network, metrics)):
        return None
    log.diverged(epoch, metrics)
    lmbda = f", lmbda {cfg.lmbda}" if hasattr(cfg, "lmbda") else ""
    return (f"seed {log.seed} diverged at epoch {epoch}: {', '.join(bad)} not finite (or past ±{LARGEST:g}) "
            f"with eta {cfg.eta}{lmbda}; try a smaller eta (results in {log.run_dir})")


class SideBySide:
    """The seeds training together: their network, logs and generators, and the seeds set aside."""

    def __init__(self, network, logs, generators, cfg, data=None, velocity=None):
        self.network, self.logs, self.generators, self.cfg = network, list(logs), list(generators), cfg
        self.data = data  # each seed's own training set, where seeds train on different ones (Ch.6 expanded)
        self.velocity = velocity  # momentum's v per parameter, (seeds, *shape), or None
        self.diverged = []  # one line per seed that stopped being finite

    @classmethod
    def fresh(cls, cfg, logs, dtype=torch.float32):
        """Return the seeds side by side, each network drawn from its seed's generator afresh: no checkpoint read."""
        generators = [torch.Generator().manual_seed(log.seed) for log in logs]  # the init, then every shuffle
        return cls(Network.side_by_side([cfg.network(g).to(dtype) for g in generators]), logs, generators, cfg)

    def record(self, epoch, metrics, images=None):
        """Record each seed's epoch in its own log (images: seed → {tag: image}); set aside seeds that diverged."""
        keep = []
        for seed, (log, generator, seed_metrics) in enumerate(zip(self.logs, self.generators, metrics)):
            member = self.network.member(seed)
            if diverged := set_aside(log, epoch, seed_metrics, member, self.cfg):
                self.diverged.append(diverged)
                continue
            state = {"generator": generator.get_state()}  # where its shuffles and masks go on
            if self.velocity:
                state["velocity"] = [v[seed].cpu().clone() for v in self.velocity]
            log.epoch(epoch, seed_metrics, member, images=(images or {}).get(seed), state=state)
            keep.append(seed)
        if len(keep) < len(self.logs):
            self.keep(keep)

    def keep(self, seeds):
        """Go on with these seeds only (indices); each one's numbers are unchanged by the others leaving."""
        if seeds:
            self.network = Network.side_by_side([self.network.member(seed) for seed in seeds]).train(
                self.network.training)
        self.logs = [self.logs[seed] for seed in seeds]
        self.generators = [self.generators[seed] for seed in seeds]
        if self.data is not None:
            self.data = [self.data[seed] for seed in seeds]
        if self.velocity:
            self.velocity = [v[seeds] for v in self.velocity]

    def raise_if_diverged(self):
        if self.diverged:
            raise Diverged("; ".join(self.diverged))
