"""The committed records under results/: the runs behind the numbers the suite reports.

A record is a finished run's results.json (per-epoch metrics, peak, status, config and the
recipe that made it: commit, torch, device, dtype, threads, wall time) with the command that
ran it, at ``results/<experiment>/<variant>/seed<k>.json``. scripts/chap6_ladder.py writes
chapter 6's GPU rungs there; EXPECTED bands, the checks and the README's tables read them.
"""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
SEEDS = (0, 1, 2)  # the seeds every band is set from and held to


def record_path(experiment, variant, seed, results=RESULTS):
    return Path(results) / experiment / variant / f"seed{seed}.json"


def recorded(experiment, variant, seeds=SEEDS, results=RESULTS):
    """Return the records of these seeds, in order, or [] while any of them is missing."""
    paths = [record_path(experiment, variant, seed, results) for seed in seeds]
    return [json.loads(path.read_text()) for path in paths] if all(path.is_file() for path in paths) else []


def validation_of(record):
    """Return a run's validation accuracy at the epoch of its headline (network3: its best validation epoch)."""
    return record["epochs"][record["peak"]["epoch"]]["accuracy/validation"]


def chosen_on_validation(records):
    """Return the record Ch.6 reports of several runs: the best validation accuracy, the lowest seed of ties.

    Book, Ch.6: "I then reported the test accuracy which corresponded to the best validation
    accuracy from any of the three runs". Each record's peak is already its test accuracy at its
    best validation epoch (network3), so the runs are compared on ``validation_of``. The book
    does not say how it broke a tie between runs; the lowest seed keeps the test set out of the
    choice (taking the tied run of best test would lean upward) and does not depend on the order
    the runs are listed in.
    """
    return max(records, key=lambda record: (validation_of(record), -record["seed"]))
