"""Seconds per model-epoch with seeds side by side: ``python benchmarks/seeds_speed.py``.

Table 1, chapter 1's [784, 30, 10] network (quadratic cost, m = 10, η = 3.0), training
steps only, one epoch = 5,000 mini-batches of the 50,000 images, each model its own shuffle:

  NumPy per example        the book's algorithm (repro/numpy_reference.py), float64, one model
  nn.Sequential loop       what a PyTorch user writes: nn.Sequential(Linear, Sigmoid, Linear,
                           Sigmoid), the quadratic cost, loss.backward(), torch.optim.SGD;
                           data resident, m = 10, one model
  manual, no seed axis     Network.backprop + network2's update on (m, 784) mini-batches
  manual, E side by side   the same step on E networks at once (repro/seeds.py): what
                           ``python -m repro.run NAME --seed …`` runs, E = 1 for one seed
  compiled, E side by side the same step under ``torch.compile`` (--compile: the CLI's
                           ``--compile on``; its last bits differ from the eager step's)

with the FLOPs of the step's matrix products per model-epoch, and each row's share of the
machine's FLOP limit, measured as a 2048 × 2048 float32 ``torch.mm`` on the same threads.
Table 2, chapter 6's conv2 network (sigmoid, m = 10), E = 1 and 3. Table 3: where the CLI's
epoch goes (the shuffles, the steps, the evaluation on 60,000 images), E = 1 and 16.
``--profile`` adds torch.profiler's table of the step at E = 1 and E = 16.

Each row times --batches mini-batches (after warm-up), the best of --repeats, scaled to an
epoch. Targets on the 2-core CPU, one thread (issue #11): E = 16 ≤ 0.25 s per model-epoch and
≥ 4× faster per model than the nn.Sequential loop; one seed (E = 1) ≥ 2× faster than that loop.
"""

import argparse
import time

import torch
from torch import nn

from epoch_speed import numpy_epoch  # this folder is on sys.path when run as a script
from experiments import chap1_network, chap6_conv
from repro.data import N_TRAINING, load_mnist
from repro.network import Network
from repro.sgd import compiled_step, step
from repro.train import evaluate, rows
from repro.update import Rule

CONFIG = chap1_network.CONFIG
RULE = Rule(CONFIG.eta)  # η, no decay: the steps timed
CONV2 = chap6_conv.CONV2
BATCHES_PER_EPOCH = N_TRAINING // 10
DEVICE = "cpu"  # --device


def synchronize():
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def networks(cfg, seeds):
    """Return the seeds' networks side by side on DEVICE, each drawn on the CPU as the CLI draws it."""
    return Network.side_by_side([cfg.network(torch.Generator().manual_seed(seed)) for seed in seeds]).to(DEVICE)


def best_time(run, repeats):
    """Return the fastest of ``repeats`` timed calls of run(), after one untimed call."""
    run()
    times = []
    for _ in range(repeats):
        synchronize()
        started = time.perf_counter()
        run()
        synchronize()
        times.append(time.perf_counter() - started)
    return min(times)


def shuffled(training, seeds, batches):
    """Return (x, y) of E = len(seeds) models, each shuffled by its own generator: (E, batches·10, …)."""
    orders = torch.stack([torch.randperm(len(training), generator=torch.Generator().manual_seed(seed))[:batches * 10]
                          for seed in seeds]).to(training.images.device)
    return training.images[orders], training.one_hot()[orders]


def side_by_side_epoch(cfg, training, seeds, batches, repeats, take_step=step):
    """Return seconds per model-epoch of the manual step on len(seeds) networks side by side."""
    network = networks(cfg, seeds)
    x, y = shuffled(training, seeds, batches)
    masks = [None] * len(network.layers)

    def run():
        for k in range(0, batches * 10, 10):
            take_step(network, (x[:, k:k + 10], y[:, k:k + 10], masks), RULE)

    return best_time(run, repeats) * BATCHES_PER_EPOCH / batches / len(seeds)


def no_seed_axis_epoch(training, batches, repeats):
    network = CONFIG.network(torch.Generator().manual_seed(0)).to(DEVICE)
    x, y = shuffled(training, [0], batches)

    def run():
        for k in range(0, batches * 10, 10):
            step(network, (x[0, k:k + 10], y[0, k:k + 10], None), RULE)

    return best_time(run, repeats) * BATCHES_PER_EPOCH / batches


