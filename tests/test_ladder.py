"""scripts/chap6_ladder.py: a GPU window's one command, run on the CPU at tiny sizes (no graphs, no streams)."""

import importlib.util
import json
import shutil
import tarfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from experiments import chap6_conv
from repro import window_plan
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
        out = tmp_path / "out"  # each window goes on from the state the last one left there
        summary = chap6_ladder.ladder([*TINY, *argv, "--out", str(out), "--state", str(out / "state"), "--logdir",
                                       str(tmp_path / "logs"), "--results", str(results)], time.monotonic())
        with tarfile.open(out / "chap6_ladder.tar.gz") as tar:
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


def test_a_deadline_shorter_than_the_plan_starts_nothing_where_no_state_may_be_left(window):
    summary, archive = window("--rungs", "expanded", "--seeds", "0", "--epochs", "5000", "--minutes", "0.5",
                              "--carry-mib", "0")
    assert list(summary["smoke"]) == ["expanded"] and summary["chosen"] == [] and summary["ran"] == {}
    assert [name for name in archive if "/windows/" not in name] == [] and summary["state"] == []


def stopped_after_one_epoch(monkeypatch):
    """Make the next window's clock say, once its first epoch is done, that the deadline is near; return what
    puts the clock right again."""
    train_epoch, clock = chap6_ladder.train_epoch, chap6_ladder.clock

    def late_after_one_epoch(packs, data, args):
        train_epoch(packs, data, args)
        monkeypatch.setattr(chap6_ladder, "clock", lambda: 60 * args.minutes)

    monkeypatch.setattr(chap6_ladder, "train_epoch", late_after_one_epoch)

    def on_time():
        monkeypatch.setattr(chap6_ladder, "train_epoch", train_epoch)
        monkeypatch.setattr(chap6_ladder, "clock", clock)

    return on_time


def test_a_pack_stopped_by_the_deadline_goes_on_in_the_next_command_as_if_never_stopped(window, monkeypatch):
    """Dropout (its masks' generators go on too), stopped after 1 of 3 epochs: bit for bit one command's run."""
    dropout = ("--rungs", "dropout", "--seeds", "0", "--epochs", "3")
    _, whole = window(*dropout)
    on_time = stopped_after_one_epoch(monkeypatch)
    summary, first = window(*dropout)
    assert summary["ran"]["dropout"] | {"wall_s": None} == {"from": 0, "epochs": 1, "of": 3, "wall_s": None}
    assert summary["state"] == ["dropout"] and [name for name in first if "/windows/" not in name] == []
    on_time()
    summary, second = window(*dropout)
    assert summary["ran"]["dropout"]["from"] == 1 and summary["state"] == []
    record, alone = second["results/chap6_conv/dropout/seed0.json"], whole["results/chap6_conv/dropout/seed0.json"]
    assert record["epochs"] == alone["epochs"] and record["predictions"] == alone["predictions"]
    assert [piece["epochs"] for piece in record["pieces"]] == [[0, 1], [1, 3]]
    assert [piece["epochs"] for piece in alone["pieces"]] == [[0, 3]]
    summary, _ = window(*dropout)  # the state it left is empty: a new run starts
    assert summary["ran"]["dropout"]["from"] == 0


def test_a_damaged_state_is_named_in_one_line_and_its_packs_start_again(window, monkeypatch, tmp_path, capsys):
    on_time = stopped_after_one_epoch(monkeypatch)
    window("--rungs", "double_fc", "--seeds", "0", "--epochs", "3")
    on_time()
    part = tmp_path / "out" / "state" / "chap6_ladder_state.tar.00"
    part.write_bytes(part.read_bytes()[:-100])
    capsys.readouterr()
    summary, _ = window("--rungs", "double_fc", "--seeds", "0", "--epochs", "3")
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"{part.parent}/chap6_ladder_state.tar.*: the parts are not the ones "
                     f"{part.parent}/chap6_ladder_state.json names (missing, cut short or from another command): "
                     "its packs start again from epoch 0"]
    assert summary["ran"]["double_fc"]["from"] == 0


