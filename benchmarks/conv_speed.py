"""Seconds per training epoch of chapter 6's conv2 network: ``python benchmarks/conv_speed.py``.

ConvPool(1→20) → ConvPool(20→40) → FC(640→100) → Softmax(100→10), sigmoid, m = 10,
η = 0.1, the 50,000 training images in file order (network3), no evaluation:

  (b) manual: the conv, pool and BP1–BP4 equations by hand, called directly, float32;
  (c) function: cost.backward() through the layers' hand-written Functions, torch.optim.SGD;
  (d) autograd: the same network in plain torch ops (F.conv2d, F.max_pool2d), differentiated by torch.

Each row times the first --batches mini-batches (after a few warm-up steps), the best
of --repeats tries, and scales the time to an epoch of 5,000 mini-batches; the table
says how many were timed. On a shared CPU the torch thread count matters a great deal:
the small ops of an m = 10 step gain little from a second thread, and with another
process busy on one of the two cores, OpenMP's spinning threads made a step ~30× slower
here (OMP_WAIT_POLICY=PASSIVE cures most of it). So each thread count gets its rows.
Targets on the 2-core CPU: (b) within 1.5× of (d) and at most 20 s per epoch (issue #4);
(c) within 1.3× of (b) (issue #9).
"""

import argparse
import time

import torch

from repro.data import load_mnist
from repro.sgd import step
from repro.update import Rule
from repro.train3 import Network3Config

CONFIG = Network3Config(conv_maps=(20, 40), fc_sizes=(100,), activation="sigmoid", eta=0.1, mini_batch_size=10)
WARM_UP = 20


def seconds_per_epoch(x, y, cfg, batches, seed=0):
    """Return the time of `batches` mini-batches of SGD, scaled to one epoch of len(x) images."""
    generator = torch.Generator().manual_seed(seed)
    network = cfg.network(generator)
    rule, m = Rule(cfg.eta), cfg.mini_batch_size
    synchronize = torch.cuda.synchronize if cfg.device.startswith("cuda") else (lambda: None)
    for k in range(0, WARM_UP * m, m):
        step(network, (x[k:k + m], y[k:k + m], None), rule, backend=cfg.backend)
    synchronize()
    started = time.perf_counter()
    for k in range(0, batches * m, m):
        step(network, (x[k:k + m], y[k:k + m], None), rule, backend=cfg.backend)
    synchronize()
    return (time.perf_counter() - started) * (len(x) // m) / batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=500, help="mini-batches timed per row (5,000 = a full epoch)")
    parser.add_argument("--repeats", type=int, default=2, help="tries per row; the fastest is kept")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, torch.get_num_threads()])
    args = parser.parse_args()
    data = load_mnist().training
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        x, y = data.images.to(device), data.one_hot().to(device)
        for threads in dict.fromkeys(args.threads if device == "cpu" else [torch.get_num_threads()]):
            torch.set_num_threads(threads)
            times = {backend: min(seconds_per_epoch(x, y, Network3Config(**{**CONFIG.as_dict(), "backend": backend,
                                                                         "device": device}), args.batches)
                                  for _ in range(args.repeats))
                     for backend in ("manual", "function", "autograd")}
            rows.append((device, threads, times))
    print(f"conv2 network (ConvPool 20, ConvPool 40, FC 100, softmax), m = 10, 50,000 images; torch {torch.__version__}; "
          f"each row times {args.batches} of the 5,000 mini-batches (best of {args.repeats}) and scales to an epoch\n")
    print("| device | threads | (b) manual s / epoch | (c) function s / epoch | (d) autograd s / epoch "
          "| manual / autograd | function / manual |\n|---|---|---|---|---|---|---|")
    for device, threads, times in rows:
        print(f"| {device} | {threads} | {times['manual']:.1f} | {times['function']:.1f} | {times['autograd']:.1f} | "
              f"{times['manual'] / times['autograd']:.2f}× | {times['function'] / times['manual']:.2f}× |")


if __name__ == "__main__":
    main()
