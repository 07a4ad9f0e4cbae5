"""The records as pages people read: the README's results table and a static site of the results.

``python -m repro.report results/ --readme`` writes the README's block between two markers, and
each ``<!-- output: FILE -->`` block (a benchmark's tables) from its committed file;
``python -m repro.report results/ --html DIR`` (``make report``) writes DIR/index.html and one
page per chapter, for a browser offline (no CDN, no server): each book number beside our seeds
as points on a strip plot with the band shaded, the verdict, the command and time per run, and
the per-epoch curve of the seeds (their mean and spread) beside the book's quoted number.
Everything on a page is read from the records; nothing is typed.
"""

import re
import statistics
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from repro.plots import plt
from repro.records import git_commit, write_atomically
from repro.closing import mean_std
from repro.report import (ReportError, band, book_rows, command, finished_results, made, report, time_per_run,
                          verdict)
from repro.results import RESULTS, shown
from repro.runs import experiment_names, load_experiment

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"  # the README's block that --readme writes
OUTPUT_BEGIN, OUTPUT_END = "<!-- output: ", "<!-- output end -->"  # a block that shows a committed file as it is
OUTPUT = re.compile(rf"{OUTPUT_BEGIN}(\S+) -->\n.*?{OUTPUT_END}", re.S)
WARNING = re.compile(r"\S+\.py:\d+: \w*Warning: |\s+warnings\.warn\(")  # a warning's two lines
CHAPTERS = {  # page -> its title: the book's chapters, then the companions beyond it
    "chap1": "Ch.1 Using neural nets to recognize handwritten digits",
    "chap2": "Ch.2 How the backpropagation algorithm works",
    "chap3": "Ch.3 Improving the way neural networks learn",
    "chap4": "Ch.4 A visual proof that neural nets can compute any function",
    "chap5": "Ch.5 Why are deep neural networks hard to train?",
    "chap6": "Ch.6 Deep learning",
    "rnn": "Recurrent nets on sequential MNIST (beyond the book)",
    "seeds": "The companion videos' experiments (beyond the book)",
}
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)


def with_block(text, begin, end, body):
    """Return the README's text with what lies between the markers ``begin`` and ``end`` replaced by ``body``."""
    head, found_begin, rest = text.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not (found_begin and found_end):
        raise ReportError(f"README.md has no {begin} … {end} block to write the table into")
    return f"{head}{begin}\n{body}\n{end}{tail}"


def readme_with_results(text, results=RESULTS):
    """Return the README's text with its block between BEGIN and END made anew from the records in results/."""
    note = (f"Made by `python -m repro.report {shown(results)}/ --readme` from the records; "
            "`tests/test_report.py` fails when this block differs from what they make.")
    return with_block(text, BEGIN, END, f"{note}\n\n{report(results)}")


def readme_with_outputs(text, root=README.parent):
    """Return the README's text with each ``<!-- output: FILE -->`` block made anew from FILE, a committed output.

    A benchmark's tables are its script's printed output, committed under results/benchmarks/, and
    shown as printed (Python's warnings, where stderr was kept too, left out): never typed.
    """
    def block(match):
        path = root / match[1]
        if not path.exists():
            raise ReportError(f"README.md shows the output of {match[1]}, which is not there")
        printed = "\n".join(line for line in path.read_text().strip().splitlines() if not WARNING.match(line))
        return f"{OUTPUT_BEGIN}{match[1]} -->\n{printed.strip()}\n{OUTPUT_END}"

    return OUTPUT.sub(block, text)


def rewrite_readme(results=RESULTS, readme=README):
    """Write the README's results block from the records, and its outputs' blocks from their files; return what
    was done."""
    old = readme.read_text()
    new = readme_with_outputs(readme_with_results(old, results), readme.parent)
    if new == old:
        return f"{readme.name}: the results table is unchanged"
    write_atomically(readme, lambda partial: partial.write_text(new))
    return f"{readme.name}: the results table rewritten from {results}"


