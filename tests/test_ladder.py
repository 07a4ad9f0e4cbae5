"""scripts/chap6_ladder.py: the GPU's one command for chapter 6's 250,000-image rungs, run on the CPU at tiny sizes."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "chap6_ladder.py"
spec = importlib.util.spec_from_file_location("chap6_ladder", SCRIPT)
chap6_ladder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chap6_ladder)


def test_the_plan_counts_the_books_steps(tmp_path):
    """250,000 images in mini-batches of 10: 25,000 steps an epoch; 60 epochs, dropout and the ensemble 40."""
    rungs = chap6_ladder.ladder(["--plan", "--logdir", str(tmp_path)])["rungs"]
    assert list(rungs) == ["expanded", "fc300", "fc1000", "double_fc", "double_fc300", "double_fc1000", "dropout",
                           "ensemble"]
    assert {name: row["steps"] for name, row in rungs.items()} == {**{name: 1_500_000 for name in list(rungs)[:6]},
                                                                   "dropout": 1_000_000, "ensemble": 1_000_000}
    assert rungs["ensemble"]["nets"] == 15 and rungs["expanded"]["nets"] == 3
    assert sum(row["projected_s"] for row in rungs.values()) == pytest.approx(11_000_000 * 40e-6)


def test_a_tiny_ladder_writes_ordinary_run_folders(tmp_path):
    summary = chap6_ladder.ladder(["--rungs", "expanded", "ensemble", "--seeds", "0", "--train-size", "50",
                                   "--epochs", "1", "--probe", "3", "--backend", "manual", "--device", "cpu",
                                   "--logdir", str(tmp_path)])
    assert json.loads((tmp_path / "ladder.json").read_text())["rungs"] == json.loads(json.dumps(summary["rungs"]))
    for name in ("expanded", "ensemble"):
        assert summary["rungs"][name]["ran"] and summary["rungs"][name]["seconds_per_step"] > 0
        runs = sorted((tmp_path / "chap6_conv").glob(f"{name}__seed*/results.json"))
        assert [json.loads(path.read_text())["finished"] for path in runs] == [True]
    assert len(list((tmp_path / "chap6_conv").glob("ensemble__seed0*/member*/results.json"))) == 5


def test_rungs_that_do_not_fit_the_budget_are_recorded_not_run(tmp_path):
    summary = chap6_ladder.ladder(["--rungs", "expanded", "--seeds", "0", "--train-size", "50", "--epochs", "1",
                                   "--probe", "3", "--backend", "manual", "--device", "cpu", "--budget-minutes", "0",
                                   "--logdir", str(tmp_path)])
    assert summary["rungs"]["expanded"]["ran"] is False and not (tmp_path / "chap6_conv").exists()


def test_a_bad_backend_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        chap6_ladder.ladder(["--backend", "numpy", "--logdir", str(tmp_path / "logs")])
    assert exit_.value.code == 2 and "backend must be one of" in capsys.readouterr().err
    assert not (tmp_path / "logs").exists()
