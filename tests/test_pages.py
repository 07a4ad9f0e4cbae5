"""The results site (``python -m repro.report results/ --html DIR``): its tables are the records' numbers."""

import re

from repro.pages import page_rows, write_site
from repro.results import RESULTS


def test_the_site_shows_every_records_numbers_and_works_offline(tmp_path):
    pages = write_site(RESULTS, tmp_path)
    index = (tmp_path / "index.html").read_text()
    chapters = page_rows(RESULTS)
    assert pages[0].name == "index.html" and {page.stem for page in pages[1:]} == set(chapters)
    for chapter, rows in chapters.items():
        html = (tmp_path / f"{chapter}.html").read_text()
        assert f'href="{chapter}.html"' in index and "http" not in re.sub(r">[^<]*<", "><", html)  # no CDN, no links out
        for row in rows:
            cell = re.search(rf'<tr id="{re.escape(row["name"])}-{re.escape(row["variant"])}">(.*?)</tr>', html, re.S)
            assert cell, (chapter, row["name"], row["variant"])
            if "runs" not in row:
                assert "not yet run" in cell.group(1)
                continue
            for run in row["runs"][:3]:
                assert f"seed {run['seed']}: {run['peak']['accuracy']:.2f}" in cell.group(1), (row["name"], run["seed"])
            if more := [run["peak"]["accuracy"] for run in row["runs"][3:]]:  # seeds beyond 0-2: their range
                assert f"seeds {row['runs'][3]['seed']}–{row['runs'][-1]['seed']}: {min(more):.2f}–{max(more):.2f}" \
                    in cell.group(1), row["name"]
            assert row["verdict"] in cell.group(1) and (tmp_path / "figures" / row["figure"]).stat().st_size > 1000


def test_the_index_counts_each_verdict():
    """Ch.1's η = 0.001 is the one "not reproduced" (EXPECTED says so); a variant without EXPECTED has "no band"."""
    verdicts = {(row["name"], row["variant"]): row["verdict"] for row in page_rows(RESULTS)["chap1"]}
    assert verdicts["chap1_learning_rates", "eta0.001"] == "not reproduced"
    assert verdicts["chap1_network", "default"] == "holds" and verdicts["chap1_learning_rates", "walk"] == "no band"
