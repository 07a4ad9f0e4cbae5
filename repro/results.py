"""The committed records under results/: the runs behind the numbers the suite reports.

A record is a finished run's results.json (per-epoch metrics, peak, status, config and the
recipe that made it: commit, torch, device, dtype, threads, wall time) with the command that
ran it, at ``results/<experiment>/<variant>/seed<k>.json``. scripts/chap6_ladder.py writes
chapter 6's GPU rungs there; EXPECTED bands, the checks and the README's tables read them.
"""

import json
from datetime import datetime, timezone
from pathlib import Path

from repro.readback import read_results
from repro.records import RunFolderError, write_json
from repro.runs import UsageError, load_experiment, overrides, read_record, variant_config

RESULTS = Path(__file__).resolve().parents[1] / "results"
SEEDS = (0, 1, 2)  # the seeds every band is set from and held to


def record_path(experiment, variant, seed, results=RESULTS):
    return Path(results) / experiment / variant / f"seed{seed}.json"


def recorded(experiment, variant, seeds=SEEDS, results=RESULTS):
    """Return the records of these seeds, in order, or [] while any of them is missing."""
    paths = [record_path(experiment, variant, seed, results) for seed in seeds]
    return [read_record_file(path) for path in paths] if all(path.is_file() for path in paths) else []


def shown(path):
    """Return path as messages show it: results/… when it is under this checkout's results/."""
    path = Path(path)
    return path.relative_to(RESULTS.parent) if path.is_relative_to(RESULTS) else path


def record_command(experiment, variant):
    """Return the commands that train seeds 0-2 of a book configuration and record them under results/ (Ch.6's
    250,000-image rungs: the GPU window's script, as a CPU takes hours a run)."""
    if getattr(variant_config(load_experiment(experiment), experiment, variant), "expanded", False):
        return f"python scripts/chap6_ladder.py (README, 'A GPU window'; records {experiment} {variant})"
    return (f"python -m repro.run {experiment} --variant {variant} --seed 0 1 2 --logdir logs/record && "
            f"python -m repro.report --record logs/record/{experiment}")


def read_record_file(path):
    """Return the record at path (results/<experiment>/<variant>/seed<k>.json); a damaged one raises
    RecordDamaged, naming it and the commands that make it again."""
    try:
        return json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as error:
        experiment, variant = Path(path).parts[-3:-1]
        raise RecordDamaged(f"{shown(path)} is damaged ({error}): make it again with "
                            f"{record_command(experiment, variant)}") from None


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


class RecordDamaged(Exception):
    """A committed record that is not JSON: one line naming the file."""


class RecordRefused(Exception):
    """A run that cannot be recorded (unfinished, diverged, not the book's configuration, damaged): one line, exit 1."""


def run_folders(path):
    """Return the run folders at path: itself if it is one, else those of a log folder (logs/<experiment>/<run>/)
    or of one experiment's folder; a run's sub-folders (the runs it compares itself with) are part of it."""
    path = Path(path)
    if (path / "config.json").is_file():
        return [path]
    folders = sorted({config.parent for pattern in ("*/config.json", "*/*/config.json") for config in path.glob(pattern)
                      if not (config.parent.parent / "config.json").is_file()})
    if not path.is_dir() or not folders:
        raise UsageError(f"{path} is neither a run folder nor a folder of them (python -m repro.run writes them "
                         "under logs/)")
    return folders


def record_of(run_dir):
    """Return the record of the run at run_dir: its results.json, with the command that makes it again and when
    it finished; raise RecordRefused unless it is a finished run of its variant's book configuration."""
    experiment, _ = read_record(run_dir)  # a damaged config.json: RunFolderError, naming it
    results = read_results(run_dir)
    name, variant, seed = results.get("experiment"), results.get("variant"), results.get("seed")
    if results.get("status") != "finished" or results.get("finished") is not True:
        resume = ("" if results.get("status") == "diverged" else
                  f"; resume it first: python -m repro.run --resume {run_dir}")
        raise RecordRefused(f"{run_dir} is {results.get('status', 'not started')}, not finished: only finished runs "
                            f"are recorded{resume}")
    if changed := overrides(results["config"], variant_config(experiment, name, variant)):
        raise RecordRefused(f"{run_dir} is not {name} {variant} as the book configures it "
                            f"({', '.join(f'{key}={value}' for key, value in changed.items())}): only book "
                            "configurations are recorded")
    finished = datetime.fromtimestamp((Path(run_dir) / "results.json").stat().st_mtime, timezone.utc)
    threads = results.get("recipe", {}).get("threads", 1)
    return results | {"command": f"python -m repro.run {name} --variant {variant} --seed {seed}"
                                 + (f" --threads {threads}" if threads != 1 else ""),
                      "recorded_from": {"run": Path(run_dir).name, "finished": finished.isoformat(timespec="seconds")}}


def record_runs(paths, results=RESULTS):
    """Copy the finished book-configuration runs at paths into results/ and return a line for each.

    A run folder named in paths must be recordable: if one is refused, none is recorded. In a
    folder of runs, those that are not (unfinished, diverged, with overrides, damaged) are
    skipped, a line each. A record of the same (experiment, variant, seed) is replaced by a
    run that finished later, and kept (said so) against an older one.
    """
    records, lines = [], []
    try:
        for path in paths:
            named = (Path(path) / "config.json").is_file()
            for run_dir in run_folders(path):
                try:
                    records.append(record_of(run_dir))
                except (RecordRefused, RunFolderError) as error:
                    if named:
                        raise
                    lines.append(f"skipped {error}")
    except (RecordRefused, RunFolderError) as error:
        raise RecordRefused(f"{error}; nothing was recorded") from None
    for record in records:
        lines.append(write_record(record, results, lines))
    return lines


def write_record(record, results, lines):
    """Write record under results/ unless a later run of it is recorded there; return what was done."""
    path = record_path(record["experiment"], record["variant"], record["seed"], results)
    old = json.loads(path.read_text()) if path.is_file() else None
    made = (old or {}).get("recorded_from", {})
    if made == record["recorded_from"]:
        return f"kept {path}: it records {made['run']} already"
    if old and made.get("finished", "") > record["recorded_from"]["finished"]:
        return f"kept {path}: its run, {made['run']}, finished later than {record['recorded_from']['run']}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, record)
    except OSError as error:
        done = [line for line in lines if line.startswith(("recorded", "replaced"))]
        raise RecordRefused(f"cannot write {error.filename}: {error.strerror}; "
                            + ("; ".join(done) if done else "nothing was recorded")) from None
    both = old and "peak" in old and "peak" in record
    change = f" (peak {old['peak']['accuracy']} -> {record['peak']['accuracy']})" if both else ""
    return f"{'replaced' if old else 'recorded'} {path}{change}"
