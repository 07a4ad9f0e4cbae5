"""What each experiment holds its runs to: the book's number, where the book says it, and our bands.

Every experiment module states ``EXPECTED = {variant: Expected(...)}``; the full tier and the
record checks (tests/test_full.py, tests/test_records.py), the CLI's closing lines and the
report (repro/report.py) read it; ``best_of_three`` and ``from_records``
build the bands Ch.6's rungs set alike from their seeds. The number a run reports, its
``Headline``, is declared by its configuration (``cfg.headline``: network2's peak on its
evaluation split, network3's test accuracy at the best validation epoch) and written into its
results.json when it finishes.
"""

import statistics
from dataclasses import dataclass, field

from repro.results import SEEDS, chosen_on_validation, record_command, record_path, recorded, validation_of

PROTOCOLS = {  # statistic -> how the book reports the number it is compared with
    "mean": "single runs (compared with our mean)",
    # Ch.1: network.py evaluates only the test set, so its "best-of-three runs" can only be the best test peak.
    "best": "the best of 3 runs",
    # Ch.6: "the test accuracy which corresponded to the best validation accuracy from any of the three runs".
    "validation": "the test accuracy of the best validation of 3 runs",
}


COMPARED = {"mean": "the mean of seeds 0-2", "best": "the best of seeds 0-2",
            "validation": "the test accuracy of the seed of best validation"}


@dataclass(frozen=True)
class Expected:
    """The book's number for one variant and the bands we hold our runs to (pytest -m full)."""

    book: float | None  # percent, as the book reports it; None where it gives no number (exercises)
    source: str  # where the book says it
    within: float | None  # |statistic of the runs − book| ≤ within (percentage points); unused without a book
    seed_band: tuple | None  # (low, high): every seed's peak lies in here; None: not yet run, so no band
    why: str  # how the bands were set: our seeds, the book's own protocol and spread
    statistic: str = "mean"  # a key of PROTOCOLS: "mean" of the per-seed peaks, "best", or "validation" (Ch.6)
    quick: dict = field(default_factory=dict)  # config overrides of the fast-tier run (make test)
    quick_band: tuple = ()  # (low, high) of that run's peak accuracy, from ≥ 5 seeds of ours
    # A quick band that reaches down to chance (floor ≤ 14%) passes a broken backprop too: tests/test_chance_guards.py
    # checks that variant's gradient beside it.
    note: str = ""  # what the CLI says when a run of the book's configuration ends > 2 pp below the book
    unreproduced: str = ""  # where our seeds do not bear the book's number out: how far, in numbers (pytest -m full
    #                         then expects the band to fail: a strict xfail, which fails once the runs agree)

    def book_text(self):
        """Return the book's number as the CLI and report print it."""
        return f"{self.book}%" if self.book is not None else "no number"

    def protocol(self):
        return PROTOCOLS[self.statistic]

    @property
    def has_band(self):
        """Whether there is a band to hold runs to: not for a rung whose band waits for its records (Ch.6, 6.7-6.11)."""
        return self.seed_band is not None

    def compared(self, runs):
        """Return the number of several runs (results.json dicts) that is compared with the book's.

        "validation" is Ch.6's protocol: the test accuracy of the run whose validation accuracy
        is best (``chosen_on_validation``: ties go to the lowest seed), never the best test accuracy.
        """
        if self.statistic == "validation":
            return chosen_on_validation(runs)["peak"]["accuracy"]
        peaks = [run["peak"]["accuracy"] for run in runs]
        return max(peaks) if self.statistic == "best" else statistics.fmean(peaks)

    def band_failures(self, runs, where=lambda seed: f"seed {seed}"):
        """Return what breaks the band for these runs (results.json dicts; empty when it holds), each seed's
        failure named by ``where(seed)`` (the checks: its record's path)."""
        if not self.has_band:
            return [f"no band: {self.why}"]
        failures = []
        if self.book is not None and abs(self.compared(runs) - self.book) > self.within:
            failures.append(f"{self.statistic} {self.compared(runs):.2f} is not within "
                            f"{self.within} pp of the book's {self.book}")
        low, high = self.seed_band
        failures += [f"{where(run['seed'])}: peak {run['peak']['accuracy']:.2f} is outside [{low}, {high}]"
                     for run in runs if not low <= run["peak"]["accuracy"] <= high]
        return failures


