"""What is read back from a run folder, checked before anything uses it (README, "Run records you can trust").

results.json must have a run's shape; a checkpoint must carry its digest, match it, and hold its
history. config.json is checked against its experiment's config, as the CLI checks options, by
``repro.runs.check_run``, the one check ``--resume`` and ``--evaluate`` make before opening a folder.
"""

import json
import math
from pathlib import Path

import torch

from repro.records import RunFolderError, digest


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


def network_state(checkpoint):
    """Return the network's state_dict from a checkpoint; those written before it was an nn.Module held lists."""
    if "network" in checkpoint:
        return checkpoint["network"]
    return {f"layers.{l}.{name}": tensor for name, tensors in (("weight", checkpoint["weights"]),
                                                                ("bias", checkpoint["biases"]))
            for l, tensor in enumerate(tensors)}