def sequential_epoch(training, batches, repeats):
    """Return seconds per epoch of the plain PyTorch loop a user would write for Ch.1's network."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 30), nn.Sigmoid(), nn.Linear(30, 10), nn.Sigmoid()).to(DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=CONFIG.eta)
    x, y = shuffled(training, [0], batches)
    x, y = x[0], y[0]

    def run():
        for k in range(0, batches * 10, 10):
            optimizer.zero_grad()
            loss = 0.5 * ((model(x[k:k + 10]) - y[k:k + 10]) ** 2).sum(1).mean()  # network.py's quadratic cost
            loss.backward()
            optimizer.step()

    return best_time(run, repeats) * BATCHES_PER_EPOCH / batches


def flop_limit():
    """Return float32 FLOP/s of a large matrix product on the current threads: what the CPU can do at best."""
    a, b = torch.rand(2048, 2048, device=DEVICE), torch.rand(2048, 2048, device=DEVICE)
    return 2 * 2048 ** 3 / best_time(lambda: a @ b, 5)


def fully_connected_flops(sizes, examples=N_TRAINING):
    """Return the FLOPs of one epoch's matrix products: zˡ = wa + b, ∂C/∂w = δaᵀ, and (wˡ)ᵀδˡ above layer 1."""
    products = [n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 2 * examples * (2 * sum(products) + sum(products[1:]))


def conv2_flops(examples=N_TRAINING):
    """Return the FLOPs of one conv2 epoch's convolutions and matrix products (forward, ∂C/∂w, ∂C/∂a)."""
    conv1, conv2, fc, softmax = 24 * 24 * 20 * 25, 8 * 8 * 40 * 20 * 25, 640 * 100, 100 * 10
    return 2 * examples * (2 * (conv1 + conv2 + fc + softmax) + conv2 + fc + softmax)


def epoch_parts(training, data, seeds):
    """Return seconds of the CLI's epoch, per model: the shuffles, the 5,000 steps (each gathering its batch),
    the evaluation."""
    network = networks(CONFIG, seeds)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    x, y = training.images, training.one_hot()
    started = time.perf_counter()
    order = torch.stack([torch.randperm(len(training), generator=g) for g in generators]).to(DEVICE)
    shuffled_at = time.perf_counter()
    for k in range(0, len(training), 10):
        batch = order[:, k:k + 10]
        step(network, (rows(x, batch), rows(y, batch), None), RULE)
    synchronize()
    stepped = time.perf_counter()
    evaluate(network.eval(), {"train": training, "test": data.test}, 0.0)
    synchronize()
    evaluated = time.perf_counter()
    return [seconds / len(seeds) for seconds in (shuffled_at - started, stepped - shuffled_at, evaluated - stepped)]


def profile(training):
    from torch.profiler import ProfilerActivity, profile as torch_profile

    for seeds in ([0], list(range(16))):
        network = networks(CONFIG, seeds)
        x, y = shuffled(training, seeds, 500)
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            for k in range(0, 5000, 10):
                step(network, (x[:, k:k + 10], y[:, k:k + 10], None), RULE)
        print(f"\nE = {len(seeds)}, 500 steps:\n" + prof.key_averages().table(sort_by="self_cpu_time_total",
                                                                           row_limit=15))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=1000, help="mini-batches timed per row (of 5,000)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads, as python -m repro.run")
    parser.add_argument("--device", default="cpu", help="cuda: the same tables on the GPU (NumPy stays on the CPU)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 3, 8, 16, 32], help="values of E")
    parser.add_argument("--compile", action="store_true", help="add rows with the step under torch.compile")
    parser.add_argument("--profile", action="store_true", help="print torch.profiler's table of the step")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    torch.set_num_threads(args.threads)
    data = load_mnist().to(DEVICE)
    training = data.training
    limit = flop_limit()
    flops = fully_connected_flops(CONFIG.sizes)
    rows = [("NumPy per example (the book's algorithm, float64)", 1,
             numpy_epoch(training.images.cpu().numpy(), training.one_hot().cpu().numpy(), CONFIG, 0)),
            ("nn.Sequential + torch.optim.SGD, m = 10", 1, sequential_epoch(training, args.batches, args.repeats)),
            ("manual, one network without a seed axis", 1, no_seed_axis_epoch(training, args.batches, args.repeats))]
    rows += [(f"manual, E = {e} side by side", e,
              side_by_side_epoch(CONFIG, training, range(e), args.batches, args.repeats)) for e in args.seeds]
    if args.compile:
        compiled = compiled_step("on")  # the CLI's --compile on
        rows += [(f"compiled (torch.compile), E = {e} side by side", e,
                  side_by_side_epoch(CONFIG, training, range(e), args.batches, args.repeats, compiled))
                 for e in args.seeds]
    sequential = rows[1][2]
    print(f"Table 1. [784, 30, 10], m = 10, training steps only; torch {torch.__version__}, {DEVICE}, "
          f"{torch.get_num_threads()} CPU thread(s); FLOPs of the step's products per model-epoch: {flops / 1e9:.2f} G; "
          f"FLOP limit (2048² torch.mm): {limit / 1e9:.0f} GFLOP/s, i.e. {flops / limit:.3f} s per model-epoch\n")
    print("| implementation | models | s / model-epoch | vs nn.Sequential | share of the FLOP limit |\n|---|---|---|---|---|")
    for label, models, seconds in rows:
        print(f"| {label} | {models} | {seconds:.3f} | {sequential / seconds:.2f}× | {flops / limit / seconds:.1%} |")

    conv_flops = conv2_flops()
    conv_rows = [(e, side_by_side_epoch(CONV2, training, range(e), max(args.batches // 10, 20), args.repeats))
                 for e in (1, 3)]
    print(f"\nTable 2. Ch.6 conv2 (ConvPool 20, ConvPool 40, FC 100, softmax; sigmoid), m = 10, manual, steps only; "
          f"{conv_flops / 1e9:.0f} GFLOP per model-epoch\n")
    print("| models side by side | s / model-epoch | vs E = 1 | share of the FLOP limit |\n|---|---|---|---|")
    for models, seconds in conv_rows:
        print(f"| {models} | {seconds:.2f} | {conv_rows[0][1] / seconds:.2f}× | {conv_flops / limit / seconds:.1%} |")

    print("\nTable 3. The CLI's chap1_network epoch, seconds per model: the shuffles, 5,000 steps (each gathering "
          "its mini-batches), evaluation on 50,000 training + 10,000 test images\n")
    print("| models side by side | shuffles | steps | evaluation | total |\n|---|---|---|---|---|")
    for seeds in ([0], list(range(16))):
        parts = epoch_parts(training, data, seeds)
        print(f"| {len(seeds)} | " + " | ".join(f"{part:.3f}" for part in parts) + f" | {sum(parts):.3f} |")
    if args.profile:
        profile(training)


if __name__ == "__main__":
    main()