def best_of_three(book, source, ours, statistic="validation"):
    """Return Expected for a number the book reports as the best of three runs (Ch.6), from our seeds 0-2.

    Ch.6's best of three is the test accuracy of the run of best validation: that run's must lie
    within 0.5 pp of the book; each seed must lie within ±1 pp of the book (Ch.6's rungs: our
    spread is under 0.2 pp). ``ours`` says what the records of our seeds measured (``recorded_seeds``).
    """
    return Expected(book=book, source=source, statistic=statistic, within=0.5,
                    seed_band=(round(book - 1.0, 2), min(round(book + 1.0, 2), 100.0)),
                    why=f"{COMPARED[statistic]} within 0.5 pp of the book, every seed within ±1 pp; ours: {ours}")


def recorded_seeds(records, where):
    """Return what ``best_of_three``'s ``why`` says of recorded seeds: each, the one chosen on validation."""
    chosen = chosen_on_validation(records)
    return (f"{seeds_summary([record['peak']['accuracy'] for record in records])} on {where}; chosen on validation: "
            f"seed {chosen['seed']} (validation {validation_of(chosen):.2f}), test {chosen['peak']['accuracy']:.2f}")


def from_records(experiment, variant, book, source, statistic="validation", seed_band=None):
    """Return Expected of a Ch.6 rung from its records under results/: without a band while none is recorded.

    A band around the book's number alone (book − 3 to book + 1, as before) would pass a run no
    better than the rung it builds on: a rung is held to its band once its seeds are recorded, and
    its ``why`` quotes them from the records, never typed. A rung the book gives no number for (the
    exercise and the problem) is held to ``seed_band``, set from its first records. While some but
    not all of seeds 0-2 are recorded the band holds, so the check fails on the missing record.
    """
    nothing_recorded = not any(record_path(experiment, variant, seed).is_file() for seed in SEEDS)
    if nothing_recorded or (book is None and seed_band is None):
        return Expected(book=book, source=source, within=None, seed_band=None, statistic=statistic,
                        why=f"not yet run: no band until seeds 0-2 are recorded under results/{experiment}/{variant}/ "
                            f"({record_command(experiment, variant)})")
    records = recorded(experiment, variant)
    ours = (recorded_seeds(records, f"{records[0]['recipe'].get('device', records[0]['device'])} "
                                    f"(results/{experiment}/{variant}/)") if records else "seeds 0-2 not all recorded")
    if book is None:
        return Expected(book=None, source=source, statistic=statistic, within=0.0, seed_band=seed_band,
                        why=f"no book number: every seed within ±1 pp of the mean of our first records; ours: {ours}")
    return best_of_three(book, source, ours, statistic)


def seeds_summary(peaks):
    """Return our seeds' peaks as a band's ``why`` states them: each, and their mean ± std."""
    return (f"{', '.join(f'{peak:.2f}' for peak in peaks)} (mean {statistics.fmean(peaks):.2f} "
            f"± {statistics.stdev(peaks):.2f})")


@dataclass(frozen=True)
class Headline:
    """The number a run reports: its peak accuracy on ``split`` or, with ``select_on`` (Ch.6, network3), the
    split's accuracy at the epoch of the best ``select_on`` accuracy, the later of ties."""

    split: str = "test"
    select_on: str | None = None

    def __str__(self):
        return f"{self.split} accuracy at the best {self.select_on} epoch" if self.select_on else \
            f"peak {self.split} accuracy"

    def summary(self, history, measured=None):
        """Return {"peak": {epoch, accuracy}, "final": {…}} of a run's history ({} without the split's accuracy).

        network3 measures test accuracy only at a new best validation, so a row may lack it
        ("final" is then None). A measurement (``measured``, no epochs) has its one number, at no epoch.
        """
        tag = f"accuracy/{self.split}"
        if not history:
            value = (measured or {}).get(tag)
            return {} if value is None else {"peak": {"epoch": None, "accuracy": value},
                                             "final": {"epoch": None, "accuracy": value}}
        if tag not in history[0] and not self.select_on:
            return {}
        accuracies = [row.get(tag) for row in history]
        if self.select_on:
            scores = [row[f"accuracy/{self.select_on}"] for row in history]
            best = max(range(len(scores)), key=lambda epoch: (scores[epoch], epoch))
        else:
            best = max(range(len(accuracies)), key=accuracies.__getitem__)  # the first epoch that reaches the peak
        return {"peak": {"epoch": best, "accuracy": accuracies[best]},
                "final": {"epoch": len(accuracies) - 1, "accuracy": accuracies[-1]}}
