"""The report sets the book's numbers beside ours, judges the band, and names what is not yet run."""

import json
from dataclasses import asdict

from experiments import chap6_conv
from repro.report import report


def write_run(logdir, variant, seed, peak, config):
    run_dir = logdir / "chap6_conv" / f"{variant}__seed{seed}"
    run_dir.mkdir(parents=True)
    results = {"experiment": "chap6_conv", "variant": variant, "seed": seed, "finished": True,
               "config": json.loads(json.dumps(config)), "peak": {"epoch": 59, "accuracy": peak},
               "epochs": [{}] * 60, "wall_time_s": 120.0, "device": "cpu",
               "headline": str(chap6_conv.VARIANTS[variant].headline)}
    (run_dir / "results.json").write_text(json.dumps(results))


def test_report_rows_bands_and_what_is_not_yet_run(tmp_path):
    shallow = asdict(chap6_conv.VARIANTS["shallow"])
    for seed, peak in enumerate([97.5, 97.9, 97.7]):
        write_run(tmp_path, "shallow", seed, peak, shallow)
    write_run(tmp_path, "conv1", 0, 50.0, shallow | {"conv_maps": [20], "epochs": 1})  # not the book's: left out
    book_table, other_table = report(tmp_path).split("\n\n", 1)
    rows = {row.split(" | ")[1]: row for row in book_table.splitlines()[2:]}
    assert "97.70 ± 0.20 (3)" in rows["shallow"] and "holds: best 97.90" in rows["shallow"]
    assert "2.0 min, cpu" in rows["shallow"]
    assert "not yet run" in rows["conv1"] and "not yet run" in rows["dropout"]
    assert "not yet run" not in rows["shallow"]
    assert "| test accuracy at the best validation epoch (60 epochs) |" in rows["shallow"]
    assert "| chap6_conv | conv1 | 0 | epochs=1 | 50.00%, test accuracy at the best validation epoch | 60 |" in other_table
