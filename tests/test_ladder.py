"""scripts/chap6_ladder.py: a GPU window's one command, run on the CPU at tiny sizes (no graphs, no streams)."""

import importlib.util
import json
import tarfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from experiments import chap6_conv
from repro.log import RunLog
from repro.train3 import train_network3

SCRIPT = Path(__file__).parents[1] / "scripts" / "chap6_ladder.py"
spec = importlib.util.spec_from_file_location("chap6_ladder", SCRIPT)
chap6_ladder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chap6_ladder)

TINY = ["--device", "cpu", "--train-size", "30", "--epochs", "2", "--steps-per-replay", "4", "--replays", "1"]


@pytest.fixture
def window(tmp_path, monkeypatch, mnist_small_evaluation):
    """Run the ladder as a window would, on 1,000-image validation and test sets; return (summary, archive)."""
    monkeypatch.setattr(chap6_ladder, "load_mnist", lambda path=None: mnist_small_evaluation)

    def run(*argv, results=tmp_path / "results"):
        summary = chap6_ladder.ladder([*TINY, *argv, "--out", str(tmp_path / "out"), "--logdir",
                                       str(tmp_path / "logs"), "--results", str(results)], time.monotonic())
        with tarfile.open(tmp_path / "out" / "chap6_ladder.tar.gz") as tar:
            archive = {member.name: json.load(tar.extractfile(member)) for member in tar.getmembers()}
        return summary, archive

    return run


def test_a_window_records_each_rung_as_ordinary_runs_and_the_ensemble_from_its_members(window, mnist_small_evaluation,
                                                                                      tmp_path):
    summary, archive = window("--rungs", "dropout", "ensemble", "--seeds", "0")
    names = sorted(name for name in archive if "/windows/" not in name)
    assert names == [f"results/chap6_conv/dropout/seed{k}.json" for k in range(5)] + \
        ["results/chap6_conv/ensemble/seed0.json"]
    assert summary["chosen"] == ["dropout seeds 0-2", "dropout seeds 3-4"]
    assert [(row["epochs"], row["of"]) for row in summary["ran"].values()] == [(2, 2), (2, 2)]
    members = [archive[f"results/chap6_conv/dropout/seed{k}.json"] for k in range(5)]
    # each member is network3.SGD exactly: a pack on the CPU is Network3SGD's seeds, bit for bit
    cfg = replace(chap6_conv.VARIANTS["dropout"], train_size=30, epochs=2)
    logs = [RunLog.new("chap6_conv", "dropout", seed, asdict(cfg), tmp_path / "alone") for seed in (0, 3)]
    train_network3(cfg, mnist_small_evaluation, logs)
    assert [log.history for log in logs] == [members[0]["epochs"], members[3]["epochs"]]
    # the ensemble's accuracy is the plurality vote of its members' recorded digits
    votes = torch.tensor([[int(digit) for digit in member["predictions"]["test"]] for member in members])
    correct = int((chap6_conv.plurality(votes) == mnist_small_evaluation.test.labels).sum())
    ensemble = archive["results/chap6_conv/ensemble/seed0.json"]
    assert ensemble["epochs"][0]["correct/test"] == correct and [m["seed"] for m in ensemble["members"]] == [0, 1, 2, 3, 4]
    assert ensemble["finished"] and ensemble["config"]["ensemble"] == 5 and "command" in ensemble


def test_recorded_rungs_are_skipped_and_an_ensemble_assembles_from_recorded_members(window, mnist_small_evaluation,
                                                                                    tmp_path):
    _, first = window("--rungs", "expanded", "dropout", "ensemble", "--seeds", "0", "--pack-size", "5")
    # with λ > 0 too a pack on the CPU is Network3SGD's run, bit for bit: one update rule (train3.network3_rule)
    cfg = replace(chap6_conv.VARIANTS["expanded"], train_size=30, epochs=2)
    log = RunLog.new("chap6_conv", "expanded", 0, asdict(cfg), tmp_path / "alone")
    train_network3(cfg, mnist_small_evaluation, [log])
    assert log.history == first["results/chap6_conv/expanded/seed0.json"]["epochs"]
    results = tmp_path / "committed"
    for name, record in first.items():  # what a session commits after a window
        if name != "results/chap6_conv/ensemble/seed0.json":
            (results / name).parent.mkdir(parents=True, exist_ok=True)
            (results / name).write_text(json.dumps(record))
    summary, second = window("--rungs", "expanded", "dropout", "ensemble", "--seeds", "0",
                             results=results / "results")
    assert summary["smoke"] == {} and summary["chosen"] == []  # nothing left to train
    assert second["results/chap6_conv/ensemble/seed0.json"]["epochs"] == \
        first["results/chap6_conv/ensemble/seed0.json"]["epochs"]


def test_a_deadline_shorter_than_the_plan_starts_nothing(window):
    summary, archive = window("--rungs", "expanded", "--seeds", "0", "--epochs", "5000", "--minutes", "0.5")
    assert list(summary["smoke"]) == ["expanded"] and summary["chosen"] == [] and summary["ran"] == {}
    assert [name for name in archive if "/windows/" not in name] == []


def test_the_plan_drops_the_dearest_pack_until_the_rest_fit(monkeypatch):
    """Packs together at the measured speed: three do not fit 5 minutes, two do."""
    monkeypatch.setattr(chap6_ladder, "clock", lambda: 0.0)
    joint = {3: 300e-6, 2: 200e-6, 1: 100e-6}  # seconds a step of the packs together, as a window measures them
    monkeypatch.setattr(chap6_ladder.graphed, "seconds_per_step", lambda packs, *_: joint[len(packs)])
    packs = [SimpleNamespace(name=name, cfg=SimpleNamespace(epochs=epochs), epoch=0, steps_per_epoch=2_000)
             for name, epochs in (("cheap", 40), ("dear", 60), ("cheaper", 40))]
    rows = {"cheap": {"seconds_per_step": 150e-6}, "dear": {"seconds_per_step": 250e-6},
            "cheaper": {"seconds_per_step": 100e-6}}
    rows = {name: row | {"evaluation_s": 0.1} for name, row in rows.items()}
    args = SimpleNamespace(minutes=5, steps_per_replay=50, replays=4)
    chosen, together = chap6_ladder.plan(packs, rows, args)  # 1.03 · (60 · 2000 · 300 µs + 140 · 0.1 s) + 10 s
    assert [pack.name for pack in chosen] == ["cheap", "dear", "cheaper"] and together == 300e-6  # 61.5 s ≤ 300 s
    args.minutes = 0.6  # 36 s: not the three; without the dear one, 1.03 · (40 · 2000 · 200 µs + 80 · 0.1 s) + 10
    assert [pack.name for pack in chap6_ladder.plan(packs, rows, args)[0]] == ["cheap", "cheaper"]  # 34.7 s
    args.minutes = 0.1  # 6 s: not even the cheaper alone (22.4 s)
    assert chap6_ladder.plan(packs, rows, args) == ([], None)


def test_a_device_torch_lacks_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        chap6_ladder.ladder(["--device", "tpu", "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "device must be cpu or cuda" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_readmes_chapter6_table_is_generated_from_the_records():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = readme.split("<!-- chap6-ladder:begin -->\n")[1].split("\n<!-- chap6-ladder:end -->")[0]
    assert block == chap6_ladder.table(), "README's table differs: python scripts/chap6_ladder.py --table"
