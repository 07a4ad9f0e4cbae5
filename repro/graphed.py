"""network3.SGD on a GPU: seeds side by side, many steps replayed as one CUDA graph, several packs at once.

At m = 10 a chapter-6 step is about a hundred kernels of a few microseconds each, so on a
GPU the cost of a step is launching them, not the arithmetic. Three things fill the GPU:

- the networks of one configuration take their steps side by side (repro/seeds.py), their
  convolutions grouped into one (repro/conv.py ``per_seed``);
- ``steps_per_replay`` steps, mini-batch selection, update and cost sum included, are captured
  once as a CUDA graph (``torch.cuda.CUDAGraph``) and replayed: one launch for fifty steps;
- several packs (configurations) replay on streams of their own, so their small kernels run
  on the GPU at the same time (``train_epoch``).

The step itself is ``repro.sgd.step``: the same BP1–BP4 and conv equations as every
other run, called directly. Each network trains on its own training set (Ch.6's expanded
set, drawn by its seed) in file order, as ``repro.train3.Network3SGD`` does; on the CPU
(no graphs, no streams) a pack is bit for bit that function's seeds (tests/test_ladder.py).
On CUDA it promises less: the grouped convolutions sum in cuDNN's order, and the dropout
masks of a pack come from one CUDA generator, so a network's last bits depend on the
networks packed beside it. Its recipe names them.
"""

import contextlib
import time

import torch

from repro.conv import dropout_mask
from repro.network import Network
from repro.sgd import step
from repro.train3 import network3_rule


class Pack:
    """Networks of one network3 configuration side by side, each on its own training set, stepping together."""

    def __init__(self, cfg, members, images, labels, sets, generators):
        """members: the networks; images, labels: (sets, n, ·) on the device; sets[k]: the set member k trains on."""
        self.cfg, self.network = cfg, Network.side_by_side(members).train()
        self.images, self.labels, self.generators = images, labels, generators  # generators: the CPU's masks
        self.rows = torch.tensor(sets, device=images.device)[:, None]  # (E, 1): each member's set
        self.offsets = torch.arange(cfg.mini_batch_size, device=images.device)  # (m,)
        self.cursor = torch.zeros((), dtype=torch.long, device=images.device)  # the next mini-batch's first image
        self.cost = torch.zeros(len(members), device=images.device)  # Σ over this epoch's mini-batches, per member
        self.cuda = images.is_cuda
        self.stream = torch.cuda.Stream(images.device) if self.cuda else None
        self.graphs, self.fallback = {}, None  # steps → CUDA graph; why graphs failed, if they did

    @property
    def state_bytes(self):
        """Bytes of the members' parameters: what the pack's checkpoints weigh if it stops unfinished."""
        return sum(p.numel() * p.element_size() for p in self.network.parameters())

    @property
    def steps_per_epoch(self):
        return self.images.shape[1] // self.cfg.mini_batch_size  # network3 drops a last partial mini-batch

    def step(self):
        """One mini-batch of network3.SGD for every member, in file order: select, BP1–BP4, update, add the cost."""
        cfg, m = self.cfg, self.cfg.mini_batch_size
        index = (self.cursor + self.offsets) % self.images.shape[1]  # (m,): no host sync, so it can be captured;
        # the remainder only matters to timing steps past an epoch's end, which on CUDA would be a device assert
        x, y = self.images[self.rows, index], self.labels[self.rows, index]  # (E, m, 784), (E, m, 10)
        masks = self.pack_masks(m) if self.cuda else self.network.dropout_masks(m, self.generators)  # as train3
        z = step(self.network, (x, y, masks), network3_rule(cfg, self.images.shape[1]))
        self.cost += self.network.cost_function.fn(z, y).mean(-1)
        self.cursor += m

    def pack_masks(self, m):
        """Return every member's dropout masks in one draw from the device's generator (the CUDA path)."""
        if not self.cfg.p_dropout:
            return None
        return [dropout_mask((self.network.seeds, m, layer.weight.shape[-1]), layer.p_dropout, None, layer.weight)
                if layer.p_dropout > 0 else None for layer in self.network.layers]

    def snapshot(self):
        """Return the parameters and the masks' generators as they are: timing and warm-up steps change both."""
        return [p.detach().clone() for p in self.network.parameters()], [g.get_state() for g in self.generators]

    @torch.no_grad()
    def restore(self, saved):
        """Put back what ``snapshot`` saved, so that steps taken to time or capture leave no trace."""
        parameters, states = saved
        for p, value in zip(self.network.parameters(), parameters):
            p.copy_(value)
        for generator, state in zip(self.generators, states):
            generator.set_state(state)
        self.start_epoch()

    def replay(self, steps):
        """Take ``steps`` steps: a captured graph of that many if there is one, else one by one."""
        with torch.cuda.stream(self.stream) if self.cuda else contextlib.nullcontext():
            if steps in self.graphs:
                self.graphs[steps].replay()
            else:
                for _ in range(steps):
                    self.step()

    def capture(self, steps):
        """Capture ``steps`` steps as one CUDA graph; on failure keep stepping eagerly and say why (``fallback``).

        Three warm-up steps on a side stream first (cuDNN and cuBLAS set up there, as torch's
        docs ask); they train, so the parameters are put back afterwards.
        """
        saved = self.snapshot()
        try:
            side = torch.cuda.Stream(self.images.device)
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    self.step()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                for _ in range(steps):
                    self.step()
            self.graphs[steps] = graph
        except Exception as error:  # noqa: BLE001: any failure to capture means eager steps, said aloud
            self.fallback = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        self.restore(saved)

    def start_epoch(self):
        """Point at the first mini-batch and zero the cost sum, after whatever the default stream did to the pack."""
        if self.cuda:
            self.stream.wait_stream(torch.cuda.current_stream())  # evaluation, a restore: before the next step
        with torch.cuda.stream(self.stream) if self.cuda else contextlib.nullcontext():
            self.cursor.zero_()
            self.cost.zero_()


def train_epoch(packs, steps_per_replay):
    """One epoch of every pack, their replays interleaved so that their streams overlap on the GPU."""
    for pack in packs:
        pack.start_epoch()
    steps = packs[0].steps_per_epoch  # every pack trains on sets of one size
    for _ in range(steps // steps_per_replay):
        for pack in packs:
            pack.replay(steps_per_replay)
    for pack in packs:
        pack.replay(steps % steps_per_replay)
    synchronize(packs)


def synchronize(packs):
    if any(pack.cuda for pack in packs):
        torch.cuda.synchronize()


def seconds_per_step(packs, steps_per_replay, replays):
    """Return the seconds a step of these packs takes together, over ``replays`` replays after one untimed.

    The steps timed are undone: the packs are left as they were.
    """
    saved = [pack.snapshot() for pack in packs]
    for pack in packs:
        pack.replay(steps_per_replay)
    synchronize(packs)
    started = time.perf_counter()
    for _ in range(replays):
        for pack in packs:
            pack.replay(steps_per_replay)
    synchronize(packs)
    seconds = (time.perf_counter() - started) / (replays * steps_per_replay)
    for pack, state in zip(packs, saved):
        pack.restore(state)
    return seconds