def test_state_of_packs_this_command_does_not_train_is_kept_as_it_came(window, monkeypatch, tmp_path):
    on_time = stopped_after_one_epoch(monkeypatch)
    window("--rungs", "double_fc", "--seeds", "0", "--epochs", "3")
    on_time()
    summary, _ = window("--rungs", "double_fc", "--seeds", "0", "--epochs", "3", "--dry-run")
    assert "state" not in summary  # a dry run leaves the state as it is
    summary, _ = window("--rungs", "fc300", "--seeds", "0", "--epochs", "1")
    assert summary["ran"] == {"fc300": {"from": 0, "epochs": 1, "of": 1, "wall_s": summary["ran"]["fc300"]["wall_s"]}}
    assert summary["state"] == ["double_fc"]


def test_a_windows_files_are_taken_in_whole_records_state_and_the_readmes_tables(window, monkeypatch, tmp_path, capsys):
    checkout = tmp_path / "checkout"  # a copy of the README and results/ (its benchmarks' outputs too)
    readme, results, state = checkout / "README.md", checkout / "results", checkout / "state"
    shutil.copytree(chap6_ladder.RESULTS, results)
    readme.write_text(chap6_ladder.README.read_text())
    monkeypatch.setattr(chap6_ladder, "README", readme)
    on_time = stopped_after_one_epoch(monkeypatch)
    window("--rungs", "double_fc", "--seeds", "0", "--epochs", "3")  # stopped after an epoch: a state, no record
    on_time()
    summary, archive = window("--rungs", "fc1000", "--seeds", "0", "--epochs", "1")  # recorded; double_fc's state kept
    unpacked = ["--unpack", str(tmp_path / "out"), "--results", str(results), "--state", str(state)]
    assert chap6_ladder.ladder(unpacked) == {}
    assert json.loads((results / "chap6_conv" / "fc1000" / "seed0.json").read_text()) == \
        archive["results/chap6_conv/fc1000/seed0.json"]
    assert sorted(path.name for path in state.iterdir()) == ["chap6_ladder_state.json", "chap6_ladder_state.tar.00"]
    step = f"{1e6 * summary['smoke']['fc1000']['seconds_per_step']:.0f} µs"  # a tiny run is no book record, but
    assert f"| fc1000 | 99.43% | not yet run | — | — | — | {step} |" in readme.read_text()  # its window's step time
    peak = archive["results/chap6_conv/fc1000/seed0.json"]["peak"]["accuracy"]  # and the results table has it
    assert f"epochs=1, train_size=30 | {peak:.2f}%" in readme.read_text() and "table rewritten" in capsys.readouterr().out
    chap6_ladder.ladder(unpacked)  # again: the same records are already there, nothing changes
    record = results / "chap6_conv" / "fc1000" / "seed0.json"
    record.write_text(record.read_text().replace('"finished": true', '"finished": false'))
    with pytest.raises(SystemExit, match=f"{record} is already recorded, differently: nothing was unpacked"):
        chap6_ladder.ladder(unpacked)
    record.write_text(json.dumps(archive["results/chap6_conv/fc1000/seed0.json"], indent=2))
    part = tmp_path / "out" / "state" / "chap6_ladder_state.tar.00"
    part.write_bytes(part.read_bytes()[:-1])  # a part cut short: the state is refused, and so is the rest
    before = sorted(path.read_bytes() for path in state.iterdir())
    with pytest.raises(SystemExit, match="the parts are not the ones .* names .*: nothing was unpacked"):
        chap6_ladder.ladder(unpacked)
    assert sorted(path.read_bytes() for path in state.iterdir()) == before
    (tmp_path / "out" / "chap6_ladder.tar.gz").unlink()  # a command cut off before its first record
    with pytest.raises(SystemExit, match="chap6_ladder.tar.gz cannot be read .FileNotFoundError.: nothing was"):
        chap6_ladder.ladder(unpacked)


def plan(packs, rows, args, **kept):
    """repro.window_plan.plan with all of ``args.minutes`` left, as at a command's start (the smoke test free)."""
    return window_plan.plan(packs, rows, args, lambda: 60 * args.minutes, **kept)


