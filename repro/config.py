"""What every run's configuration checks alike, once, before any data is loaded or any time is spent."""

import math
from dataclasses import asdict

import torch

from repro.data import N_TRAINING
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
