"""What a run leaves in its folder: TensorBoard events that agree with results.json."""

import json
from dataclasses import asdict, replace

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments import chap3_crossentropy
from repro.log import RunLog
from repro.train import train_network


@pytest.fixture(scope="module")
def run_dir(mnist, tmp_path_factory):
    cfg = replace(chap3_crossentropy.CONFIG, epochs=2, train_size=1000)
    log = RunLog.new("chap3_crossentropy", "default", 0, asdict(cfg), logdir=tmp_path_factory.mktemp("logs"))
    train_network(cfg, mnist, [log])
    log.close(cfg.headline)
    return log.run_dir


def test_run_folder_is_named_and_holds_its_files(run_dir):
    assert run_dir.parent.name == "chap3_crossentropy" and run_dir.name.startswith("default__seed0__")
    for name in ("config.json", "results.json", "checkpoint.pt"):
        assert (run_dir / name).is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))


def test_tensorboard_scalars_equal_results_json(run_dir):
    results = json.loads((run_dir / "results.json").read_text())
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "histograms": 0}).Reload()
    tags = [tag for tag in events.Tags()["scalars"] if not tag.startswith("hparams/")]
    assert sorted(tags) == ["accuracy/test", "accuracy/train", "cost/test", "cost/train"]
    for tag in tags:
        logged = [(event.step, event.value) for event in events.Scalars(tag)]
        expected = [(row["epoch"], row[tag]) for row in results["epochs"]]
        assert [step for step, _ in logged] == [step for step, _ in expected]
        for (_, value), (_, number) in zip(logged, expected):
            assert value == pytest.approx(number, rel=1e-6)  # events store float32
    assert {"weights/layer1", "weights/layer2", "biases/layer1", "biases/layer2"} <= set(events.Tags()["histograms"])


def test_results_json_records_how_the_numbers_were_made(run_dir):
    results = json.loads((run_dir / "results.json").read_text())
    assert results["finished"] and results["seed"] == 0 and results["headline"] == "peak test accuracy"
    assert results["config"]["eta"] == 0.5 and results["config"]["cost"] == "cross_entropy"
    accuracies = [row["accuracy/test"] for row in results["epochs"]]
    assert results["peak"]["accuracy"] == max(accuracies) and results["final"]["accuracy"] == accuracies[-1]
    for key in ("wall_time_s", "torch", "device", "git_commit"):
        assert key in results


def test_hparams_columns_hold_peak_and_final(run_dir):
    """The HParams dashboard's metrics: peak and final accuracy of each split measured, and the final cost."""
    results = json.loads((run_dir / "results.json").read_text())
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0}).Reload()
    last = {tag: events.Scalars(tag)[-1].value for tag in events.Tags()["scalars"] if tag.startswith("hparams/")}
    assert last["hparams/peak_accuracy/test"] == pytest.approx(results["peak"]["accuracy"], rel=1e-6)
    assert last["hparams/final_accuracy/test"] == pytest.approx(results["final"]["accuracy"], rel=1e-6)
    assert last["hparams/final_cost/train"] == pytest.approx(results["epochs"][-1]["cost/train"], rel=1e-6)
    assert not any(tag.endswith("/validation") for tag in last)  # this run measures train and test only


def test_a_stopped_clock_keeps_the_runs_wall_time(tmp_path, monkeypatch):
    """Seeds run one after another (rnn_sequential_mnist): a seed's wall time is its own turn, not the later seeds'."""
    now = [1000.0]
    monkeypatch.setattr("repro.log.time.time", lambda: now[0])
    log = RunLog.new("chap3_crossentropy", "default", 0, {}, logdir=tmp_path)
    now[0] += 5.0  # waiting for its turn
    log.start_clock()
    now[0] += 30.0  # its turn
    log.stop_clock()
    now[0] += 60.0  # the later seeds' turns
    assert log.wall_time == 30.0
    log.start_clock()  # a later turn (a resumed run) adds to it
    now[0] += 2.0
    assert log.wall_time == 32.0
    log.close()


def test_a_metric_without_a_documented_tag_is_an_error_not_a_missing_chart(tmp_path):
    log = RunLog.new("chap3_crossentropy", "default", 0, {}, tmp_path)
    log.epoch(0, {"accuracy/test": 90.0, "correct/test": 9000, "deviation/five_bumps": 0.37}, None, save=False)
    log.writer.flush()
    charts = set(EventAccumulator(str(log.run_dir)).Reload().Tags()["scalars"])
    assert {"accuracy/test", "deviation/five_bumps"} <= charts and "correct/test" not in charts
    with pytest.raises(ValueError, match="'bumps' has no documented tag"):
        log.epoch(1, {"bumps": 5}, None, save=False)


def test_the_hparams_schema_file_holds_every_config_field_of_every_experiment():
    """A run reads the schema from a file instead of importing all 30 experiments (seconds of start-up)."""
    from repro.hparams import every_config_field, hparam_schema
    assert hparam_schema() == every_config_field(), \
        "a config field changed: python -c 'from repro.hparams import write_hparam_schema; write_hparam_schema()'"


def test_a_measurement_fills_its_hparams_row(tmp_path):
    """A run with no epochs (``measure``) still gets its HParams columns: its one accuracy is peak and final."""
    log = RunLog("chap1_perceptrons", "perceptron", 0, {}, run_dir=tmp_path)
    log.measured({"accuracy/test": 100.0, "correct/test": 256})
    log.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0}).Reload()
    assert events.Scalars("hparams/peak_accuracy/test")[-1].value == 100.0
    assert events.Scalars("hparams/final_accuracy/test")[-1].value == 100.0
    assert [event.value for event in events.Scalars("accuracy/test")] == [100.0]