def measured(monkeypatch, joint):
    """Return three packs, as a window measures them: each alone (rows), and ``joint`` {how many: a step together}."""
    monkeypatch.setattr(window_plan.graphed, "seconds_per_step", lambda packs, *_: joint[len(packs)])
    packs = [SimpleNamespace(name=name, cfg=SimpleNamespace(epochs=epochs), epoch=0, steps_per_epoch=2_000,
                             state_bytes=mib * 2 ** 20, runs=None)
             for name, epochs, mib in (("cheap", 40, 1), ("dear", 60, 20), ("cheaper", 40, 1))]
    rows = {"cheap": {"seconds_per_step": 150e-6}, "dear": {"seconds_per_step": 250e-6},
            "cheaper": {"seconds_per_step": 100e-6}}
    return packs, {name: row | {"evaluation_s": 0.1} for name, row in rows.items()}


def test_the_plan_drops_the_dearest_pack_until_the_rest_fit(monkeypatch):
    """Packs together at the measured speed: three do not fit 5 minutes, two do."""
    packs, rows = measured(monkeypatch, {3: 300e-6, 2: 200e-6, 1: 100e-6})
    args = SimpleNamespace(minutes=5, steps_per_replay=50, replays=4, carry_mib=0)
    chosen, together = plan(packs, rows, args)  # 1.03 · (60 · 2000 · 300 µs + 140 · 0.1 s) + 10 s
    assert [pack.name for pack in chosen] == ["cheap", "dear", "cheaper"] and together == 300e-6  # 61.5 s ≤ 300 s
    args.minutes = 0.6  # 36 s: not the three; without the dear one, 1.03 · (40 · 2000 · 200 µs + 80 · 0.1 s) + 10
    assert [pack.name for pack in plan(packs, rows, args)[0]] == ["cheap", "cheaper"]  # 34.7 s
    args.minutes = 0.1  # 6 s: not even the cheaper alone (22.4 s)
    assert plan(packs, rows, args) == ([], None)


def test_a_rungs_own_pack_is_kept_before_the_ensembles_other_members(monkeypatch):
    """Of two dropout packs alike, only one fits: the rung's seeds 0-2, which finish a book number, not 3-5."""
    packs, rows = measured(monkeypatch, {2: 600e-6, 1: 100e-6})
    packs = [packs[0], SimpleNamespace(**{**vars(packs[0]), "name": "cheap seeds 3-5"})]
    rows["cheap seeds 3-5"] = rows["cheap"]
    args = SimpleNamespace(minutes=0.6, steps_per_replay=50, replays=4, carry_mib=0)  # one fits (22.4 s), not two
    for order in (packs, packs[::-1]):
        assert [pack.name for pack in plan(order, rows, args)[0]] == ["cheap"]


def test_beside_the_packs_that_finish_go_packs_whose_state_the_next_command_can_carry(monkeypatch):
    """The dear pack cannot finish in 36 s, but it can advance beside the two that do, if its 20 MiB may be left."""
    packs, rows = measured(monkeypatch, {3: 210e-6, 2: 200e-6, 1: 100e-6})
    args = SimpleNamespace(minutes=0.6, steps_per_replay=50, replays=4, carry_mib=44)
    chosen, together = plan(packs, rows, args)  # the two still finish: 1.03 · (16.8 + 8) + 10 = 35.5 s
    assert [pack.name for pack in chosen] == ["cheap", "cheaper", "dear"] and together == 210e-6
    assert [p.name for p in plan(packs, rows, args, kept_bytes=30 * 2 ** 20)[0]] == ["cheap", "cheaper"]
    args.minutes = 0.1  # nothing finishes: packs are added while a step per pack gets cheaper (alone 100 µs; 2: 200/2)
    assert [pack.name for pack in plan(packs, rows, args)[0]] == ["cheap"]
    packs[1].runs = ["its run folder"]  # a stopped pack goes on first, whatever its state weighs
    assert [pack.name for pack in plan(packs, rows, args, kept_bytes=50 * 2 ** 20)[0]] == ["dear"]


def test_a_device_torch_lacks_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        chap6_ladder.ladder(["--device", "tpu", "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "device must be cpu or cuda" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_readmes_chapter6_table_is_generated_from_the_records():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = readme.split(f"{chap6_ladder.TABLE_BEGIN}\n")[1].split(f"\n{chap6_ladder.TABLE_END}")[0]
    assert block == chap6_ladder.table(), "README's table differs: python scripts/chap6_ladder.py --table"
