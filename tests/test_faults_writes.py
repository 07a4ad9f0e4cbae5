"""Writes that fail and interrupts (issue 21, items 3 and 4): one line naming the file, what is intact, how to go on.

A full disk is simulated by /dev/full in place of a ``.partial`` file (a real ENOSPC) or by TensorBoard's file
system raising it; a read-only folder by ``open`` raising EROFS (the tests run as root, whom permissions do not
stop); Ctrl-C by the process sending itself SIGINT from inside a write, at a known moment.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tensorboard.compat.tensorflow_stub.io.gfile import LocalFileSystem

import repro.log
import repro.records
import repro.run
from tests.test_faults import LONG, ROOT, cli, data, files, one_line, start, strict_json, wait_for_epochs  # noqa: F401

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # a thread traceback
TINY = ["chap1_network", "--epochs", "2", "--train-size", "100"]


@pytest.fixture(autouse=True)
def signal_handlers():
    """After an interrupt a run leaves Ctrl-C and SIGTERM ignored (its process is ending): give pytest its own back."""
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def run(argv, capsys, tmp_path):
    """Return (exit code, stdout, stderr) of a run under tmp_path/logs, TensorBoard's writer threads given time to
    print anything they would."""
    code, out, err = cli([*argv, *(["--logdir", tmp_path / "logs"] if argv[0][0] != "-" else [])], capsys)
    time.sleep(0.1)
    late = capsys.readouterr()
    return code, out + late.out, err + late.err


def run_dirs(tmp_path):
    return sorted((tmp_path / "logs" / "chap1_network").glob("*__seed*"))


def at_checkpoint(monkeypatch, number, act):
    """Call act(run_dir) just before the number-th checkpoint of the invocation (0: the first) is written."""
    write, count = repro.log.write_atomically, []

    def hooked(path, writer):
        if path.name == "checkpoint.pt":
            count.append(path)
            if len(count) == number + 1:
                act(path.parent)
        return write(path, writer)
    monkeypatch.setattr(repro.log, "write_atomically", hooked)


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# --- a failed checkpoint or results write mid-run ----------------------------------------------------------

@pytest.mark.parametrize("file, in_the_way, reason", [
    ("checkpoint.pt", "directory", "Is a directory"),
    ("checkpoint.pt", "/dev/full", "No space left on device"),
    ("results.json", "/dev/full", "No space left on device")])
def test_a_failed_write_mid_run_names_the_file_and_the_run_resumes(file, in_the_way, reason, tmp_path, capsys, data,
                                                                   monkeypatch):
    def block(run_dir):
        partial = run_dir / f"{file}.partial"
        partial.mkdir() if in_the_way == "directory" else partial.symlink_to(in_the_way)
    at_checkpoint(monkeypatch, 1, block)  # epoch 0 is written; epoch 1's file cannot be
    code, _, err = run(TINY, capsys, tmp_path)
    (run_dir,) = run_dirs(tmp_path)
    assert code == 1 and one_line(err), err
    assert f"cannot write {run_dir / file}.partial: {reason}" in err and f"--resume {run_dir}" in err
    assert len(strict_json(run_dir / "results.json")["epochs"]) == 1  # epoch 0 only
    monkeypatch.undo()
    shutil.rmtree(run_dir / f"{file}.partial") if in_the_way == "directory" else (run_dir / f"{file}.partial").unlink()
    assert cli(["--resume", run_dir], capsys)[0] == 0
    assert strict_json(run_dir / "results.json")["status"] == "finished"


# --- a run that cannot start leaves no folder --------------------------------------------------------------

def test_a_full_disk_when_a_run_starts_leaves_no_folder_and_no_thread_traceback(tmp_path, capsys, data, monkeypatch):
    monkeypatch.setattr(LocalFileSystem, "write", no_space)  # TensorBoard's first write, in its writer thread
    code, _, err = run(TINY, capsys, tmp_path)
    assert code == 1 and one_line(err) and "Exception in thread" not in err, err
    assert "No space left on device" in err and "events.out.tfevents" in err and "no folder was left" in err
    assert run_dirs(tmp_path) == []


def test_a_second_seed_that_cannot_start_takes_the_first_seeds_folder_with_it(tmp_path, capsys, data, monkeypatch):
    write_text = Path.write_text

    def full_at_seed_1(path, text, *args, **kwargs):
        if path.name == "config.json.partial" and "__seed1__" in path.parent.name:
            raise OSError(errno.ENOSPC, "No space left on device")  # as a full disk raises it: no file named
        return write_text(path, text, *args, **kwargs)
    monkeypatch.setattr(Path, "write_text", full_at_seed_1)
    code, _, err = run([*TINY, "--seed", "0", "1"], capsys, tmp_path)
    assert code == 1 and one_line(err) and "config.json" in err and "No space left on device" in err, err
    assert run_dirs(tmp_path) == []


# --- resuming a folder that cannot be written ---------------------------------------------------------------

def interrupted(tmp_path, capsys, monkeypatch):
    """Return a run folder stopped by Ctrl-C after epoch 0 of 2 (results.json says "interrupted")."""
    at_checkpoint(monkeypatch, 1, lambda run_dir: os.kill(os.getpid(), signal.SIGINT))
    assert run(TINY, capsys, tmp_path)[0] == 130
    monkeypatch.undo()
    (run_dir,) = run_dirs(tmp_path)
    return run_dir


def test_resuming_with_a_directory_in_place_of_the_lock(tmp_path, capsys, data, monkeypatch):
    run_dir = interrupted(tmp_path, capsys, monkeypatch)
    (run_dir / ".lock").unlink()
    (run_dir / ".lock").mkdir()
    before = files(run_dir)
    code, _, err = cli(["--resume", run_dir], capsys)
    assert code == 1 and one_line(err), err
    assert f"cannot write {run_dir / '.lock'}: Is a directory" in err and f"--resume {run_dir}" in err
    assert files(run_dir) == before


@pytest.mark.parametrize("where", ["lock", "events"])
def test_resuming_a_read_only_folder(where, tmp_path, capsys, data, monkeypatch):
    run_dir = interrupted(tmp_path, capsys, monkeypatch)
    before = files(run_dir)

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
    if where == "lock":
        monkeypatch.setattr(repro.records, "open", read_only, raising=False)
    else:
        monkeypatch.setattr(LocalFileSystem, "write", lambda self, path, *args: read_only(path))
    code, _, err = run(["--resume", run_dir], capsys, tmp_path)
    assert code == 1 and one_line(err) and "Exception in thread" not in err, err
    assert "Read-only file system" in err and f"{run_dir} is as it was" in err and f"--resume {run_dir}" in err
    assert files(run_dir) == before


def test_resuming_on_a_full_disk_leaves_no_events_file_behind(tmp_path, capsys, data, monkeypatch):
    """A full disk lets the new events file be made, empty, then refuses its first bytes: it is removed again."""
    run_dir = interrupted(tmp_path, capsys, monkeypatch)
    before = files(run_dir)

    def full(self, path, *args):
        open(path, "ab").close()
        raise OSError(errno.ENOSPC, "No space left on device", os.fsdecode(path))
    monkeypatch.setattr(LocalFileSystem, "write", full)
    code, _, err = run(["--resume", run_dir], capsys, tmp_path)
    assert code == 1 and one_line(err) and "No space left on device" in err and f"{run_dir} is as it was" in err
    assert files(run_dir) == before


# --- the run folder deleted mid-run -------------------------------------------------------------------------

@pytest.mark.parametrize("met_by", ["checkpoint", "events"])
def test_a_run_folder_deleted_mid_run(met_by, tmp_path, capsys, data, monkeypatch):
    if met_by == "checkpoint":
        at_checkpoint(monkeypatch, 1, shutil.rmtree)
    else:  # deleted just before epoch 1's charts: TensorBoard's writer thread meets it first
        scalars = repro.log.RunLog.scalars

        def deleting(self, metrics, step):
            if step == 1:
                shutil.rmtree(self.run_dir)
            scalars(self, metrics, step)
        monkeypatch.setattr(repro.log.RunLog, "scalars", deleting)
    code, _, err = run(TINY, capsys, tmp_path)
    assert code == 1 and one_line(err) and "Exception in thread" not in err, err
    assert "b'" not in err and "No such file or directory" in err and "was deleted" in err
    assert "--resume" not in err and "run it again" in err


# --- interrupts ---------------------------------------------------------------------------------------------

def test_a_second_ctrl_c_while_the_first_is_written_is_absorbed(tmp_path, capsys, data, monkeypatch):
    at_checkpoint(monkeypatch, 1, lambda run_dir: os.kill(os.getpid(), signal.SIGINT))
    write = repro.log.RunLog.write_results

    def twice(self, finished=True, status=None, **extra):
        if status == "interrupted":
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C, a few ms after the first
            time.sleep(0.01)
        return write(self, finished, status, **extra)
    monkeypatch.setattr(repro.log.RunLog, "write_results", twice)
    code, _, err = run(TINY, capsys, tmp_path)
    (run_dir,) = run_dirs(tmp_path)
    assert code == 130 and err.strip() == f"Interrupted. Resume with: python -m repro.run --resume {run_dir}", err
    assert strict_json(run_dir / "results.json")["status"] == "interrupted"


def test_ctrl_c_while_the_summary_prints_keeps_the_finished_records(tmp_path, capsys, data, monkeypatch):
    """Once the runs have ended, Ctrl-C cuts the seeds' summary short, not "before training began"."""
    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(repro.run, "seeds_line", interrupted)
    code, _, err = run([*TINY, "--seed", "0", "1"], capsys, tmp_path)
    assert code == 130 and err.strip() == "Interrupted after the runs ended; their records are complete", err
    assert [strict_json(run_dir / "results.json")["status"] for run_dir in run_dirs(tmp_path)] == ["finished"] * 2


