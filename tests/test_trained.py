"""Trained networks from run folders: load_network, --evaluate, and the README's two PyTorch examples."""

import json
import re
from pathlib import Path

import pytest

from repro import load_network
from repro.network import Network
from repro.run import main
from repro.train import evaluate

README = Path(__file__).parents[1] / "README.md"


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory):
    """A finished chapter-1 and chapter-6 run (one short epoch each) in logs/ under a fresh folder."""
    root = tmp_path_factory.mktemp("runs")
    logdir = str(root / "logs")
    main(["chap1_network", "--epochs", "2", "--train-size", "500", "--logdir", logdir])
    main(["chap6_conv", "--variant", "shallow", "--epochs", "1", "--train-size", "500", "--logdir", logdir])
    main(["rnn_sequential_mnist", "--epochs", "1", "--train-size", "500", "--logdir", logdir])
    return root, {name: next((root / "logs" / name).glob("*/results.json")).parent
                  for name in ("chap1_network", "chap6_conv", "rnn_sequential_mnist")}


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code, capsys.readouterr()


def last_epoch(run_dir):
    return json.loads((run_dir / "results.json").read_text())["epochs"][-1]


def test_load_network_reproduces_the_last_epochs_test_accuracy(finished_runs, mnist):
    _, runs = finished_runs
    network = load_network(runs["chap1_network"])
    assert not network.training and type(network).__name__ == "Network"
    metrics = evaluate(Network.side_by_side([network]), {"test": mnist.test}, 0.0)[0]
    assert metrics["correct/test"] == last_epoch(runs["chap1_network"])["correct/test"]
    assert metrics["cost/test"] == last_epoch(runs["chap1_network"])["cost/test"]


@pytest.mark.parametrize("name", ["chap1_network", "chap6_conv", "rnn_sequential_mnist"])
def test_evaluate_prints_the_runs_accuracies_in_the_books_form(name, finished_runs, capsys):
    _, runs = finished_runs
    assert main(["--evaluate", str(runs[name])]) is None
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["validation", "test"]
    scored = {line.split(":")[0]: line for line in lines if f"correct/{line.split(':')[0]}" in last_epoch(runs[name])}
    assert scored and all(line == f"{split}: {last_epoch(runs[name])[f'correct/{split}']} / 10000"
                          for split, line in scored.items())


def damaged_copy(run_dir, tmp_path, checkpoint):
    copy = tmp_path / "damaged"
    copy.mkdir()
    (copy / "config.json").write_bytes((run_dir / "config.json").read_bytes())
    if checkpoint is not None:
        (copy / "checkpoint.pt").write_bytes(checkpoint)
    return copy


@pytest.mark.parametrize("cut", [0.5, None], ids=["truncated checkpoint", "no checkpoint"])
def test_evaluate_a_damaged_run_is_one_line_and_exit_1(cut, finished_runs, tmp_path, capsys):
    _, runs = finished_runs
    whole = (runs["chap1_network"] / "checkpoint.pt").read_bytes()
    folder = damaged_copy(runs["chap1_network"], tmp_path, whole[:int(len(whole) * cut)] if cut else None)
    code, out = run_cli(["--evaluate", str(folder)], capsys)
    assert code == 1 and len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err
    assert str(folder / "checkpoint.pt") in out.err and out.out == ""


def test_evaluate_a_folder_that_is_no_run(tmp_path, capsys):
    code, out = run_cli(["--evaluate", str(tmp_path)], capsys)
    assert code == 2 and "not a run folder" in out.err


def readme_examples():
    """Return the ```python blocks of the README's "Use it from PyTorch" section."""
    section = README.read_text().split("## Use it from PyTorch")[1].split("\n## ")[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_examples_run(finished_runs, monkeypatch, capsys):
    """(a) classify a test image with a network loaded from `make run`'s folder; (b) train an nn.Sequential
    of the suite's layers with Adam: its cost falls, and the hand-written gradient equals autograd's."""
    root, _ = finished_runs
    monkeypatch.chdir(root)  # the examples read logs/ as a user's checkout has it
    load, sequential = readme_examples()
    exec(load, {})
    assert re.fullmatch(r"the network reads \d; the label is 7\n", capsys.readouterr().out)
    namespace = {}
    exec(sequential, namespace)  # its last lines assert the gradients equal autograd's
    costs = namespace["costs"]
    assert len(costs) == 300 and sum(costs[-50:]) < 0.5 * sum(costs[:50])
