"""Every experiment runs and writes its files; each holds its quick band (STYLE.md tiers b and c).

The quick bands live in each experiment's EXPECTED[...].quick_band, with the seeds
they were measured on; this file only runs them.
"""

from dataclasses import asdict, replace

import pytest

from repro.log import RunLog
from repro.runs import experiment_names, load_experiment, reads_mnist

VARIANTS = [(name, variant) for name in experiment_names() for variant in load_experiment(name).VARIANTS]
WITH_EXPECTED = [(name, variant) for name, variant in VARIANTS if variant in load_experiment(name).EXPECTED]
QUICK = [(name, variant) for name, variant in WITH_EXPECTED if load_experiment(name).EXPECTED[variant].quick_band]
QUICK_SEED = 0  # not among the seeds the quick bands were set from (1-5)


def run_seeds(name, variant, cfg, data, logdir, seeds):
    """Train the seeds side by side, as ``python -m repro.run NAME --seed …``; return their results.json."""
    logs = [RunLog.new(name, variant, seed, asdict(cfg), logdir=logdir) for seed in seeds]
    experiment = load_experiment(name)
    if reads_mnist(experiment):
        experiment.run(cfg, data, logs)
    else:
        experiment.measure(cfg, logs)
    return [log.close(getattr(cfg, "headline", None)) for log in logs]


def run_once(name, variant, cfg, data, logdir, seed=0):
    return run_seeds(name, variant, cfg, data, logdir, [seed])[0]


@pytest.mark.parametrize("backend", ["manual", "function"])
@pytest.mark.parametrize("name, variant", VARIANTS)
def test_every_variant_runs_on_a_tiny_budget_and_writes_its_files(name, variant, backend, mnist_small_evaluation,
                                                                  tmp_path):
    book = load_experiment(name).VARIANTS[variant]
    tiny = dict(epochs=1, train_size=100, mini_batch_size=min(getattr(book, "mini_batch_size", 100), 100),
                backend=backend)
    if getattr(book, "lmbda", 0) and getattr(book, "train_size", 0) > 100:  # keep λ/n, as the book does (Ch.3)
        tiny["lmbda"] = book.lmbda * 100 / book.train_size
    cfg = replace(book, **{field: value for field, value in tiny.items() if hasattr(book, field)})  # baselines: no SGD
    results = run_once(name, variant, cfg, mnist_small_evaluation, tmp_path)
    files = {path.name for path in next((tmp_path / name).iterdir()).iterdir()}
    assert results["finished"] and {"config.json", "results.json"} <= files
    if "measured" in results:  # a measurement (``measure``): its numbers, no epochs, nothing to resume
        assert results["epochs"] == [] and "checkpoint.pt" not in files
    else:
        assert len(results["epochs"]) == 1 and "checkpoint.pt" in files


def test_every_book_number_lies_in_its_own_band():
    for name, variant in WITH_EXPECTED:
        expected = load_experiment(name).EXPECTED[variant]
        if not expected.has_band:  # a Ch.6 rung before its records: no band, and it says why and how to make them
            assert expected.why.startswith("not yet run") and "results/chap6_conv/" in expected.why
            continue
        low, high = expected.seed_band
        assert expected.book is None or low <= expected.book <= high
        assert expected.source and expected.why


@pytest.mark.parametrize("name, variant", QUICK)
def test_quick_band(name, variant, mnist, tmp_path):
    expected = load_experiment(name).EXPECTED[variant]
    cfg = replace(load_experiment(name).VARIANTS[variant], **expected.quick)
    peak = run_once(name, variant, cfg, mnist, tmp_path, seed=QUICK_SEED)["peak"]["accuracy"]
    low, high = expected.quick_band
    assert low <= peak <= high, f"{name} {variant} {expected.quick}: peak {peak:.2f} outside [{low}, {high}]"
