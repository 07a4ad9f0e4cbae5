"""What each experiment holds its runs to: the book's number, where the book says it, and our bands.

Every experiment module states ``EXPECTED = {variant: Expected(...)}``; the full tier and the
record checks (tests/test_full.py, tests/test_records.py), the CLI's closing lines and the
report (repro/report.py) read it; ``best_of_three``, ``no_book_number`` and ``provisional``
build the bands Ch.6's rungs set alike from their seeds. The number a run reports, its
``Headline``, is declared by its configuration (``cfg.headline``: network2's peak on its
evaluation split, network3's test accuracy at the best validation epoch) and written into its
results.json when it finishes.
"""

import statistics
from dataclasses import dataclass, field

from repro.results import recorded


@dataclass(frozen=True)
class Expected:
    """The book's number for one variant and the bands we hold our runs to (pytest -m full)."""

    book: float | None  # percent, as the book reports it; None where it gives no number (exercises)
    source: str  # where the book says it
    within: float  # |statistic of the per-seed peaks − book| ≤ within (percentage points); unused without a book
    seed_band: tuple  # (low, high): every seed's peak lies in here
    why: str  # how the bands were set: our seeds, the book's own protocol and spread
    statistic: str = "mean"  # "mean" of the per-seed peaks, or "best" where the book reports best-of-runs
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
        return "the best of 3 runs" if self.statistic == "best" else "single runs (compared with our mean)"

    def compared(self, peaks):
        """Return the statistic of the per-seed peaks that is compared with the book's number."""
        return max(peaks) if self.statistic == "best" else statistics.fmean(peaks)

    def band_failures(self, peaks):
        """Return what breaks the band for these per-seed peaks (empty when it holds)."""
        failures = []
        if self.book is not None and abs(self.compared(peaks) - self.book) > self.within:
            failures.append(f"{self.statistic} peak {self.compared(peaks):.2f} is not within "
                            f"{self.within} pp of the book's {self.book}")
        low, high = self.seed_band
        failures += [f"a seed's peak {peak:.2f} is outside [{low}, {high}]"
                     for peak in peaks if not low <= peak <= high]
        return failures


def best_of_three(book, source, peaks, where="this project's 2-core CPU"):
    """Return Expected for a number the book reports as the best of three runs (Ch.6), from our seeds 0-2 (peaks).

    The best of ours must lie within 0.5 pp of the book; each seed must lie within ±1 pp of the
    book (Ch.6's rungs: our spread is under 0.2 pp).
    """
    return Expected(book=book, source=source, statistic="best", within=0.5,
                    seed_band=(round(book - 1.0, 2), min(round(book + 1.0, 2), 100.0)),
                    why=f"best of seeds 0-2 within 0.5 pp of the book (best of 3, as Ch.6), every seed within ±1 pp; "
                        f"ours on {where}: {seeds_summary(peaks)}")


def from_records(experiment, variant, book, source, statistic="best"):
    """Return Expected from the records of seeds 0-2 under results/ (best of three), or provisional until they exist."""
    records = recorded(experiment, variant)
    if not records:
        return provisional(book, source, statistic)
    return best_of_three(book, source, [record["peak"]["accuracy"] for record in records],
                         f"{records[0]['recipe']['device']} (results/{experiment}/{variant}/)")


def no_book_number(source, peaks):
    """Return Expected for an exercise the book gives no number for: each seed within ±1 pp of our mean."""
    mean = statistics.fmean(peaks)
    return Expected(book=None, source=source, statistic="best", within=0.0,
                    seed_band=(round(mean - 1.0, 2), round(mean + 1.0, 2)),
                    why=f"no book number: every seed within ±1 pp of the mean of our seeds 0-2, {seeds_summary(peaks)}")


def provisional(book, source, statistic="best"):
    """Return Expected for a number we have no seeds for yet: a wide band around the book's number."""
    return Expected(book=book, source=source, statistic=statistic, within=1.0,
                    seed_band=(round(book - 3.0, 2), min(round(book + 1.0, 2), 100.0)),
                    why="not yet measured: a provisional band, book − 3 to book + 1 points per seed")


def seeds_summary(peaks):
    """Return our seeds' peaks as a band's ``why`` states them: each, the best, the mean ± std."""
    return (f"{', '.join(f'{peak:.2f}' for peak in peaks)}: best {max(peaks):.2f}, "
            f"mean {statistics.fmean(peaks):.2f} ± {statistics.stdev(peaks):.2f}")


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
