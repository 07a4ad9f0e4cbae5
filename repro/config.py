"""What every run's configuration checks alike, once, before any data is loaded or any time is spent."""

import math
import os
from dataclasses import asdict

import torch

from repro.data import N_TRAINING
from repro.network3 import Network3
from repro.sgd import BACKENDS, COMPILE

RENAMED = {"compiled": "--compile on", "graphed": "--compile cuda-graphs"}  # backends until issue 20


class Checked:
    """Base of the frozen configurations (network2's, network3's, the RNN's): their shared checks, then their own.

    A subclass lists its own (ok, message) pairs in ``checks``; construction raises
    ValueError with the first message whose check fails, so a bad value is refused in one line.
    """

    def checks(self):
        return []

    def __post_init__(self):
        for ok, message in shared_checks(self) + self.checks():
            if not ok:
                raise ValueError(message)

    def as_dict(self):
        return asdict(self)


def shared_checks(cfg):
    """Return the checks of the fields runs share: η, λ and p where a run has them, m, epochs, n, backend, device."""
    backend, compile = getattr(cfg, "backend", "manual"), getattr(cfg, "compile", "off")  # the RNN has neither
    lmbda, p_dropout = getattr(cfg, "lmbda", 0.0), getattr(cfg, "p_dropout", 0.0)
    return [
        (0 < cfg.eta < math.inf, f"eta must be > 0 and finite, got {cfg.eta}"),
        (0 <= lmbda < math.inf, f"lmbda must be >= 0 and finite, got {lmbda}"),
        (0 <= p_dropout < 1, f"p-dropout must be in [0, 1), got {p_dropout}"),
        (cfg.epochs >= 1, f"epochs must be >= 1, got {cfg.epochs}"),
        (1 <= cfg.train_size <= N_TRAINING, f"train-size must be between 1 and {N_TRAINING}, got {cfg.train_size}"),
        (1 <= cfg.mini_batch_size <= cfg.train_size,
         f"mini-batch-size must be between 1 and train-size ({cfg.train_size}), got {cfg.mini_batch_size}"),
        (backend not in RENAMED, f"backend {backend} is now {RENAMED.get(backend)} (with --backend manual)"),
        (backend in BACKENDS, f"backend must be one of {BACKENDS}, got {backend!r}"),
        (compile in COMPILE, f"compile must be one of {COMPILE}, got {compile!r}"),
        (compile == "off" or backend == "manual",
         f"--compile {compile} compiles the manual step: use it with --backend manual, not {backend}"),
        (cfg.device.split(":")[0] in ("cpu", "cuda"), f"device must be cpu or cuda, got {cfg.device!r}"),
        (not cfg.device.startswith("cuda") or torch.cuda.is_available(),
         "device cuda was asked for, but torch sees no CUDA device here"),
    ]


def memory_refusal(cfg, seeds):
    """Return why cfg's networks cannot be allocated on its device, seeds side by side, or None if they may be.

    A lower bound: each network's float32 parameters twice (the weights and their gradients),
    against all the device's memory, so that a refusal is certain and nothing that could run is
    refused (``--sizes 784,100000000,10`` once failed allocating after its run folder was made).
    """
    if (parameters := parameter_count(cfg)) is None:
        return None  # a network of no sizes the CLI sets (the RNN's, Ch.5's chains)
    needed = 2 * 4 * parameters * seeds * getattr(cfg, "ensemble", 1)
    device = torch.device(cfg.device)
    available = torch.cuda.get_device_properties(device).total_memory if device.type == "cuda" else \
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if needed <= available:
        return None
    gib, side_by_side = 2 ** 30, f"{seeds} seeds side by side" if seeds > 1 else "1 seed"
    return (f"this network needs at least {needed / gib:,.1f} GiB ({parameters:,} parameters and their gradients, "
            f"{side_by_side}) but the {device.type} has {available / gib:,.1f} GiB: use smaller layers, "
            "or fewer seeds side by side (--batch-seeds off)")


def parameter_count(cfg):
    """Return the parameters of one network of cfg: network2's sizes, or network3's layers counted on the meta
    device (no memory), or None for a network the CLI sets no size of."""
    if hasattr(cfg, "sizes"):
        return sum((n_in + 1) * n_out for n_in, n_out in zip(cfg.sizes[:-1], cfg.sizes[1:]))  # wˡ and bˡ
    if hasattr(cfg, "fc_sizes"):
        with torch.device("meta"):
            layers = Network3.layers_of(cfg.conv_maps, cfg.fc_sizes, None, cfg.p_dropout)
        return sum(parameter.numel() for layer in layers for parameter in layer.parameters())
    return None
