"""What one GPU command leaves for the next: its unfinished run folders, in parts a device can send back.

A lent GPU runs one command for at most 10 minutes, and a chapter-6 rung of 1,500,000 steps
can take longer (scripts/chap6_ladder.py). So a command that stops before a pack of runs has
finished checkpoints its run folders (repro/log.py) and writes them here, as one tar cut into
parts of at most 15 MiB (the device tool sends back no file over 16 MiB), with an index
written last: the index names the parts and their sha256, so a part missing, cut short or from
another command is found before anything is trained on it. The next command is given the folder
(the device tool's ``carry``) and goes on from the checkpoints.

    DIR/chap6_ladder_state.json       {"parts": [...], "sha256": ..., "bytes": ...}: written last
    DIR/chap6_ladder_state.tar.00 …   the tar of manifest.json and the run folders, in order
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

from repro.records import write_atomically

NAME = "chap6_ladder_state"
PART_BYTES = 15 * 2 ** 20  # the device tool sends back files of at most 16 MiB


class StateDamaged(Exception):
    """A state folder whose index, parts or tar cannot be used: one line naming the file."""


def write(folder, manifest, run_dirs, root):
    """Write ``manifest`` (JSON) and the run folders ``run_dirs`` (paths under ``root``) into ``folder``, in parts.

    Parts of an earlier state in ``folder`` beyond the new ones are removed after the index is written.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:  # not gzip: float32 weights barely compress
        content = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
        for run_dir in run_dirs:
            for path in sorted(Path(run_dir).rglob("*")):
                if path.is_file() and path.name != ".lock":
                    tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    data = buffer.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    parts = [f"{NAME}.tar.{k:02d}" for k in range(max(1, -(-len(data) // PART_BYTES)))]
    for k, part in enumerate(parts):
        chunk = data[k * PART_BYTES:(k + 1) * PART_BYTES]
        write_atomically(folder / part, lambda partial: partial.write_bytes(chunk))
    index = {"parts": parts, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    write_atomically(folder / f"{NAME}.json", lambda partial: partial.write_text(json.dumps(index, indent=2)))
    for stale in set(path.name for path in folder.glob(f"{NAME}.tar.*")) - set(parts):
        (folder / stale).unlink()
    return len(data)


def checked(folder):
    """Return the tar of the state in ``folder``, its parts checked against their index (None if it has no index).

    Raise StateDamaged, naming the file, where the index or a part cannot be read or does not match.
    """
    index_path = Path(folder) / f"{NAME}.json"
    if not index_path.exists():  # none written, or its command was cut off before the index
        return None
    try:
        index = json.loads(index_path.read_text())
        data = b"".join((Path(folder) / part).read_bytes() for part in index["parts"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateDamaged(f"{getattr(error, 'filename', None) or index_path} cannot be read "
                           f"({type(error).__name__})") from None
    if len(data) != index["bytes"] or hashlib.sha256(data).hexdigest() != index["sha256"]:
        raise StateDamaged(f"{folder}/{NAME}.tar.*: the parts are not the ones {index_path} names "
                           "(missing, cut short or from another command)")
    return data


def read(folder, root):
    """Return the manifest of the state in ``folder`` (None if there is none), its run folders unpacked under ``root``.

    Raise StateDamaged, naming the file, where the index, a part or the tar cannot be used.
    """
    if (data := checked(folder)) is None:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            tar.extractall(root, members=[m for m in tar.getmembers() if m.name != "manifest.json"],
                           filter="data")
    except (tarfile.TarError, KeyError, ValueError) as error:
        raise StateDamaged(f"{folder}/{NAME}.tar.* is not a state of this script ({type(error).__name__})") from None
    return manifest
