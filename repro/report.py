"""The book's numbers beside ours: ``python -m repro.report [LOGDIR]``; ``--record PATH …`` records runs;
``python -m repro.report results/ --readme`` writes the README's results table from the records, and
``python -m repro.report results/ --html DIR`` a site of them (repro/pages.py; ``make report``: site/).

Each experiment states, in ``EXPECTED``, the book's number, where the book says it,
and the bands our tests hold it to. This module reads every finished results.json
under ``logs/`` (or every record under ``results/``) and prints one Markdown row per
(experiment, variant): book, our mean ± std of the peak over seeds, min–max, whether
the band holds, and the command that made the runs, when and from which commit; then
a row for each variant not yet run, with the command that makes it.
"""

import difflib
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from repro.closing import headline, mean_std
from repro.results import RecordRefused, record_command, record_runs
from repro.runs import UsageError, experiment_names, is_book_configuration, load_experiment, overrides


FULL_TIER_SEEDS = (0, 1, 2)  # the seeds whose records tests/test_full.py checks
OPTIONS = ("--readme", "--html", "--record", "--help")  # the CLI's (main), for "did you mean"


class ReportError(Exception):
    """A log folder the report cannot read: one line, exit 2."""


def finished_results(logdir):
    """Return ({(experiment, variant): [results]} of every finished run under logdir, [each diverged run's results]).

    logdir is a folder of run folders (logs/<experiment>/<run>/results.json) or of records
    (results/<experiment>/<variant>/seed<k>.json, repro/results.py). A file that cannot be
    read, or is no results.json of this suite, is named in one line on stderr and skipped.
    """
    if not Path(logdir).is_dir():
        raise ReportError(f"{logdir} is not a folder of runs (python -m repro.run writes them under logs/)")
    runs, diverged, names = defaultdict(list), [], experiment_names()
    for path in sorted([*Path(logdir).glob("*/*/results.json"), *Path(logdir).glob("*/*/seed*.json")]):
        try:
            results = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            print(f"warning: skipped {path}: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        if not (isinstance(results, dict) and results.get("experiment") in names
                and isinstance(results.get("variant"), str)):
            print(f"warning: skipped {path}: not a results.json of this suite's experiments", file=sys.stderr)
        elif results.get("status") == "diverged":
            diverged.append(results | {"path": str(path)})
        elif results.get("finished"):
            runs[results["experiment"], results["variant"]].append(results)
    return runs, diverged


def book_rows(finished):
    """Return ([a row per (experiment, variant) with runs of its book configuration], [the other runs]).

    A row is {"name", "variant", "expected" (its EXPECTED entry or None), "runs" (by seed), "metric"}, in
    the book's order (each experiment's VARIANTS); ``finished`` is finished_results' first value.
    """
    rows, other = [], []
    for (name, variant), all_runs in sorted(finished.items(), key=lambda item: book_order(*item[0])):
        experiment = load_experiment(name)
        if variant not in experiment.VARIANTS:  # an ensemble's member runs (counted in its vote), or an unknown variant
            if "_member" not in variant:
                print(f"warning: skipped {len(all_runs)} run(s) of {name} variant {variant!r}: no such variant",
                      file=sys.stderr)
            continue
        book_config = experiment.VARIANTS[variant]
        runs = sorted((run for run in all_runs if is_book_configuration(run["config"], book_config)),
                      key=lambda run: run["seed"])
        other += [run | {"overrides": ", ".join(f"{key}={value}" for key, value in
                                                overrides(run["config"], book_config).items())}
                  for run in all_runs if not is_book_configuration(run["config"], book_config)]
        if runs and "peak" in runs[0]:
            metric = headline(runs[0]) + (f" ({len(runs[0]['epochs'])} epochs)" if len(runs[0]["epochs"]) > 1 else "")
            rows.append({"name": name, "variant": variant, "expected": experiment.EXPECTED.get(variant),
                         "runs": runs, "metric": metric})  # a baseline or a measurement is scored once: no epochs
    return rows, other


