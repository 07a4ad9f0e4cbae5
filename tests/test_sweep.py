"""``python -m repro.sweep``: several configurations, ``--workers`` at a time, each exactly as repro.run trains it."""

import json
import shutil
import subprocess
import sys

import pytest

from repro.run import main as run_main
from repro.sweep import commands, planned_runs

TINY = ["--seed", "0", "1", "--epochs", "1", "--train-size", "300"]
FOUR = ["chap1_network:default", "chap3_crossentropy", "chap1_baselines:random"]  # chap3_crossentropy: 2 variants


def sweep(logdir, *argv):
    return subprocess.run([sys.executable, "-m", "repro.sweep", *argv, "--logdir", str(logdir)], capture_output=True,
                          text=True)


def results_of(logdir):
    """Return {(experiment, variant, seed): results.json without its wall time} of every run under logdir."""
    found = {}
    for path in logdir.glob("*/*/results.json"):
        results = json.loads(path.read_text())
        found[results["experiment"], results["variant"], results["seed"]] = \
            {key: value for key, value in results.items() if key != "wall_time_s"}
    return found


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("sweep")
    return logdir, sweep(logdir, *FOUR, *TINY, "--workers", "2")


@pytest.fixture(scope="session")
def by_repro_run(tmp_path_factory):
    """The four tiny runs as ``python -m repro.run`` trains them, one after another (both engines' reference)."""
    logdir = tmp_path_factory.mktemp("by_repro_run")
    for run in planned_runs(FOUR, False, [0, 1], TINY[3:]):  # the options each config has (the baseline: none)
        run_main([run.name, "--variant", run.variant, "--seed", "0", "1", *run.options, "--logdir", str(logdir)])
    return results_of(logdir)


def test_two_workers_run_four_tiny_runs_as_repro_run_does(swept, by_repro_run):
    logdir, done = swept
    assert done.returncode == 0, done.stderr
    assert "4 runs: 0 already finished" in done.stdout and "[4/4]" in done.stdout
    running = [line.split("; running: ")[1].split(", ") for line in done.stdout.splitlines() if "; running: " in line]
    assert len(running) == 4 and max(map(len, running)) <= 2  # a finished run is off the list when the next starts
    assert results_of(logdir) == by_repro_run and len(by_repro_run) == 8


def test_a_sweep_started_again_skips_what_finished(swept):
    logdir, _ = swept
    before = sorted(logdir.glob("*/*"))
    again = sweep(logdir, *FOUR, *TINY, "--workers", "2")
    assert again.returncode == 0 and "4 runs: 4 already finished" in again.stdout
    assert sorted(logdir.glob("*/*")) == before
    assert "| chap3_crossentropy hidden100 | finished |" in again.stdout


def test_an_interrupted_seed_is_resumed_and_a_failing_run_is_one_line_while_the_others_finish(swept, tmp_path):
    """A seed's interrupted folder is resumed, not trained anew; when its resume fails (here: a damaged checkpoint)
    the sweep says why in one line, finishes the other runs and exits 1."""
    logdir, _ = swept
    (run,) = planned_runs(["chap1_network:default"], False, [0, 1, 2], TINY[3:])
    interrupted = next(logdir.glob("chap1_network/default__seed0__*"))
    copy = tmp_path / "chap1_network" / interrupted.name
    shutil.copytree(interrupted, copy)
    results = json.loads((copy / "results.json").read_text()) | {"status": "interrupted", "finished": False}
    (copy / "results.json").write_text(json.dumps(results))
    (copy / "checkpoint.pt").write_bytes(b"not a checkpoint")
    resume, train = commands(run, tmp_path, None)
    assert resume[3:] == ["--resume", str(copy)] and train[train.index("--seed") + 1:][:2] == ["1", "2"]
    done = sweep(tmp_path, "chap1_network:default", "chap1_baselines:random", *TINY, "--workers", "2")
    assert done.returncode == 1
    failure = [line for line in done.stdout.splitlines() if "chap1_network default: exit" in line]
    assert len(failure) == 1 and "checkpoint" in failure[0], done.stdout
    assert "| chap1_baselines random | finished | 10.00, 10.11 |" in done.stdout


@pytest.mark.parametrize("argv, says", [
    (["chap1_nework"], "unknown experiment 'chap1_nework'; did you mean chap1_network"),
    (["chap1_network:big"], "unknown variant 'big' of chap1_network; did you mean"),
    (["chap1_baselines:random", "--eta", "0.5"], "no named run has --eta"),
    (["chap1_network", "--epochs", "x"], "--epochs"),
    (["chap1_network", "--all"], "not both or neither"),
    (["chap1_network", "--workers", "0"], "--workers: must be at least 1"),
    (["chap1_network", "--gpus-per-run", "0.5"], "--address and --gpus-per-run are Ray's (--on ray)"),
])
def test_bad_names_and_options_are_refused_before_anything_starts(argv, says, tmp_path):
    done = sweep(tmp_path / "logs", *argv)
    assert done.returncode == 2 and says in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "logs").exists()
