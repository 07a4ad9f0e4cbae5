"""Issue 21's smaller edges: the RNN's divergence, the report's unknown files and diverged runs, the CLI's hints.

Each case is one line on stderr and the README's exit code (tests/test_faults.py has the conventions).
"""

import json

import pytest

from repro.report import main as report_main
from tests.test_faults import SMALL, cli, data, one_line, strict_json  # noqa: F401  (data: a fixture)


def test_the_rnn_diverging_is_a_result_exit_3_and_its_other_seed_goes_on(tmp_path, capsys, data):
    """Adam moves each weight by about η a step: with η = 1e30 no weight reaches inf, but past 1e19 its square
    does (repro/seeds.py); it used to end in TensorBoard's "The histogram is empty", exit 1, no results.json."""
    argv = ["rnn_sequential_mnist", "--eta", "1e30", "--epochs", "1", "--train-size", "100", "--seed", "0", "1"]
    code, out, err = cli([*argv, "--logdir", tmp_path / "logs"], capsys)
    assert code == 3 and one_line(err) and "seed 0 diverged at epoch 0" in err and "seed 1 diverged" in err
    assert "output.weight" in err and "try a smaller eta" in err
    for run_dir in (tmp_path / "logs" / "rnn_sequential_mnist").iterdir():
        results = strict_json(run_dir / "results.json")
        assert results["status"] == "diverged" and not results["finished"] and len(results["epochs"]) == 1


def test_the_report_skips_what_it_does_not_recognise_and_lists_diverged_runs(tmp_path, capsys, data):
    logs = tmp_path / "logs"
    code, _, _ = cli(["chap3_crossentropy", "--eta", "1e20", *SMALL, "--logdir", logs], capsys)
    assert code == 3
    strangers = {"unrelated/a/results.json": {"loss": 0.1}, "nope/b/results.json": {"experiment": "nope",
                 "variant": "x", "finished": True}, "listed/c/results.json": [], "nothing/d/results.json": None,
                 "chap1_network/e/results.json": {"experiment": "chap1_network", "variant": "gone", "finished": True,
                                                  "config": {}, "seed": 0, "epochs": []}}
    for relative, content in strangers.items():
        (logs / relative).parent.mkdir(parents=True)
        (logs / relative).write_text(json.dumps(content))
    report_main([str(logs)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.strip().splitlines()) == len(strangers)
    for relative in list(strangers)[:4]:
        assert f"skipped {logs / relative}: not a results.json of this suite's experiments" in err
    assert "skipped 1 run(s) of chap1_network variant 'gone': no such variant" in err
    assert "Runs that diverged" in out and "- chap3_crossentropy default seed 0, epoch 0: eta=1e+20" in out


def test_the_report_takes_one_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        report_main([str(tmp_path), str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "takes one folder of runs, got 2" in err and one_line(err)


@pytest.mark.parametrize("argv", [["--evaluate", "a", "--evaluate", "b"], ["--evaluate", "a", "b"]],
                         ids=["given twice", "two folders"])
def test_evaluate_takes_one_run_folder(argv, tmp_path, capsys):
    code, out, err = cli(argv, capsys)
    assert code == 2 and "--evaluate takes one run folder" in err and one_line(err) and out == ""


def test_an_unknown_option_hint_names_the_experiment(capsys):
    code, _, err = cli(["chap1_network", "--fooo", "3"], capsys)
    assert code == 2 and "see python -m repro.run chap1_network --help" in err and one_line(err)


def test_a_fresh_chap6_run_never_resumes_itself(tmp_path, capsys, data):
    """It used to end with "Resuming <dir> after epoch N": a second, empty pass reloaded the checkpoint."""
    code, out, err = cli(["chap6_conv", "--variant", "shallow", "--epochs", "2", "--train-size", "100",
                          "--logdir", tmp_path / "logs"], capsys)
    assert code == 0 and "Resuming" not in out + err and out.count("Epoch ") == 2


@pytest.mark.parametrize("option, says", [("--readm", "unknown option --readm; did you mean --readme?"),
                                          ("--zzz", "unknown option --zzz; the options are --readme, --html")])
def test_an_unknown_report_option_is_named_with_the_close_one(option, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        report_main(["results", option])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and says in err and one_line(err)
