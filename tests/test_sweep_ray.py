"""``python -m repro.sweep --on ray``: on a 2-node Ray cluster on this host (one CPU each), made as Ray tests itself.

The sweep runs as the user starts it, in its own process with ``--address``; the cluster lives in
the test's. Each run folder that comes back carries ran_on.json, the node that made it.
"""

import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile

import pytest

from repro.runs import UsageError
from repro.sweep import planned_runs
from tests.test_sweep import FOUR, TINY, by_repro_run, results_of  # noqa: F401 (by_repro_run: a fixture)

ray = pytest.importorskip("ray", reason="the [ray] extra: pip install 'nndl-repro[ray]' (make test installs it)")
from ray.cluster_utils import Cluster  # noqa: E402

from repro.sweep_ray import ray_engine  # noqa: E402


@pytest.fixture
def two_nodes(monkeypatch):
    """A head and a second node of one CPU each; Ray's files in a short folder of their own (socket paths are
    limited to 107 characters), removed after."""
    scratch = tempfile.mkdtemp(prefix="nndl-ray-")
    monkeypatch.setenv("RAY_TMPDIR", scratch)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    second = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster, cluster.head_node.node_id, second
    cluster.shutdown()
    shutil.rmtree(scratch, ignore_errors=True)


def on_ray(cluster, logdir, *argv):
    return [sys.executable, "-m", "repro.sweep", *argv, "--on", "ray", "--address", cluster.address,
            "--logdir", str(logdir)]


def nodes_of(logdir):
    """Return {(experiment, variant, seed): the node that made its folder} from the folders' ran_on.json."""
    found = {}
    for path in logdir.glob("*/*/ran_on.json"):
        results = json.loads((path.parent / "results.json").read_text())
        found[results["experiment"], results["variant"], results["seed"]] = json.loads(path.read_text())["node"]
    return found


def test_both_nodes_take_runs_and_their_folders_come_back_as_repro_run_makes_them(two_nodes, by_repro_run, tmp_path):
    cluster, head, second = two_nodes
    done = subprocess.run(on_ray(cluster, tmp_path, *FOUR, *TINY), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert results_of(tmp_path) == by_repro_run and len(by_repro_run) == 8
    assert set(nodes_of(tmp_path).values()) == {head, second.node_id}
    again = subprocess.run(on_ray(cluster, tmp_path, *FOUR, *TINY), capture_output=True, text=True)
    assert again.returncode == 0 and "4 runs: 4 already finished" in again.stdout

    # An interrupted seed whose checkpoint is damaged is sent to a node, which resumes it and fails: one line,
    # the other run finishes, the sweep exits 1 and the driver's folder is as it was.
    interrupted = next(tmp_path.glob("chap1_network/default__seed1__*"))
    results = json.loads((interrupted / "results.json").read_text()) | {"status": "interrupted", "finished": False}
    (interrupted / "results.json").write_text(json.dumps(results))
    (interrupted / "checkpoint.pt").write_bytes(b"not a checkpoint")
    shutil.rmtree(next(tmp_path.glob("chap1_baselines/random__seed0__*")))
    failing = subprocess.run(on_ray(cluster, tmp_path, "chap1_network:default", "chap1_baselines:random", *TINY),
                             capture_output=True, text=True)
    assert failing.returncode == 1
    failure = [line for line in failing.stdout.splitlines() if "chap1_network default: exit" in line]
    assert len(failure) == 1 and "checkpoint" in failure[0], failing.stdout
    assert "| chap1_baselines random | finished | 10.00, 10.11 |" in failing.stdout
    assert (interrupted / "checkpoint.pt").read_bytes() == b"not a checkpoint"


def test_a_run_whose_node_is_removed_starts_again_on_the_other_and_gives_the_same_numbers(two_nodes, by_repro_run,
                                                                                          tmp_path):
    cluster, head, second = two_nodes
    sweeping = subprocess.Popen(on_ray(cluster, tmp_path, *FOUR, *TINY), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in sweeping.stdout:
        lines.append(line)
        if line.startswith("started ") and f"on node {second.node_id[:8]}" in line and second in cluster.worker_nodes:
            lost = line.split(" on node")[0].removeprefix("started ")
            cluster.remove_node(second)
    output = "".join(lines)
    assert sweeping.wait() == 0, output
    assert f"started again {lost} on node {head[:8]}" in output
    assert results_of(tmp_path) == by_repro_run
    assert set(nodes_of(tmp_path).values()) == {head}



def test_runs_on_cuda_without_a_share_of_a_gpu_are_refused_before_anything_starts():
    """(repro.run refuses cuda on a driver without one first; a driver with a GPU gets here.)"""
    (run,) = planned_runs(["chap1_network:default"], False, [0], [])
    on_cuda = dataclasses.replace(run, config=run.config | {"device": "cuda"})
    with pytest.raises(UsageError, match="runs on cuda need --gpus-per-run on Ray"):
        ray_engine(None, 1, 0.0, [on_cuda])
    assert ray_engine(None, 1, 0.25, [on_cuda])  # an engine, nothing started yet


def test_an_address_where_no_cluster_answers_is_refused_in_one_line_before_anything_starts(tmp_path):
    done = subprocess.run([sys.executable, "-m", "repro.sweep", "chap1_baselines:random", "--on", "ray", "--address",
                           "127.0.0.1:1", "--logdir", str(tmp_path / "logs")], capture_output=True, text=True)
    assert done.returncode == 2 and "cannot reach the Ray cluster at 127.0.0.1:1" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not done.stdout and not (tmp_path / "logs").exists()
