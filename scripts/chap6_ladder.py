"""Chapter 6's 250,000-image rungs in one command: ``python scripts/chap6_ladder.py --device cuda --logdir DIR``.

The rungs of chap6_conv that train on the expanded set (expanded, fc300, fc1000, double_fc,
double_fc300, double_fc1000, dropout, ensemble), seeds 0-2, each architecture's seeds side by
side (the ensemble: its 5 nets per seed, 15 in all), the data resident on the device, and the
step compiled and, on CUDA, replayed as a CUDA graph (``--backend graphed``: at m = 10 a step
is a few microseconds of arithmetic, and launching its kernels one by one is the cost). Every
run is an ordinary run folder, written as ``python -m repro.run chap6_conv --variant V --seed
0 1 2`` writes it, so ``make report`` and ``pytest -m full -k chap6`` read them.

First each rung's step is timed (``--probe`` steps after a warm-up that compiles it) and its
run projected: steps × seconds a step, plus the warm-up again (the run compiles its own step). ``--time-only`` stops there. Otherwise the rungs run in
order while the next one's projection fits what is left of ``--budget-minutes``; the rest are
recorded as not reached. ``ladder.json`` in DIR says what ran, how long, and what did not.
``--plan`` counts the steps alone and prices them at ``--step-us`` (no device needed).

    python scripts/chap6_ladder.py --plan --step-us 40
    python scripts/chap6_ladder.py --device cuda --time-only
    python scripts/chap6_ladder.py --device cuda --budget-minutes 9 --logdir logs-gpu
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from experiments import chap6_conv
from repro.data import expanded, load_mnist
from repro.network import Network
from repro.run import main as repro_run
from repro.train import MANUAL, sgd, train_step

RUNGS = [name for name, cfg in chap6_conv.VARIANTS.items() if cfg.expanded]


def sizes(args):
    """Return the epochs and training size this command overrides (tests), as config fields."""
    return {key: value for key, value in (("epochs", args.epochs), ("train_size", args.train_size)) if value}


def rung_config(name, args):
    """Return the rung's book configuration, with this command's device, backend and sizes."""
    return replace(chap6_conv.VARIANTS[name], device=args.device, backend=args.backend, **sizes(args))


def steps(cfg):
    """Return the SGD steps of one run of cfg: every seed (and ensemble member) side by side takes them at once."""
    return cfg.epochs * (5 * cfg.train_size if cfg.expanded else cfg.train_size) // cfg.mini_batch_size


@torch.no_grad()
def seconds_per_step(cfg, nets, data, probe, warm_up=20):
    """Return (seconds a step of ``nets`` networks side by side, seconds of the warm-up that compiled it)."""
    generators = [torch.Generator().manual_seed(k) for k in range(nets)]
    network = Network.side_by_side([cfg.network(generator) for generator in generators])
    masks_from = [torch.Generator(device=cfg.device).manual_seed(k) for k in range(nets)]
    training = expanded(data.training.first(max(1, (warm_up + probe) * cfg.mini_batch_size // 5)), generators[0])
    x, y, m = training.images, training.one_hot(), cfg.mini_batch_size
    optimizer = sgd(network, cfg.eta, 0.0) if cfg.backend not in MANUAL else None
    synchronize = torch.cuda.synchronize if cfg.device.startswith("cuda") else (lambda: None)
    started = time.perf_counter()
    for count, k in enumerate(range(0, (warm_up + probe) * m, m)):
        if count == warm_up:
            synchronize()
            compiled, started = time.perf_counter() - started, time.perf_counter()
        with torch.enable_grad():
            train_step(network, x[k:k + m], y[k:k + m], cfg.backend, cfg.eta, 0.0, optimizer,
                       network.dropout_masks(m, masks_from))
    synchronize()
    return (time.perf_counter() - started) / probe, compiled


def plan(args, data=None):
    """Return {rung: {steps, nets, and, given data, seconds a step, warm-up seconds and projected seconds}}."""
    rows = {}
    for name in args.rungs:
        cfg = rung_config(name, args)
        nets = len(args.seeds) * cfg.ensemble
        row = rows[name] = {"steps": steps(cfg), "nets": nets}
        if data is None:
            row["projected_s"] = row["steps"] * args.step_us * 1e-6
            print(f"{name}: {nets} nets side by side, {row['steps']:,} steps -> {row['projected_s'] / 60:.1f} min")
            continue
        row["seconds_per_step"], row["warm_up_s"] = seconds_per_step(cfg, nets, data, args.probe)
        row["projected_s"] = row["steps"] * row["seconds_per_step"] + row["warm_up_s"]  # the run compiles it again
        print(f"{name}: {nets} nets side by side, {row['steps']:,} steps at {1e6 * row['seconds_per_step']:.0f} µs "
              f"-> {row['projected_s'] / 60:.1f} min (warm-up and compile {row['warm_up_s']:.1f} s)")
    return rows


def climb(args, rows, data_path):
    """Run the rungs in order while each one's projection fits the budget left; mark the others not reached."""
    started = time.perf_counter()
    for name, row in rows.items():
        left = args.budget_minutes * 60 - (time.perf_counter() - started)
        if row["projected_s"] > left:
            row["ran"] = False
            print(f"{name}: not reached ({row['projected_s'] / 60:.1f} min projected, {max(left, 0) / 60:.1f} left)")
            continue
        begun = time.perf_counter()
        overrides = [f"--{key.replace('_', '-')}={value}" for key, value in sizes(args).items()]
        repro_run(["chap6_conv", "--variant", name, "--seed", *map(str, args.seeds), "--device", args.device,
                   "--backend", args.backend, "--logdir", str(args.logdir), *overrides]
                  + (["--data", data_path] if data_path else []))
        row["ran"], row["wall_s"] = True, time.perf_counter() - begun


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rungs", nargs="+", default=RUNGS, choices=RUNGS, metavar="RUNG",
                        help=f"some of {', '.join(RUNGS)} (default: all, in that order)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--backend", default="graphed", help="repro's backend (default graphed: CUDA graphs)")
    parser.add_argument("--logdir", type=Path, default=Path("logs"))
    parser.add_argument("--data", help="mnist.pkl.gz, where it is not the installed one")
    parser.add_argument("--budget-minutes", type=float, default=float("inf"), help="run rungs while they fit")
    parser.add_argument("--probe", type=int, default=200, help="steps timed per rung, after 20 of warm-up")
    parser.add_argument("--time-only", action="store_true", help="time and project every rung, train nothing")
    parser.add_argument("--plan", action="store_true", help="count steps and price them at --step-us; no device")
    parser.add_argument("--step-us", type=float, default=40.0, help="with --plan: the assumed µs a step")
    parser.add_argument("--epochs", type=int, help="override every rung's epochs (tests)")
    parser.add_argument("--train-size", type=int, help="override every rung's images before expansion (tests)")
    args = parser.parse_args(argv)
    try:  # a bad backend, a device torch lacks, a bad size: one line now, before any data or time is spent
        [rung_config(name, args) for name in args.rungs]
    except ValueError as error:
        parser.error(str(error))
    return args


def ladder(argv=None):
    """Plan, time and climb the ladder as ``argv`` says; write DIR/ladder.json; return what it holds."""
    args = arguments(argv)
    data = None if args.plan else load_mnist(args.data).to(args.device)
    rows = plan(args, data)
    total = sum(row["projected_s"] for row in rows.values())
    print(f"{sum(row['steps'] for row in rows.values()):,} steps in all, projected {total / 60:.1f} min"
          + (f" at {args.step_us:g} µs a step (assumed)" if args.plan else ""))
    if not (args.plan or args.time_only):
        climb(args, rows, args.data)
    summary = {"device": args.device, "backend": args.backend, "seeds": args.seeds, "plan_only": args.plan,
               "time_only": args.time_only, "budget_minutes": args.budget_minutes, "rungs": rows}
    args.logdir.mkdir(parents=True, exist_ok=True)
    (args.logdir / "ladder.json").write_text(json.dumps(summary, indent=1, default=str))
    return summary


if __name__ == "__main__":
    ladder()