def test_ctrl_c_again_and_again_in_a_real_process(tmp_path):
    process = start(*LONG, "--logdir", tmp_path / "logs")
    run_dir = wait_for_epochs(tmp_path / "logs", 1, process)
    for _ in range(5):  # an impatient hand: Ctrl-C again and again, a few ms apart
        process.send_signal(signal.SIGINT)
        time.sleep(0.003)
    _, err = process.communicate()
    assert process.returncode == 130 and err.strip() == f"Interrupted. Resume with: python -m repro.run --resume {run_dir}"
    assert strict_json(run_dir / "results.json")["status"] == "interrupted" and (run_dir / "checkpoint.pt").is_file()


def test_batch_seeds_off_interrupted_names_every_unfinished_seed(tmp_path, capsys, data, monkeypatch):
    at_checkpoint(monkeypatch, 3, lambda run_dir: os.kill(os.getpid(), signal.SIGINT))  # seed 1, epoch 1
    code, _, err = run([*TINY, "--seed", "0", "1", "2", "--batch-seeds", "off"], capsys, tmp_path)
    seed = {strict_json(d / "config.json")["seed"]: d for d in run_dirs(tmp_path)}
    assert code == 130 and one_line(err) and f"--resume {seed[1]} {seed[2]}" in err, err
    assert [strict_json(seed[k] / "results.json")["status"] for k in (0, 1, 2)] == ["finished", "interrupted",
                                                                                  "interrupted"]
    monkeypatch.undo()
    assert cli(["--resume", seed[1], seed[2]], capsys)[0] == 0
    assert all(strict_json(seed[k] / "results.json")["status"] == "finished" for k in (1, 2))


def test_a_closed_stdout_stops_the_printing_not_the_training(tmp_path):
    """``python -u -m repro.run … | head -1``: every line is written at once, so the second one meets the closed pipe."""
    process = subprocess.Popen([sys.executable, "-m", "repro.run", *TINY, "--logdir", tmp_path / "logs"], cwd=ROOT,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=os.environ | {"PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"})
    assert process.stdout.readline().startswith("Epoch 0")
    process.stdout.close()
    assert process.wait() == 0 and process.stderr.read() == ""
    (run_dir,) = run_dirs(tmp_path)
    assert strict_json(run_dir / "results.json")["status"] == "finished"
