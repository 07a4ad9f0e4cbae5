"""Ch.3 "More training data": each size is network2.SGD with the book's scaling, and a stopped run resumes.

The book-length run (seeds 0-2, all nine sizes) is checked size by size under ``pytest -m full``.
"""

import statistics
from dataclasses import asdict, replace

import pytest

from experiments import chap3_more_data
from experiments.chap3_more_data import BOOK_NETWORK, BOOK_SIZES, BOOK_SVM, NETWORK_WITHIN, SVM_WITHIN
from repro.log import RunLog
from repro.train import train_network
from tests.conftest import SEEDS

BOOK = chap3_more_data.VARIANTS["default"]
SMALL = replace(BOOK, train_sizes=(50, 100, 200), epochs=1, mini_batch_size=50)  # 1,000 steps a size


def stop(log):
    """Leave a run as a kill leaves it: results.json says interrupted, the files closed, the checkpoint kept."""
    log.write_results(finished=False, status="interrupted")
    log.writer.close()
    log.lock.close()


def train(cfg, data, seeds, folder):
    """Run the experiment for these seeds side by side, each in folder/seed<k>; return their logs, not closed."""
    logs = [RunLog("chap3_more_data", "default", seed, asdict(cfg), run_dir=folder / f"seed{seed}") for seed in seeds]
    chap3_more_data.run(cfg, data, logs)
    return logs


def test_every_size_sees_the_book_examples_and_lambda_over_n():
    """fig/more_data.py: epochs = 1,500,000 / n and λ = n × 0.0001, so λ/n = 1e-4 at every size."""
    for n in BOOK_SIZES:
        at = BOOK.at(n)
        assert (at.train_size, at.epochs) == (n, 1_500_000 // n)
        assert at.lmbda == pytest.approx(n * 0.0001, rel=1e-12)
    assert BOOK.measured_sizes == BOOK_SIZES
    assert replace(BOOK, train_size=1000).measured_sizes == (100, 200, 500, 1000)


@pytest.mark.parametrize("override, message", [
    (dict(train_sizes=(200, 100)), "train-sizes must increase"),
    (dict(train_sizes=(100, 60_000)), "train-sizes must increase, up to 50000"),
    (dict(train_sizes=()), "the first of train-sizes"),
    (dict(train_sizes=(5, 100)), "the first of train-sizes must lie between mini-batch-size"),
    (dict(train_size=50), "the first of train-sizes must lie between mini-batch-size and train-size"),
    (dict(momentum=0.5), "not part of this experiment's loop"),
])
def test_bad_sizes_and_unsupported_options_are_refused(override, message):
    with pytest.raises(ValueError, match=message):
        replace(BOOK, **override)


def test_a_size_is_the_run_train_network_makes_measured_after_its_last_epoch(mnist_small_evaluation, tmp_path):
    """The experiment's own loop steps as repro.train does, for the seed's same draws: the same final numbers."""
    cfg = replace(BOOK, train_sizes=(25_000,), epochs=1, mini_batch_size=50, svm=False)  # 2 epochs of 25,000
    row = train(cfg, mnist_small_evaluation, [3], tmp_path / "experiment")[0].close()["epochs"][0]
    reference = RunLog("chap3_more_data", "default", 3, {}, run_dir=tmp_path / "train_network")
    last = train_network(cfg.at(25_000), mnist_small_evaluation, [reference])[0][-1]
    for key in ("accuracy/validation", "cost/validation", "correct/validation"):
        assert row[key] == last[key], key


def test_a_stopped_run_resumes_at_its_next_size_with_the_uninterrupted_numbers(mnist_small_evaluation, tmp_path):
    """Seeds stopped one size apart (as a run killed while checkpointing them) resume side by side."""
    straight = [log.close() for log in train(SMALL, mnist_small_evaluation, [0, 1], tmp_path / "straight")]
    for seed, last_size in ((0, 100), (1, 50)):
        stop(train(replace(SMALL, train_size=last_size), mnist_small_evaluation, [seed], tmp_path / "stopped")[0])
    logs = [RunLog.reopen(tmp_path / "stopped" / f"seed{seed}") for seed in (0, 1)]
    assert [len(log.history) for log in logs] == [2, 1]
    chap3_more_data.run(SMALL, mnist_small_evaluation, logs)
    for log, reference in zip(logs, straight):
        assert log.close()["epochs"] == reference["epochs"]
    assert [row["train_size"] for row in reference["epochs"]] == [50, 100, 200]
    assert (tmp_path / "stopped" / "seed0" / "more_data.png").exists()


def test_the_svm_is_scored_once_per_size_for_all_seeds(mnist_small_evaluation, tmp_path, monkeypatch):
    fitted, svm = [], chap3_more_data.support_vector_machine

    def counted(training, images, seed):
        fitted.append(len(training))
        return svm(training, images, seed)

    monkeypatch.setattr(chap3_more_data, "support_vector_machine", counted)
    runs = [log.close()["epochs"] for log in train(SMALL, mnist_small_evaluation, [0, 1, 2], tmp_path)]
    assert fitted == list(SMALL.train_sizes)
    assert len({tuple(row["svm/accuracy/validation"] for row in rows) for rows in runs}) == 1


@pytest.mark.full
def test_every_size_lies_near_the_book_row_and_the_svm_on_50000_beats_the_network_on_5000(book_run):
    """Ch.3: the book's rows size by size, and its claim: the SVM on 50,000 (94.48) > the network on 5,000 (93.24)."""
    runs = [book_run("chap3_more_data", "default", seed)["epochs"] for seed in SEEDS]
    for index, n in enumerate(BOOK_SIZES):
        network = statistics.fmean(rows[index]["accuracy/validation"] for rows in runs)
        assert abs(network - BOOK_NETWORK[n]) <= NETWORK_WITHIN, f"results/chap3_more_data/default/: {n}: {network}"
        svm = runs[0][index]["svm/accuracy/validation"]
        assert abs(svm - BOOK_SVM[n]) <= SVM_WITHIN, f"results/chap3_more_data/default/seed0.json: {n}: svm {svm}"
    for seed, rows in zip(SEEDS, runs):
        by_size = {row["train_size"]: row for row in rows}
        assert by_size[50_000]["svm/accuracy/validation"] > by_size[5000]["accuracy/validation"], \
            f"results/chap3_more_data/default/seed{seed}.json"