def page_rows(results):
    """Return {chapter: [a row per book number]}: measured rows (from the records) and EXPECTED's not yet run."""
    rows, _ = book_rows(finished_results(results)[0])
    chapters = {chapter: [] for chapter in CHAPTERS}
    for row in rows:
        peaks = [run["peak"]["accuracy"] for run in row["runs"]]
        mean, std = mean_std(peaks)
        chapters[row["name"].split("_")[0]].append(row | {
            "peaks": peaks, "mean": mean, "std": std, "band": band(row["expected"], row["runs"]),
            "verdict": verdict(row["expected"], row["runs"]), "time": time_per_run(row["runs"]),
            "made": made(row["runs"]), "command": command(row["name"], row["variant"], row["runs"]).strip("`"),
            "beyond": beyond_seeds_0_to_2(row["runs"]),
            "figure": f"{row['name']}-{row['variant']}.png"})
    measured = {(row["name"], row["variant"]) for row in rows}
    for name in experiment_names():
        for variant, expected in load_experiment(name).EXPECTED.items():
            if (name, variant) not in measured:
                chapters[name.split("_")[0]].append({"name": name, "variant": variant, "expected": expected,
                                                     "verdict": "not yet run"})
    return {chapter: rows for chapter, rows in chapters.items() if rows}


def beyond_seeds_0_to_2(runs):
    """Return the range of the recorded seeds after the first three (chap1_network's 3-63), or "" if none."""
    if len(runs) <= 3:
        return ""
    peaks = [run["peak"]["accuracy"] for run in runs[3:]]
    return f"seeds {runs[3]['seed']}–{runs[-1]['seed']}: {min(peaks):.2f}–{max(peaks):.2f}"


LABELLED = 6  # seeds named on a strip; past these (chap1_network's 64) the labels would overlap


def draw(row, path):
    """Draw one book number: our seeds on a strip with the band shaded and the book's number (left); the
    per-epoch accuracy of the headline's split, mean over seeds with their spread, beside the book's (right)."""
    expected, runs = row["expected"], row["runs"]
    figure, (strip, curve) = plt.subplots(1, 2, figsize=(8.0, 1.9), gridspec_kw={"width_ratios": [1, 1.6]})
    if expected is not None and expected.has_band:
        strip.axvspan(*expected.seed_band, color="tab:green", alpha=0.15)
    if expected is not None and expected.book is not None:
        for axes in (strip, curve):
            (axes.axvline if axes is strip else axes.axhline)(expected.book, color="tab:red", ls="--")
    strip.plot(row["peaks"], [0] * len(runs), "o", color="black", alpha=0.7)
    for index, run in enumerate(runs[:LABELLED]):  # each seed's label a line higher: seeds a hair apart stay legible
        strip.annotate(str(run["seed"]), (run["peak"]["accuracy"], 0), textcoords="offset points",
                       xytext=(0, 5 + 8 * index), ha="center", fontsize=7)
    strip.set(yticks=[], xlabel="%", ylim=(-1, 1))
    tag = curve_tag(row)
    if tag:
        epochs = list(zip(*[[epoch.get(tag) for epoch in run["epochs"]] for run in runs]))
        complete = [(k, values) for k, values in enumerate(epochs) if None not in values]
        x = [k for k, _ in complete]
        curve.fill_between(x, [min(v) for _, v in complete], [max(v) for _, v in complete], alpha=0.3)
        curve.plot(x, [statistics.fmean(v) for _, v in complete])
        curve.set(xlabel="epoch", ylabel=tag.split("/")[1] + " %")
    else:
        curve.axis("off")
    for axes in (strip, curve):
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def curve_tag(row):
    """Return the per-epoch tag of the row's headline (Ch.6: validation, the split its epoch is chosen on)."""
    headline = getattr(load_experiment(row["name"]).VARIANTS[row["variant"]], "headline", None)
    tag = headline and f"accuracy/{headline.select_on or headline.split}"
    return tag if tag and len(row["runs"][0]["epochs"]) > 1 and tag in row["runs"][0]["epochs"][-1] else None


def write_site(results, out):
    """Write the site into out/ from the records in results/; return the pages written."""
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    chapters = page_rows(results)
    built = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": (git_commit() or "unknown")[:7],
             "results": shown(results)}
    for rows in chapters.values():
        for row in rows:
            if "figure" in row:
                draw(row, out / "figures" / row["figure"])
    pages = [out / "index.html"]
    pages[0].write_text(TEMPLATES.get_template("index.html").render(chapters=chapters, titles=CHAPTERS, built=built))
    for chapter, rows in chapters.items():
        pages.append(out / f"{chapter}.html")
        pages[-1].write_text(TEMPLATES.get_template("chapter.html").render(
            title=CHAPTERS[chapter], rows=rows, built=built))
    return pages

