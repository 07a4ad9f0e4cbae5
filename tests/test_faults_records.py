"""Issue 21, item 2: everything a run folder holds is checked before it is used, in one place (repro/runs.py).

config.json (types, ranges, the CLI's checks), results.json (shape) and every checkpoint (digest
required, history present, keys and shapes of the run's network) are read back by ``--resume`` and
``--evaluate`` alike. A file that fails is named in one line, exit 1, and the folder is left exactly
as it was: no RunLog has opened it yet, so no stray events file either.
"""

import contextlib
import dataclasses
import io
import json
import shutil

import pytest
import torch

import repro.run
from repro.options import parse_overrides
from repro.records import digest
from repro.runs import checked_record, experiment_names, load_experiment, read_record
from repro.run import main
from tests.test_faults import cli, data, files, one_line, strict_json  # noqa: F401  (data: a fixture)

TINY = ["chap1_network", "--epochs", "1", "--train-size", "100"]


@pytest.fixture(scope="module")
def made(tmp_path_factory, mnist):
    """Return {name: a run folder stopped after epoch 0 of 2}: ``run`` ([784, 30, 10]), ``other`` ([784, 20, 10])
    and ``children`` (chap3_weight_init: a second network in its sub-folder large_init)."""
    logdir, runs = tmp_path_factory.mktemp("made"), {}
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(io.StringIO()):
        patch.setattr(repro.run, "load_mnist", lambda *args: mnist)
        for name, argv in (("run", TINY), ("other", [*TINY, "--sizes", "784,20,10"]),
                           ("children", ["chap3_weight_init", *TINY[1:]])):
            main([*argv, "--logdir", str(logdir / name)])
            (runs[name],) = (logdir / name / argv[0]).iterdir()
            edit_json(runs[name] / "config.json", lambda record: record | {"config": record["config"] | {"epochs": 2}})
            edit_json(runs[name] / "results.json", lambda results: results | {"finished": False, "status": "running"})
    return runs


def edit_json(path, edit):
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))


@pytest.fixture
def run_dir(made, tmp_path):
    """Return a fresh copy of the interrupted run, for a test to damage."""
    return shutil.copytree(made["run"], tmp_path / "run")


def refused(command, run_dir, path, capsys, *more):
    """Assert that ``command run_dir`` names path in one line, exits 1 and leaves every folder as it was; return stderr."""
    before = {folder: files(folder) for folder in (run_dir, *more)}
    code, out, err = cli([command, run_dir, *more], capsys)
    assert code == 1 and str(path) in err and one_line(err), err
    assert {folder: files(folder) for folder in (run_dir, *more)} == before  # no events file, no results rewritten
    return err


def save_checkpoint(path, checkpoint, sign=True):
    if sign:
        checkpoint["sha256"] = digest(checkpoint)
    torch.save(checkpoint, path)


def read_checkpoint(path):
    checkpoint = torch.load(path, weights_only=True)
    checkpoint.pop("sha256")
    return checkpoint


COMMANDS = ["--resume", "--evaluate"]


# --- checkpoints ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_a_checkpoint_without_its_digest_is_never_used(command, run_dir, capsys, data):
    path = run_dir / "checkpoint.pt"
    checkpoint = read_checkpoint(path)
    checkpoint["network"] = {key: torch.zeros_like(value) for key, value in checkpoint["network"].items()}
    save_checkpoint(path, checkpoint, sign=False)
    assert "has no digest" in refused(command, run_dir, path, capsys)


FOREIGN = {
    "bare tensor": lambda checkpoint, other: torch.zeros(3),
    "another network": lambda checkpoint, other: other,
    "no history": lambda checkpoint, other: {k: v for k, v in checkpoint.items() if k != "history"},
    "history not a list": lambda checkpoint, other: checkpoint | {"history": {"epoch": 0}},
    "no wall time": lambda checkpoint, other: {k: v for k, v in checkpoint.items() if k != "wall_time_s"},
    "no network": lambda checkpoint, other: {k: v for k, v in checkpoint.items() if k != "network"},
    "a key missing": lambda checkpoint, other: checkpoint | {"network": dict(list(checkpoint["network"].items())[1:])},
}


@pytest.mark.parametrize("how", FOREIGN)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_signed_checkpoint_that_is_not_this_runs_is_refused(how, command, made, run_dir, capsys, data):
    path = run_dir / "checkpoint.pt"
    foreign = FOREIGN[how](read_checkpoint(path), read_checkpoint(made["other"] / "checkpoint.pt"))
    if isinstance(foreign, dict):
        save_checkpoint(path, foreign)  # a valid digest: only the contents are wrong
    else:
        torch.save(foreign, path)
    refused(command, run_dir, path, capsys)


def test_a_sub_runs_checkpoint_is_checked_before_the_run_is_opened(made, tmp_path, capsys, data):
    run_dir = shutil.copytree(made["children"], tmp_path / "children")
    shutil.copy(made["other"] / "checkpoint.pt", run_dir / "large_init" / "checkpoint.pt")  # signed, not its network
    assert "is not a checkpoint of this run's network" in refused("--resume", run_dir,
                                                                  run_dir / "large_init" / "checkpoint.pt", capsys)


# --- config.json ----------------------------------------------------------------------------------------------

