"""Wall time of one sweep with 1 and 2 local workers and on a 2-node Ray cluster: ``python benchmarks/sweep_speed.py``.

The sweep is a fixed subset of 10 runs of chapters 1, 3 and 5 (seeds 0-2 side by side, each cut to
``--epochs`` epochs on ``--train-size`` images, so the table takes minutes, not hours), started
as ``python -m repro.sweep … --workers W`` into a fresh log folder for each row. A run's process
loads MNIST and imports torch before it trains: that start-up is part of the time per run. On an
idle 2-core machine 2 workers should take about half the wall time of 1; on a loaded one, less
gained. The Ray row runs the same sweep with ``--on ray --address`` on a cluster of two nodes of
one CPU each on this machine (ray.cluster_utils.Cluster, started before its clock starts), so it
differs from the 2-worker row by Ray's cost alone: the driver connecting, a task per run, the run
folders sent back as files and written by the driver. Every row runs one after another, in one
run of this script; the second table is Ray's cost per run.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = ["chap1_network:default", "chap1_network:hidden100", "chap1_network:no_hidden", "chap3_crossentropy:default",
        "chap3_crossentropy:hidden100", "chap3_overfitting:full", "chap3_regularization:full", "chap3_softmax:default",
        "chap3_tanh:default", "chap5_vanishing_gradient:hidden2"]


def timed_sweep(args, *engine):
    """Return (wall seconds, bytes of the run folders) of the sweep on ``engine``, in a fresh log folder."""
    with tempfile.TemporaryDirectory() as logdir:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "repro.sweep", *RUNS, "--seed", "0", "1", "2", "--epochs",
                        str(args.epochs), "--train-size", str(args.train_size), *engine, "--logdir", logdir],
                       check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        folders = [path for path in Path(logdir).glob("*/*") if path.parent.name != "sweep"]
        return seconds, sum(file.stat().st_size for folder in folders for file in folder.rglob("*") if file.is_file())


def two_node_cluster():
    """Start a Ray cluster of two one-CPU nodes here; return it and the seconds it took."""
    os.environ.update(RAY_TMPDIR=tempfile.mkdtemp(prefix="nndl-ray-"), RAY_USAGE_STATS_ENABLED="0")
    from ray.cluster_utils import Cluster
    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    return cluster, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{len(RUNS)} runs, seeds 0-2 side by side, {args.epochs} epochs on {args.train_size:,} images each\n")
    print("| engine | runs at once | wall time | per run | speed-up |\n|---|---|---|---|---|")
    rows = []
    for name, at_once in (("local", 1), ("local", 2), ("ray, 2 nodes", 2)):
        if name == "local":
            engine = ["--workers", str(at_once)]
        else:
            cluster, start_up = two_node_cluster()
            engine = ["--on", "ray", "--address", cluster.address]
        seconds, size = timed_sweep(args, *engine)
        rows.append(seconds)
        print(f"| {name} | {at_once} | {seconds:.1f} s | {seconds / len(RUNS):.1f} s | {rows[0] / seconds:.2f}× |",
              flush=True)
    cluster.shutdown()
    shutil.rmtree(os.environ["RAY_TMPDIR"], ignore_errors=True)
    print("\n| Ray's cost | |\n|---|---|")
    print(f"| starting the 2-node cluster (once, before its row) | {start_up:.1f} s |")
    print(f"| per run, against 2 local workers (connecting, a task, the folders sent back and written) "
          f"| {(rows[2] - rows[1]) / len(RUNS):+.2f} s |")
    print(f"| run folders sent back per run | {size / len(RUNS) / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
