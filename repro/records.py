"""A run folder's files, written so that nothing is ever half-written or silently wrong.

config.json, results.json and checkpoint.pt are written to a ``.partial`` file and renamed;
JSON is strict (no NaN or Infinity: they become null); a checkpoint carries a sha256 of its
contents, checked before it is used (repro/readback.py reads every file back). A new run folder
is created exclusively (a unique suffix after the time), and a lock held while its process lives
keeps a second process out.
"""

import fcntl
import hashlib
import json
import math
import os
import secrets
import subprocess
import time
from pathlib import Path

import torch


class RunFolderError(Exception):
    """A run folder that cannot be used (damaged, locked, unwritable): one line to stderr, exit 1."""


class Unwritable(RunFolderError):
    """A file of a run folder that cannot be written (disk full, read-only, a path in the way, the folder gone)."""

    def __init__(self, error, run_dir, unnamed=None):
        """``unnamed``: the file meant where error names none (a full disk says no file)."""
        self.path, self.reason = os.fsdecode(error.filename) if error.filename else str(unnamed or run_dir), error.strerror
        super().__init__(f"cannot write {self.path}: {self.reason or error}; {run_dir} is as it was: once it can be "
                         f"written (space, permissions, nothing in the way), python -m repro.run --resume {run_dir}")


def strict(value):
    """Return value with every non-finite float replaced by None, so json.dumps(allow_nan=False) accepts it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value


def write_atomically(path, write):
    """Write path through a .partial file and a rename: a kill mid-write leaves the old file whole.

    A write that fails (disk full, a path in the way, the folder gone) raises OSError naming the .partial file.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        write(partial)
        partial.replace(path)
    except OSError as error:
        if error.filename is not None:
            raise
        raise OSError(error.errno, error.strerror, str(partial)) from None  # a full disk says no file


def save(checkpoint, path):
    """torch.save through a Python file, so a failed write is the OSError it is (torch's own file is a RuntimeError)."""
    with open(path, "wb") as file:
        torch.save(checkpoint, file)


def write_json(path, value):
    """Write value as strict JSON (``strict`` it first if it may hold NaN or ±inf)."""
    write_atomically(path, lambda partial: partial.write_text(json.dumps(value, indent=2, allow_nan=False)))


def digest(value):
    """Return a sha256 of a checkpoint's contents: tensors by dtype, shape and bytes, the rest as JSON."""
    hasher = hashlib.sha256()

    def feed(item):
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().contiguous()
            hasher.update(f"{item.dtype}{tuple(item.shape)}".encode())
            flat = item.reshape(-1)  # the same bytes; a 0-d tensor (Adam's step) cannot be viewed as bytes
            hasher.update(flat.view(torch.uint8).numpy().tobytes() if item.numel() else b"")
        elif isinstance(item, dict):
            for key in sorted(item, key=str):
                hasher.update(str(key).encode())
                feed(item[key])
        elif isinstance(item, (list, tuple)):
            for element in item:
                feed(element)
        else:
            hasher.update(json.dumps(item).encode())

    feed(value)
    return hasher.hexdigest()


def git_commit():
    """Return the commit the code runs from, or None outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def new_run_dir(parent, prefix):
    """Return a new folder parent/<prefix>__<time>-<suffix>, created here and nowhere else (exclusively)."""
    for _ in range(100):
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
        run_dir = parent / f"{prefix}__{stamp}-{secrets.token_hex(2)}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            run_dir.mkdir()  # fails if another process made the same name: then draw another suffix
            return run_dir
        except FileExistsError:
            continue
    raise RunFolderError(f"could not create a new run folder under {parent}")


def lock(run_dir):
    """Hold an exclusive lock on run_dir until this process ends (the OS releases it if the process dies)."""
    handle = open(run_dir / ".lock", "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunFolderError(f"{run_dir} is in use by another process (it holds {run_dir / '.lock'}); "
                             "wait for it to end") from None
    return handle
