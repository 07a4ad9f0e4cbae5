"""``python -m repro.report --record``: finished runs of book configurations become records under results/."""

import json
import os
from dataclasses import asdict

import pytest

from experiments import chap3_overfitting
from repro.report import main

BOOK = json.loads(json.dumps(asdict(chap3_overfitting.VARIANTS["default"])))  # as config.json holds it


def write_run(logdir, seed, status="finished", config=BOOK, name=None):
    """Write a run folder of chap3_overfitting default as python -m repro.run leaves it (no events, no checkpoint)."""
    run_dir = logdir / "chap3_overfitting" / (name or f"default__seed{seed}")
    run_dir.mkdir(parents=True)
    head = {"experiment": "chap3_overfitting", "variant": "default", "seed": seed, "config": config,
            "recipe": {"threads": 1}}
    (run_dir / "config.json").write_text(json.dumps(head))
    results = head | {"finished": status == "finished", "status": status, "peak": {"epoch": 1, "accuracy": 83.0},
                      "epochs": [{"epoch": 0, "accuracy/test": 80.0}, {"epoch": 1, "accuracy/test": 83.0}]}
    (run_dir / "results.json").write_text(json.dumps(results))
    return run_dir


def record(capsys, *paths, results):
    """Run ``--record`` into results; return (exit status, stdout, stderr)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("repro.results.RESULTS", results)
        patch.setattr("repro.results.record_runs.__defaults__", (results,))
        try:
            main(["--record", *map(str, paths)])
            status = 0
        except SystemExit as stop:
            status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def test_a_finished_book_run_is_recorded_with_its_command_once(tmp_path, capsys):
    run_dir = write_run(tmp_path / "logs", 0)
    status, out, _ = record(capsys, tmp_path / "logs", results=tmp_path / "results")
    path = tmp_path / "results" / "chap3_overfitting" / "default" / "seed0.json"
    saved = json.loads(path.read_text())
    assert status == 0 and out == f"recorded {path}\n"
    assert saved["command"] == "python -m repro.run chap3_overfitting --variant default --seed 0"
    assert saved["peak"]["accuracy"] == 83.0 and saved["recorded_from"]["run"] == run_dir.name
    assert record(capsys, run_dir, results=tmp_path / "results")[1] == f"kept {path}: it records {run_dir.name} already\n"


def test_a_run_that_finished_later_replaces_the_record_and_an_older_one_does_not(tmp_path, capsys):
    older, newer = (write_run(tmp_path / "logs", 0, name=name) for name in ("default__seed0__a", "default__seed0__b"))
    os.utime(older / "results.json", (1e9, 1e9))  # 2001: finished long before the other
    record(capsys, older, results=tmp_path / "results")
    status, out, _ = record(capsys, newer, results=tmp_path / "results")
    assert status == 0 and out.startswith("replaced ") and out.endswith("(peak 83.0 -> 83.0)\n")
    status, out, _ = record(capsys, older, results=tmp_path / "results")
    assert status == 0 and out.startswith("kept ") and "default__seed0__b, finished later than default__seed0__a" in out


@pytest.mark.parametrize("status, config, says", [
    ("running", BOOK, "is running, not finished: only finished runs are recorded; resume it first"),
    ("diverged", BOOK, "is diverged, not finished: only finished runs are recorded"),
    ("finished", BOOK | {"epochs": 30}, "is not chap3_overfitting default as the book configures it (epochs=30)"),
])
def test_a_named_run_that_is_no_book_result_is_refused_and_nothing_is_written(tmp_path, capsys, status, config, says):
    good, bad = write_run(tmp_path / "logs", 0), write_run(tmp_path / "logs", 1, status, config)
    code, out, err = record(capsys, good, bad, results=tmp_path / "results")
    assert code == 1 and out == "" and says in err and err.strip().endswith("nothing was recorded")
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "results").exists()


def test_a_damaged_results_json_or_a_folder_that_is_no_run_is_refused_in_one_line(tmp_path, capsys):
    damaged = write_run(tmp_path / "logs", 0)
    (damaged / "results.json").write_text("{not json")
    code, _, err = record(capsys, damaged, results=tmp_path / "results")
    assert code == 1 and f"{damaged / 'results.json'} cannot be read" in err and len(err.strip().splitlines()) == 1
    code, _, err = record(capsys, tmp_path / "nowhere", results=tmp_path / "results")
    assert code == 2 and "is neither a run folder nor a folder of them" in err
    assert not (tmp_path / "results").exists()


def test_in_a_folder_of_runs_those_that_cannot_be_recorded_are_skipped_a_line_each(tmp_path, capsys):
    write_run(tmp_path / "logs", 0)
    write_run(tmp_path / "logs", 1, config=BOOK | {"epochs": 2})
    code, out, _ = record(capsys, tmp_path / "logs", results=tmp_path / "results")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[0].startswith("skipped ") and "(epochs=2)" in lines[0]
    assert lines[1].startswith("recorded ") and lines[1].endswith("seed0.json")
