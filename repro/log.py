"""One run's record: TensorBoard events, config.json, results.json and a checkpoint.

A run lives in ``logs/<experiment>/<variant>__seed<k>__<time>/``. The TensorBoard tag
set is fixed (README, "TensorBoard tags"):

    accuracy/<split>   percent correct after each epoch; split = train, validation or test
    cost/<split>       network2's total_cost (mean cost + L2 term) after each epoch
    weights/layer<l>, biases/layer<l>   histograms of the parameters after each epoch
    filters/layer1     (Ch.6) the first conv layer's 5×5 kernels as one image, darker = larger

plus the hyper-parameters (HParams dashboard, and a table under Text). Tests,
plots and the report read results.json, never the console.

Nothing is half-written: config.json, results.json and checkpoint.pt are written to a
``.partial`` file and renamed, JSON is strict (no NaN or Infinity: they become null),
and the checkpoint carries a digest of its contents, checked before it is used. A run
folder is created exclusively (a unique suffix after the time) and locked while its
process lives, so no two processes write one folder.
"""

import dataclasses
import fcntl
import hashlib
import json
import math
import secrets
import subprocess
import time
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

SCALAR_PREFIXES = ("accuracy/", "cost/", "speed/")
SPLITS = ("train", "validation", "test")
HPARAM_METRICS = [f"hparams/{kind}/{split}" for kind in ("peak_accuracy", "final_accuracy", "final_cost")
                  for split in SPLITS]  # the HParams dashboard's columns, the same for every run


class RunFolderError(Exception):
    """A run folder that cannot be used (damaged, locked, unwritable): one line to stderr, exit 1."""


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
    """Write path through a .partial file and a rename: a kill mid-write leaves the old file whole."""
    partial = path.with_name(path.name + ".partial")
    write(partial)
    partial.replace(path)


def write_json(path, value):
    write_atomically(path, lambda partial: partial.write_text(json.dumps(strict(value), indent=2, allow_nan=False)))


def read_json(path):
    """Return a run folder's JSON file, or raise RunFolderError naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path} cannot be read ({type(error).__name__}: {error}); "
                             "the run folder is damaged") from None


def digest(value):
    """Return a sha256 of a checkpoint's contents: tensors by dtype, shape and bytes, the rest as JSON."""
    hasher = hashlib.sha256()

    def feed(item):
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().contiguous()
            hasher.update(f"{item.dtype}{tuple(item.shape)}".encode())
            hasher.update(item.view(torch.uint8).numpy().tobytes() if item.numel() else b"")
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
    """Return a checkpoint whose digest matches its contents, or raise RunFolderError naming the file."""
    try:
        checkpoint = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:  # truncated or foreign: zip, pickle and key errors alike
        raise RunFolderError(f"{path} is damaged ({type(error).__name__}); resume from an intact copy "
                             "or train the run again") from None
    stored = checkpoint.pop("sha256", None) if isinstance(checkpoint, dict) else None
    if stored is not None and stored != digest(checkpoint):
        raise RunFolderError(f"{path} does not match its digest: its contents were changed or damaged; "
                             "train the run again")
    return checkpoint


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


def flatten(config):
    """Return config with tuples as text: the HParams dashboard takes numbers, text and booleans."""
    return {key: str(tuple(value)) if isinstance(value, (list, tuple)) else value for key, value in config.items()}


def hparam_schema():
    """Return every config field of every experiment, with a value of its type: one HParams schema for all runs."""
    from repro.runs import experiment_names, load_experiment  # experiments import this module

    schema = {"experiment": "", "variant": "", "seed": 0}
    for name in experiment_names():
        for config in load_experiment(name).VARIANTS.values():
            schema |= {key: value for key, value in flatten(dataclasses.asdict(config)).items() if key not in schema}
    return schema


