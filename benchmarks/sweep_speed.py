"""Wall time of one sweep with 1 and 2 local workers: ``python benchmarks/sweep_speed.py``.

The sweep is a fixed subset of 10 runs of chapters 1, 3 and 5 (seeds 0-2 side by side, each cut to
``--epochs`` epochs on ``--train-size`` images, so the table takes minutes, not hours), started
as ``python -m repro.sweep … --workers W`` into a fresh log folder for each row. A run's process
loads MNIST and imports torch before it trains: that start-up is part of the time per run. On an
idle 2-core machine 2 workers should take about half the wall time of 1; on a loaded one, less
gained. Every row runs the same commands, one after another, in one run of this script.
"""

import argparse
import subprocess
import sys
import tempfile
import time

RUNS = ["chap1_network:default", "chap1_network:hidden100", "chap1_network:no_hidden", "chap3_crossentropy:default",
        "chap3_crossentropy:hidden100", "chap3_overfitting:full", "chap3_regularization:full", "chap3_softmax:default",
        "chap3_tanh:default", "chap5_vanishing_gradient:hidden2"]


def timed_sweep(workers, args):
    """Return the wall time in seconds of the sweep with ``workers`` workers, in a fresh log folder."""
    with tempfile.TemporaryDirectory() as logdir:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "repro.sweep", *RUNS, "--seed", "0", "1", "2", "--epochs",
                        str(args.epochs), "--train-size", str(args.train_size), "--workers", str(workers),
                        "--logdir", logdir], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{len(RUNS)} runs, seeds 0-2 side by side, {args.epochs} epochs on {args.train_size:,} images each\n")
    print("| engine | workers | wall time | per run | speed-up |\n|---|---|---|---|---|")
    one = None
    for workers in (1, 2):
        seconds = timed_sweep(workers, args)
        one = one or seconds
        print(f"| local | {workers} | {seconds:.1f} s | {seconds / len(RUNS):.1f} s | {one / seconds:.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
