"""Seconds per training epoch of the chapter-1 network, four ways: ``python benchmarks/epoch_speed.py``.

[784, 30, 10], quadratic cost, m = 10, η = 3.0, all 50,000 training images, one
epoch each (no evaluation), on the CPU unless --device cuda:

  (a) the book's algorithm per example in NumPy (repro/numpy_reference.py), float64 as network.py;
  (b) the manual backend: BP1–BP4 by hand, called directly, float32;
  (c) the function backend: cost.backward() through the hand-written Functions, the same update;
  (d) the autograd backend: the same network in plain torch ops, cost.backward(), the same update.

Prints one Markdown table with the ratio of each to (a), and of (c) to (b). Targets
(issues #2, #9) on the 2-core CI machine: (b) at least 5× faster than (a); (c) within 3× of (b).
"""

import argparse
import time

import numpy as np
import torch

from repro import numpy_reference
from repro.data import load_mnist
from repro.sgd import step
from repro.train import SGDConfig
from repro.update import Rule

CONFIG = SGDConfig(sizes=(784, 30, 10), cost="quadratic", init="large", eta=3.0, epochs=1)
LABELS = {"manual": "(b) manual: BP1–BP4 by hand", "function": "(c) function: cost.backward() through them",
          "autograd": "(d) autograd: torch's referee"}


def numpy_epoch(x, y, cfg, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(cfg.sizes[:-1], cfg.sizes[1:])]
    biases = [rng.standard_normal((n_out, 1)) for n_out in cfg.sizes[1:]]
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    started = time.perf_counter()
    for k in range(0, len(x), cfg.mini_batch_size):
        numpy_reference.update_mini_batch(weights, biases, x[k:k + cfg.mini_batch_size],
                                          y[k:k + cfg.mini_batch_size], cfg.eta)
    return time.perf_counter() - started


def torch_epoch(x, y, cfg, seed):
    generator = torch.Generator().manual_seed(seed)
    network = cfg.network(generator)
    m, rule = cfg.mini_batch_size, Rule(cfg.eta)
    order = torch.randperm(len(x), generator=generator).to(x.device)
    x, y = x[order], y[order]
    synchronize = torch.cuda.synchronize if cfg.device.startswith("cuda") else (lambda: None)
    synchronize()
    started = time.perf_counter()
    for k in range(0, len(x), cfg.mini_batch_size):
        step(network, (x[k:k + m], y[k:k + m], None), rule, backend=cfg.backend)
    synchronize()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads, as python -m repro.run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_mnist().training
    x, y = data.images, data.one_hot()
    rows = [("(a) NumPy, per example (the book's algorithm)", "cpu",
             numpy_epoch(x.numpy(), y.numpy(), CONFIG, args.seed))]
    for backend, label in LABELS.items():
        cfg = SGDConfig(**{**CONFIG.as_dict(), "backend": backend, "device": args.device})
        rows.append((label, args.device, torch_epoch(x.to(args.device), y.to(args.device), cfg, args.seed)))
    baseline = rows[0][2]
    print(f"[784, 30, 10], m = 10, one epoch of 50,000 images; torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s)\n")
    print("| implementation | device | s / epoch | speed-up vs (a) | time vs (b) |\n|---|---|---|---|---|")
    for label, device, seconds in rows:
        print(f"| {label} | {device} | {seconds:.2f} | {baseline / seconds:.1f}× | {seconds / rows[1][2]:.2f}× |")


if __name__ == "__main__":
    main()
