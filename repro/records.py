"""A run folder's files, written so that nothing is ever half-written or silently wrong.

config.json, results.json and checkpoint.pt are written to a ``.partial`` file and renamed;
JSON is strict (no NaN or Infinity: they become null); a checkpoint carries a sha256 of its
contents, checked before it is used. A new run folder is created exclusively (a unique suffix
after the time), and a lock held while its process lives keeps a second process out.
"""

import fcntl
import hashlib
import json
import math
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path

import torch
from tensorboard.summary.writer.event_file_writer import _AsyncWriterThread


class RunFolderError(Exception):
    """A run folder that cannot be used (damaged, locked, unwritable): one line to stderr, exit 1."""


class Unwritable(RunFolderError):
    """A file of a run folder that cannot be written (disk full, read-only, a path in the way, the folder gone)."""

    def __init__(self, error, run_dir, unnamed=None):
        """``unnamed``: the file meant where error names none (a full disk says no file)."""
        self.path, self.reason = os.fsdecode(error.filename) if error.filename else str(unnamed or run_dir), error.strerror
        super().__init__(f"cannot write {self.path}: {self.reason or error}; {run_dir} is as it was: once it can be "
                         f"written (space, permissions, nothing in the way), python -m repro.run --resume {run_dir}")


def quiet_writer_threads():
    """Set threading.excepthook to leave out TensorBoard's writer threads' OSErrors (once; other threads as before).

    Such a thread keeps its exception and raises it again in the run at its next write, where it is
    said in one line (repro/run.py); printed here too, it would be a traceback beside that line.
    """
    hook = threading.excepthook
    if getattr(hook, "quiet_writer_threads", False):
        return

    def excepthook(args):
        if not (isinstance(args.thread, _AsyncWriterThread) and issubclass(args.exc_type, OSError)):
            hook(args)
    excepthook.quiet_writer_threads = True
    threading.excepthook = excepthook


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


def read_json(path):
    """Return a run folder's JSON file, or raise RunFolderError naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path} cannot be read ({type(error).__name__}: {error}); "
                             "the run folder is damaged") from None


STATUSES = ("running", "interrupted", "finished", "diverged")


def read_results(run_dir):
    """Return a run's results.json ({} before its first epoch), or raise RunFolderError naming one of the wrong shape.

    ``--resume`` decides on its status and epochs: finished, diverged (at its last epoch) or to go on.
    """
    path = Path(run_dir) / "results.json"
    if not path.exists():
        return {}
    results = read_json(path)
    if not isinstance(results, dict):
        problem = f"expected an object, got {json.dumps(results)[:40]}"
    elif results.get("status") not in STATUSES or not isinstance(results.get("finished"), bool):
        problem = f"status must be one of {', '.join(STATUSES)} and finished true or false"
    elif not (isinstance(results.get("epochs"), list) and all(isinstance(row, dict) for row in results["epochs"])):
        problem = "epochs must be a list of objects"
    elif results["status"] == "diverged" and not isinstance((results["epochs"] or [{}])[-1].get("epoch"), int):
        problem = "a diverged run must end with the epoch it diverged at"
    else:
        return results
    raise RunFolderError(f"{path} is not a run's results ({problem}); the run folder is left as it was: "
                         "restore the file or train the run again")


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


def load_checkpoint(path):
    """Return a checkpoint whose digest matches its contents, or raise RunFolderError naming the file.

    The digest is required: a checkpoint without one (edited by hand, or not this suite's) could hold
    anything, and would be trained on in silence. So is the history, which says where a run resumes.
    """
    try:
        checkpoint = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:  # truncated or foreign: zip, pickle and key errors alike
        raise RunFolderError(f"{path} is damaged ({type(error).__name__}); resume from an intact copy "
                             "or train the run again") from None
    if problem := checkpoint_problem(checkpoint):
        raise RunFolderError(f"{path} {problem}; the run folder is left as it was: resume from an intact copy "
                             "or train the run again")
    return checkpoint


def checkpoint_problem(checkpoint):
    """Return what makes a loaded checkpoint unusable (its digest popped once checked), or None."""
    if not isinstance(checkpoint, dict):
        return f"is not a checkpoint of this suite (it holds a {type(checkpoint).__name__}, not a dict)"
    stored = checkpoint.pop("sha256", None)
    if stored is None:
        return "has no digest (sha256), so nothing shows that its contents are the ones written"
    if stored != digest(checkpoint):
        return "does not match its digest: its contents were changed or damaged"
    history, wall_time = checkpoint.get("history"), checkpoint.get("wall_time_s")
    if not (isinstance(history, list) and all(isinstance(row, dict) for row in history)):
        return "lacks its history (a list of the epochs it trained)"
    if isinstance(wall_time, bool) or not isinstance(wall_time, (int, float)) or not math.isfinite(wall_time):
        return "lacks its wall time (wall_time_s, a number)"
    return None


def git_commit():
    """Return the commit the code runs from, or None outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def network_state(checkpoint):
    """Return the network's state_dict from a checkpoint; those written before it was an nn.Module held lists."""
    if "network" in checkpoint:
        return checkpoint["network"]
    return {f"layers.{l}.{name}": tensor for name, tensors in (("weight", checkpoint["weights"]),
                                                                ("bias", checkpoint["biases"]))
            for l, tensor in enumerate(tensors)}


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
