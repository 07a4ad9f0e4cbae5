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


def chosen_on_validation(records):
    """Return the record Ch.6 would report of several runs: the best validation accuracy (the first of ties).

    Each record's peak is already its test accuracy at its best validation epoch (network3);
    of several runs the book reports one, and choosing it on validation, not test, keeps the
    test set out of the choice.
    """
    return max(records, key=lambda record: record["epochs"][record["peak"]["epoch"]]["accuracy/validation"])
