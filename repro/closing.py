"""The lines a run prints when it finishes: its number beside the book's, and the seeds' summary.

``python -m repro.run`` prints ``run_line`` for each run, ``seeds_line`` for several seeds side by
side and ``shortfall_note`` where a run of the book's configuration ends far below the book;
the report (repro/report.py) names each number the way ``headline`` does.
"""

import statistics

from repro.expected import Headline
from repro.results import chosen_on_validation, validation_of
from repro.runs import is_book_configuration


def mean_std(values):
    """Return the mean and the sample standard deviation (0 for one value) of the values."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def run_line(experiment, results, run_dir):
    """Return the line the CLI prints when a run finishes: its peak beside the book's number."""
    head = f"{results['experiment']} {results['variant']} seed {results['seed']}"
    if "peak" not in results:  # a run that measures something other than accuracy (Ch.5's speeds)
        return f"{head}: finished -> {run_dir}"
    expected = experiment.EXPECTED.get(results["variant"])
    book = f" (book: {expected.book_text()})" if expected else ""
    when = f" at epoch {results['peak']['epoch']}" if results["peak"]["epoch"] is not None else ""  # None: measured
    return f"{head}: {headline(results)} {results['peak']['accuracy']:.2f}%{when}{book} -> {run_dir}"


def headline(results):
    """Return the number a finished run reports, as its results.json names it.

    Records written before results.json named it (issue 20) say it another way: their ``evaluation``
    split and, for network3's, their config's ``select_on``.
    """
    if "headline" in results:
        return results["headline"]
    return str(Headline(results.get("evaluation", "test"), results["config"].get("select_on")))


def shortfall_note(experiment, results):
    """Return a note on the runs of the book's configuration that peaked > 2 points below the book, or None."""
    expected = experiment.EXPECTED.get(results[0]["variant"])
    if expected is None or expected.book is None:
        return None
    short = [result for result in results if expected.book - result["peak"]["accuracy"] > 2
             and is_book_configuration(result["config"], experiment.VARIANTS[result["variant"]])]
    if not short:
        return None
    seeds = ", ".join(f"seed {result['seed']} {expected.book - result['peak']['accuracy']:.1f}" for result in short)
    return (f"Note: {seeds} points below the book, which reports {expected.protocol()}. {expected.note}"
            f"See EXPECTED in experiments/{results[0]['experiment']}.py.")


def seeds_line(results, expected=None):
    """Return one line on several seeds' runs: each peak, mean ± std, the best (Ch.6: the run of best validation,
    not of best test), and the book's number and protocol."""
    peaks = [result["peak"]["accuracy"] for result in results]
    mean, std = mean_std(peaks)
    if expected is not None and expected.statistic == "validation":
        chosen = chosen_on_validation(results)
        best = f"chosen on validation {chosen['peak']['accuracy']:.2f} (seed {chosen['seed']}, " \
               f"validation {validation_of(chosen):.2f})"
    else:
        top = max(results, key=lambda result: result["peak"]["accuracy"])
        best = f"best {top['peak']['accuracy']:.2f} (seed {top['seed']})"
    book = f" | book: {expected.book_text()}, {expected.protocol()}" if expected else ""
    return (f"{results[0]['experiment']} {results[0]['variant']}, {len(peaks)} seeds: peaks "
            + ", ".join(f"{peak:.2f}" for peak in peaks) + f" | mean {mean:.2f} ± {std:.2f} | {best}{book}")
