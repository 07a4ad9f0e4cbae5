"""The book's configurations, 3 seeds each: ``pytest -m full`` (not in CI; minutes per variant).

Each (experiment, variant) runs its book configuration with seeds 0, 1, 2 and holds
the per-seed peaks to EXPECTED[variant]: the mean (or, where the book reports the best
of several runs, the best) within ``within`` points of the book, and every seed inside
``seed_band``. The bands' provenance is written beside them in the experiment files.
"""

import pytest

from repro.run import load_experiment
from tests.test_experiments import WITH_BOOK_NUMBER, run_once

SEEDS = (0, 1, 2)


@pytest.mark.full
@pytest.mark.parametrize("name, variant", WITH_BOOK_NUMBER)
def test_book_configuration_over_three_seeds(name, variant, mnist, tmp_path):
    experiment = load_experiment(name)
    cfg, expected = experiment.VARIANTS[variant], experiment.EXPECTED[variant]
    peaks = [run_once(name, variant, cfg, mnist, tmp_path, seed)["peak"]["accuracy"] for seed in SEEDS]
    assert not expected.band_failures(peaks), (peaks, expected.band_failures(peaks))
