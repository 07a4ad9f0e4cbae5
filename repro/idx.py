"""torchvision's MNIST files (idx format), read only once they prove to be the official 60,000 + 10,000 images.

``--data DIR`` (or ``data/``, where ``--download`` puts them) holds DIR/MNIST/raw/ as torchvision
lays it out. Each file's header must give the official sizes, and the bytes of all four the sha256
of the book's split: a subset, an empty split or other images are refused before any run folder
exists (they once trained in silence, or failed with a traceback).
"""

import hashlib
import math

import torch

from repro.data import HOW_TO_GET_MNIST, MNIST, N_TRAINING, DataError, Split, checked

IDX_FILES = (("train-images-idx3-ubyte", (60_000, 28, 28)), ("train-labels-idx1-ubyte", (60_000,)),
             ("t10k-images-idx3-ubyte", (10_000, 28, 28)), ("t10k-labels-idx1-ubyte", (10_000,)))
OFFICIAL_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"  # IDX_FILES' bytes less headers:
# the book's split byte for byte (mnist.pkl.gz's pixels × 256, training then validation, then test)


def from_torchvision(root, download):
    """Return the book's split built from torchvision's MNIST files under root, once they prove official.

    DEVIATION(book): a different source file. The pixels are scaled byte/256 and the
    validation set is the last 10,000 official training images, as in mnist.pkl.gz.
    """
    raw = root / "MNIST" / "raw"  # where torchvision keeps the four idx files
    if download and not all((raw / name).is_file() for name, _ in IDX_FILES):
        _download(root)
    for name, _ in IDX_FILES:
        if not (raw / name).is_file():
            raise DataError(f"{raw / name} does not exist; {HOW_TO_GET_MNIST}")
    files = [read_idx(raw / name, shape) for name, shape in IDX_FILES]
    if (actual := _bytes_sha256(files)) != OFFICIAL_SHA256:  # the counts are right: is every pixel?
        raise DataError(f"{raw} holds 60,000 + 10,000 images, but not the official MNIST (sha256 of their bytes "
                        f"{actual}, expected {OFFICIAL_SHA256}): delete them and {HOW_TO_GET_MNIST}")
    train_images, train_labels, test_images, test_labels = files
    as_split = lambda images, labels: Split(images.reshape(-1, 784).to(torch.float32) / 256, labels.long())
    return checked(MNIST(as_split(train_images[:N_TRAINING], train_labels[:N_TRAINING]),
                         as_split(train_images[N_TRAINING:], train_labels[N_TRAINING:]),
                         as_split(test_images, test_labels),
                         f"torchvision's MNIST files in {raw} (sha256 of their bytes {OFFICIAL_SHA256})"), raw)


def _download(root):
    """Fetch torchvision's MNIST files into root/MNIST/raw (torchvision checks each download's md5)."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    try:
        for train in (True, False):
            TorchvisionMNIST(root, train=train, download=True)
    except (RuntimeError, OSError) as error:  # no internet; a download whose md5 differs
        raise DataError(f"cannot download MNIST into {root} ({' '.join(str(error).split())}); "
                        f"{HOW_TO_GET_MNIST}") from None


def read_idx(path, shape):
    """Return an idx file's bytes as a uint8 tensor of the official file's shape, or raise DataError naming it.

    The idx format: 0, 0, 8 (unsigned bytes) and the rank, then each size as a big-endian
    int32, then the bytes. Another shape is another data set (a subset, an empty split).
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path} cannot be read ({error.strerror}); {HOW_TO_GET_MNIST}") from None
    header, magic = 4 * (1 + len(shape)), bytes((0, 0, 8, len(shape)))
    sizes = tuple(int.from_bytes(data[k:k + 4], "big") for k in range(4, header, 4))
    if data[:4] != magic or sizes != shape or len(data) != header + math.prod(shape):
        found = f"sizes {sizes}, {len(data) - header} bytes" if data[:4] == magic else "no idx header of bytes"
        raise DataError(f"{path} is not the official MNIST file ({found}; expected sizes {shape}): "
                        f"delete it and {HOW_TO_GET_MNIST}")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=header).reshape(shape)


def _bytes_sha256(tensors):
    """Return the sha256 of uint8 tensors' bytes, one after another (the idx files less their headers)."""
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()