class RunLog:
    """Writes what one (experiment, variant, seed) run measures, as it measures it."""

    def __init__(self, experiment, variant, seed, config, logdir="logs", run_dir=None, recipe=None):
        """Open run_dir (a resumed run, or a child of this run), or create a new, unique folder under logdir."""
        self.experiment, self.variant, self.seed, self.config = experiment, variant, seed, config
        self.recipe = recipe or {"threads": torch.get_num_threads(), "torch": torch.__version__, "dtype": "float32"}
        self.run_dir = Path(run_dir) if run_dir else new_run_dir(Path(logdir) / experiment, f"{variant}__seed{seed}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.lock = lock(self.run_dir)
        self.history, self.wall_time_before = [], 0.0
        self.extra = {}  # anything else an experiment wants in results.json
        self.checkpoint_path = self.run_dir / "checkpoint.pt"
        if self.checkpoint_path.exists():  # resuming: drop events written after the last checkpoint
            checkpoint = load_checkpoint(self.checkpoint_path)
            self.history, self.wall_time_before = checkpoint["history"], checkpoint["wall_time_s"]
        self.writer = SummaryWriter(self.run_dir, purge_step=len(self.history) or None)
        self.started, self.commit = time.time(), git_commit()
        if not self.history:
            self._write_config()

    @classmethod
    def reopen(cls, run_dir):
        """Return the log of an interrupted run, to resume it where its last checkpoint left off."""
        saved = read_json(Path(run_dir) / "config.json")
        return cls(saved["experiment"], saved["variant"], saved["seed"], saved["config"], run_dir=run_dir,
                   recipe=saved.get("recipe"))

    def _write_config(self):
        record = {"experiment": self.experiment, "variant": self.variant, "seed": self.seed, "config": self.config,
                  "recipe": self.recipe}
        write_json(self.run_dir / "config.json", record)
        flat = flatten(self.config | {"experiment": self.experiment, "variant": self.variant, "seed": self.seed})
        metrics = dict.fromkeys(HPARAM_METRICS, 0.0)
        schema, _, _ = hparams(hparam_schema(), metrics)  # every run writes the same columns
        _, start, end = hparams(flat, metrics)
        for summary in (schema, start, end):
            self.writer.file_writer.add_summary(summary)
        table = "| hyper-parameter | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in flat.items())
        self.writer.add_text("config", table)

    def child(self, name, config):
        """Return the log of a second network trained in the same run (say, the other initialisation).

        It lives in a sub-folder, so TensorBoard draws its curves on the same charts as
        this run's, each chart with one line per network.
        """
        return RunLog(self.experiment, self.variant, self.seed, config, run_dir=self.run_dir / name,
                      recipe=self.recipe)

    def figure(self, name, figure):
        """Save a matplotlib figure as <name>.png in the run folder and log it to TensorBoard."""
        figure.savefig(self.run_dir / f"{name}.png", dpi=120, bbox_inches="tight")
        self.writer.add_figure(name, figure, close=True)

    def resume(self, network, generator, optimizer=None):
        """Load the checkpoint into network, generator and optimizer if there is one; return the next epoch."""
        if not self.checkpoint_path.exists():
            return 0
        checkpoint = load_checkpoint(self.checkpoint_path)
        network.load_state_dict(network_state(checkpoint))
        if optimizer is not None and checkpoint.get("optimizer"):
            optimizer.load_state_dict(checkpoint["optimizer"])
        generator.set_state(checkpoint["generator"])
        print(f"Resuming {self.run_dir} after epoch {len(self.history) - 1}")
        return len(self.history)

    def epoch(self, epoch, metrics, network, generator=None, optimizer=None, images=None):
        """Record one epoch's metrics, parameter histograms, images ({tag: (3, H, W)}) and a checkpoint."""
        for tag, image in (images or {}).items():
            self.writer.add_image(tag, image, epoch)
        for tag, value in metrics.items():
            if tag.startswith(SCALAR_PREFIXES):
                self.writer.add_scalar(tag, value, epoch)
        for l, (w, b) in enumerate(zip(network.weights, network.biases), start=1):
            for tag, values in ((f"weights/layer{l}", w), (f"biases/layer{l}", b)):
                if torch.isfinite(values).all():  # TensorBoard's histogram cannot bin NaN or ±inf
                    self.writer.add_histogram(tag, values, epoch)
        self.history.append({"epoch": epoch, **metrics})
        for tag, value in self.hparam_metrics().items():
            self.writer.add_scalar(tag, value, epoch)
        self.writer.flush()
        self._save_checkpoint(network, generator, optimizer)
        self.write_results(finished=False)

    def _save_checkpoint(self, network, generator, optimizer):
        """Write the network's state_dict (on the CPU), the optimizer's and the generator's state, atomically."""
        checkpoint = {"history": self.history, "wall_time_s": self.wall_time,
                      "network": {key: value.cpu() for key, value in network.state_dict().items()},
                      "optimizer": optimizer.state_dict() if optimizer is not None else {},
                      "generator": generator.get_state() if generator is not None else torch.empty(0)}
        checkpoint["sha256"] = digest(checkpoint)  # checked before the checkpoint is used
        write_atomically(self.checkpoint_path, lambda partial: torch.save(checkpoint, partial))

    @property
    def wall_time(self):
        return self.wall_time_before + time.time() - self.started

    def hparam_metrics(self):
        """Return the HParams columns so far: peak and final accuracy of each split measured, final cost."""
        values = {}
        for split in SPLITS:
            if any(f"accuracy/{split}" in row for row in self.history):
                values[f"hparams/peak_accuracy/{split}"] = self.summary(split)["peak"]["accuracy"]
                measured = [row[f"accuracy/{split}"] for row in self.history if f"accuracy/{split}" in row]
                values[f"hparams/final_accuracy/{split}"] = measured[-1]
            if f"cost/{split}" in self.history[-1]:
                values[f"hparams/final_cost/{split}"] = self.history[-1][f"cost/{split}"]
        return {tag: value for tag, value in values.items() if value is not None and math.isfinite(value)}

    def summary(self, split):
        """Return the peak and final accuracy on split, with the epochs they happened at.

        With ``select_on`` in the config (network3, Ch.6: "validation") the "peak" is
        instead the split's accuracy at the epoch of the best select_on accuracy, the later
        of ties: the number chapter 6 reports. network3 measures test accuracy only at
        such epochs, so other rows may lack it ("final" is then None).
        """
        accuracies = [row.get(f"accuracy/{split}") for row in self.history]
        if select_on := self.config.get("select_on"):
            scores = [row[f"accuracy/{select_on}"] for row in self.history]
            best = max(range(len(scores)), key=lambda epoch: (scores[epoch], epoch))
        else:
            best = max(range(len(accuracies)), key=accuracies.__getitem__)  # the first epoch that reaches the peak
        return {"peak": {"epoch": best, "accuracy": accuracies[best]},
                "final": {"epoch": len(accuracies) - 1, "accuracy": accuracies[-1]}}

    def diverged(self, epoch, metrics):
        """Record the epoch at which the run stopped being finite; the last checkpoint stays the last good one."""
        self.history.append({"epoch": epoch, **metrics})
        self.write_results(finished=False, status="diverged")
        self.writer.close()
        self.lock.close()

    def write_results(self, finished=True, status=None, **extra):
        """Write results.json: the per-epoch metrics, their peak and final, and how they were made."""
        split = self.config.get("evaluation", "test")
        results = {
            "experiment": self.experiment, "variant": self.variant, "seed": self.seed, "config": self.config,
            "finished": finished, "status": status or ("finished" if finished else "running"), "evaluation": split,
            **(self.summary(split) if self.history and f"accuracy/{split}" in self.history[0] else {}),
            "epochs": self.history, "wall_time_s": round(self.wall_time, 2), "torch": torch.__version__,
            "device": self.config.get("device", "cpu"), "recipe": self.recipe, "git_commit": self.commit,
            **self.extra, **extra,
        }
        write_json(self.run_dir / "results.json", results)
        return strict(results)

    def close(self, **extra):
        """Mark the run finished; return what results.json holds."""
        results = self.write_results(finished=True, **extra)
        self.writer.close()
        self.lock.close()
        return results