def report(logdir="logs"):
    """Return a Markdown table of the book's numbers beside ours, one row per experiment variant, in the book's
    order, each with the command that made its runs and when, from which commit."""
    lines = ["| experiment | variant | metric | book | ours: mean ± std (n seeds) | min – max | "
             "band on seeds 0-2 (pytest -m full) | time/run, device | made: date, commit | command |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    finished, diverged = finished_results(logdir)
    rows, other = book_rows(finished)
    for row in rows:
        runs, expected = row["runs"], row["expected"]
        peaks = [run["peak"]["accuracy"] for run in runs]
        mean, std = mean_std(peaks)
        lines.append(f"| {row['name']} | {row['variant']} | {row['metric']} | "
                     f"{expected.book_text() if expected else '—'} | {mean:.2f} ± {std:.2f} ({len(runs)}) | "
                     f"{min(peaks):.2f} – {max(peaks):.2f} | {band(expected, runs)} | {time_per_run(runs)} | "
                     f"{made(runs)} | {command(row['name'], row['variant'], runs)} |")
    reported = {(row["name"], row["variant"]) for row in rows}
    return "\n".join(lines + not_yet_run(reported) + other_runs(other) + diverged_runs(diverged))


def time_per_run(runs):
    """Return the mean wall time of the runs and their devices (seeds side by side: each the whole batch's)."""
    minutes = statistics.fmean(run["wall_time_s"] for run in runs) / 60
    return f"{minutes:.1f} min, {', '.join(sorted({run['device'] for run in runs}))}"


def book_order(name, variant):
    """Return the sort key of a row: the experiment's name, then its variant's place in VARIANTS (the book's order)."""
    variants = list(load_experiment(name).VARIANTS)
    return name, variants.index(variant) if variant in variants else len(variants), variant


def made(runs):
    """Return when the runs finished (their records' dates) and the commits they ran."""
    dates = sorted({run["recorded_from"]["finished"][:10] for run in runs if "recorded_from" in run})
    commits = sorted({run["git_commit"][:7] for run in runs if run.get("git_commit")})
    return f"{', '.join(dates) or '—'}, {', '.join(commits) or '—'}"


def command(name, variant, runs):
    """Return the command that makes these runs again: repro.run with their seeds side by side, or the command
    their records name when another one made them (scripts/chap6_ladder.py on a GPU)."""
    named = {run.get("command", "") for run in runs}
    if len(named) == 1 and (only := named.pop()) and not only.startswith("python -m repro.run"):
        return f"`{only}`"
    threads = {run.get("recipe", {}).get("threads", 1) for run in runs}
    return (f"`python -m repro.run {name} --variant {variant} --seed {' '.join(str(run['seed']) for run in runs)}"
            + (f" --threads {threads.pop()}" if threads != {1} and len(threads) == 1 else "") + "`")


def verdict(expected, runs):
    """Return what seeds 0-2 of the runs say of the variant's band: holds, out, not reproduced (as EXPECTED says),
    not yet run (a rung whose band waits for its records), or no band (none, or not all of seeds 0-2 ran)."""
    full_tier = [run for run in runs if run["seed"] in FULL_TIER_SEEDS]
    if expected is not None and not expected.has_band:
        return "not yet run"
    if expected is None or len(full_tier) != len(FULL_TIER_SEEDS):
        return "no band"
    return "holds" if not expected.band_failures(full_tier) else "not reproduced" if expected.unreproduced else "out"


def band(expected, runs):
    """Return the band's cell of the table: the verdict, the compared statistic and the seeds' band."""
    said, full_tier = verdict(expected, runs), [run for run in runs if run["seed"] in FULL_TIER_SEEDS]
    if said == "not yet run":
        return "no band: not yet recorded"
    if said == "no band":
        return "—"
    shown_verdict = {"holds": "holds", "out": "**out**", "not reproduced": "**not reproduced** (as EXPECTED says)"}
    seeds = f"seeds in {list(expected.seed_band)}"
    if expected.book is None:
        return f"{shown_verdict[said]}: {seeds} (no book number)"
    statistic = "chosen on validation" if expected.statistic == "validation" else expected.statistic
    return f"{shown_verdict[said]}: {statistic} {expected.compared(full_tier):.2f} (book ± {expected.within}); {seeds}"


def not_yet_run(reported):
    """Return a row for each variant in an EXPECTED without a finished book-configuration run: still unmeasured."""
    return [f"| {name} | {variant} | — | {expected.book_text()} | not yet run | — | — | — | — | "
            f"`{record_command(name, variant)}` |"
            for name in experiment_names() for variant, expected in load_experiment(name).EXPECTED.items()
            if (name, variant) not in reported]


def other_runs(runs):
    """Return a second table: finished runs that are not book configurations, with what they changed."""
    if not runs:
        return []
    rows = ["", "Runs with overrides (not the book's configuration):", "",
            "| experiment | variant | seed | overrides | peak | epochs |", "|---|---|---|---|---|---|"]
    for run in runs:
        peak = f"{run['peak']['accuracy']:.2f}%, {headline(run)}" if run.get("peak") else "—"
        rows.append(f"| {run['experiment']} | {run['variant']} | {run['seed']} | {run['overrides']} | {peak} | "
                    f"{len(run.get('epochs', []))} |")
    return rows


def diverged_runs(runs):
    """Return a list of the runs that diverged (a result, not a failure: their η or λ was too large)."""
    if not runs:
        return []
    return ["", "Runs that diverged (a cost or parameter stopped being finite):", ""] + [
        f"- {run['experiment']} {run['variant']} seed {run.get('seed')}, epoch {len(run.get('epochs') or [None]) - 1}: "
        f"{', '.join(f'{key}={value}' for key, value in (run.get('config') or {}).items() if key in ('eta', 'lmbda'))}"
        f" ({run['path']})" for run in runs]


def main(argv):
    """``python -m repro.report [LOGDIR]`` prints the table; ``--record PATH …`` copies finished runs into results/;
    ``--readme`` and ``--html DIR`` write the README's table and the site from the records (repro/pages.py)."""
    try:
        if argv[:1] in (["-h"], ["--help"]):
            print(__doc__)
            return
        if argv[:1] == ["--record"]:
            if not argv[1:]:
                raise ReportError("--record takes run folders or folders of them, e.g. --record logs")
            print("\n".join(record_runs(argv[1:])))
            return
        folders, html = pages_option(argv)
        if "--readme" in argv or html:
            from repro import pages  # draws with matplotlib: imported only when asked (and pages imports this module)
            if "--readme" in argv:
                print(pages.rewrite_readme(*folders))
            if html:
                started = time.perf_counter()
                written = pages.write_site(folders[0] if folders else pages.RESULTS, html)
                print(f"wrote {len(written)} pages and their figures into {html}/ in "
                      f"{time.perf_counter() - started:.1f} s: open {Path(html) / 'index.html'}")
            return
        print(report(*folders))
    except (ReportError, UsageError) as error:
        print(f"python -m repro.report: error: {error}", file=sys.stderr)
        sys.exit(2)
    except RecordRefused as error:
        print(f"python -m repro.report: {error}", file=sys.stderr)
        sys.exit(1)
    except OSError as error:  # a page or the README could not be written (the README is written whole or not at all)
        print(f"python -m repro.report: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        sys.exit(1)


def pages_option(argv):
    """Return (the one folder of runs or records named, if any; --html's folder or None) of the report's argv."""
    html = None
    if "--html" in argv:
        at = argv.index("--html")
        if at + 1 == len(argv) or argv[at + 1].startswith("--"):
            raise ReportError("--html takes the folder to write the pages into, e.g. --html site")
        html, argv = argv[at + 1], argv[:at] + argv[at + 2:]
    folders = [arg for arg in argv if arg != "--readme"]
    for option in (arg for arg in folders if arg.startswith("--")):
        close = difflib.get_close_matches(option, OPTIONS, n=1, cutoff=0.6)
        raise ReportError(f"unknown option {option}; " + (f"did you mean {close[0]}?" if close else
                                                          f"the options are {', '.join(OPTIONS)}"))
    if len(folders) > 1:
        raise ReportError(f"takes one folder of runs, got {len(folders)}: {' '.join(folders)}")
    return folders, html


if __name__ == "__main__":
    main(sys.argv[1:])