CONFIGS = {  # edit of config.json: a part of the message
    "epochs 2.5": (lambda r: r | {"config": r["config"] | {"epochs": 2.5}}, "epochs must be an integer, got 2.5"),
    "epochs '2'": (lambda r: r | {"config": r["config"] | {"epochs": "2"}}, "epochs must be an integer"),
    "epochs 0": (lambda r: r | {"config": r["config"] | {"epochs": 0}}, "epochs must be >= 1"),
    "eta true": (lambda r: r | {"config": r["config"] | {"eta": True}}, "eta must be a finite number"),
    "eta Infinity": (lambda r: r | {"config": r["config"] | {"eta": float("inf")}}, "eta must be a finite number"),
    "sizes a string": (lambda r: r | {"config": r["config"] | {"sizes": "784,30,10"}}, "sizes must be a list"),
    "sizes 30.5": (lambda r: r | {"config": r["config"] | {"sizes": [784, 30.5, 10]}}, "sizes must be a list of integers"),
    "sizes 784,30": (lambda r: r | {"config": r["config"] | {"sizes": [784, 30]}}, "and end with 10"),
    "backend 3": (lambda r: r | {"config": r["config"] | {"backend": 3}}, "backend must be a string"),
    "unknown field": (lambda r: r | {"config": r["config"] | {"etta": 0.5}}, "no field etta"),
    "config a list": (lambda r: r | {"config": []}, "config must be an object"),
    "seed 'x'": (lambda r: r | {"seed": "x"}, "seed must be an integer"),
    "seed -1": (lambda r: r | {"seed": -1}, "seeds must be in [0, 2^63), got -1"),
    "seed 2^63": (lambda r: r | {"seed": 2 ** 63}, "seeds must be in [0, 2^63)"),
    "recipe a list": (lambda r: r | {"recipe": []}, "recipe must be an object"),
    "threads 0": (lambda r: r | {"recipe": r["recipe"] | {"threads": 0}}, "threads must be between 1 and 256, got 0"),
    "threads '2'": (lambda r: r | {"recipe": r["recipe"] | {"threads": "2"}}, "threads must be an integer"),
    "experiment 7": (lambda r: r | {"experiment": 7}, "experiment must be a string"),
    "not an object": (lambda r: [r], "config.json must be an object"),
}


@pytest.mark.parametrize("edit", CONFIGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_config_json_is_checked_as_the_cli_checks_its_options(edit, command, run_dir, capsys, data):
    change, message = CONFIGS[edit]
    path = run_dir / "config.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))  # json writes inf as Infinity, as a hand may
    assert message in refused(command, run_dir, path, capsys)


def test_config_json_takes_what_the_cli_takes(run_dir):
    """A billion epochs: the CLI takes them (``--epochs 1000000000``), so config.json may hold them too; and an
    η edited to 3 is the CLI's 3.0."""
    config = load_experiment("chap1_network").VARIANTS["default"]
    assert parse_overrides(config, ["--epochs", "1000000000"], []).epochs == 10 ** 9
    edit_json(run_dir / "config.json", lambda r: r | {"config": r["config"] | {"epochs": 10 ** 9, "eta": 3}})
    _, cfg = read_record(run_dir)
    assert cfg.epochs == 10 ** 9 and cfg.eta == 3.0 and isinstance(cfg.eta, float) and cfg.sizes == (784, 30, 10)


# --- results.json ---------------------------------------------------------------------------------------------

RESULTS = {
    "a list": "[]",
    "null": "null",
    "status alone": '{"status": "finished"}',
    "unknown status": '{"status": "paused", "finished": false, "epochs": []}',
    "finished not a bool": '{"status": "running", "finished": "no", "epochs": []}',
    "epochs not a list": '{"status": "running", "finished": false, "epochs": {}}',
    "an epoch not an object": '{"status": "running", "finished": false, "epochs": [1]}',
    "diverged with no epochs": '{"status": "diverged", "finished": false, "epochs": []}',
}


@pytest.mark.parametrize("content", RESULTS.values(), ids=RESULTS)
def test_results_json_of_the_wrong_shape_is_named_on_resume(content, run_dir, capsys, data):
    (run_dir / "results.json").write_text(content)
    refused("--resume", run_dir, run_dir / "results.json", capsys)


# --- several folders: all checked before any is opened ----------------------------------------------------

def test_resume_opens_no_folder_until_every_one_is_checked(run_dir, tmp_path, capsys, data):
    second = shutil.copytree(run_dir, tmp_path / "second")
    edit_json(second / "config.json", lambda r: r | {"seed": -1})
    refused("--resume", run_dir, second / "config.json", capsys, second)


def test_a_diverged_run_among_several_opens_none(run_dir, tmp_path, capsys, data):
    second = shutil.copytree(run_dir, tmp_path / "second")
    edit_json(second / "results.json", lambda r: r | {"status": "diverged"})
    before = files(run_dir)
    code, _, err = cli(["--resume", run_dir, second], capsys)
    assert code == 3 and "diverged at epoch 0" in err and one_line(err)
    assert files(run_dir) == before


def test_an_intact_run_still_resumes(run_dir, capsys, data):
    code, out, err = cli(["--resume", run_dir], capsys)
    assert code == 0 and err == "" and "Resuming" in out
    results = strict_json(run_dir / "results.json")
    assert results["status"] == "finished" and [row["epoch"] for row in results["epochs"]] == [0, 1]


@pytest.mark.parametrize("name", experiment_names())
def test_every_variants_config_json_rebuilds_its_config(name):
    """No false refusals: each variant's config, as RunLog writes it, reads back as the same config."""
    for variant, cfg in load_experiment(name).VARIANTS.items():
        record = {"experiment": name, "variant": variant, "seed": 0, "config": dataclasses.asdict(cfg),
                  "recipe": {"threads": 1, "torch": torch.__version__, "dtype": "float32"}}
        assert checked_record(json.loads(json.dumps(record))) == (load_experiment(name), cfg)
