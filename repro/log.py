"""One run's record: TensorBoard events, config.json, results.json and a checkpoint.

A run lives in ``logs/<experiment>/<variant>__seed<k>__<time>/``. The TensorBoard tag
set is fixed (README, "TensorBoard tags"):

    accuracy/<split>   percent correct after each epoch; split = train, validation or test
    cost/<split>       network2's total_cost (mean cost + L2 term) after each epoch
    weights/layer<l>, biases/layer<l>   histograms of the parameters after each epoch
    filters/layer1     (Ch.6) the first conv layer's 5×5 kernels as one image, darker = larger

plus the hyper-parameters (HParams dashboard, and a table under Text). Tests,
plots and the report read results.json, never the console.
"""

import json
import subprocess
import time
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

SCALAR_PREFIXES = ("accuracy/", "cost/")


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


class RunLog:
    """Writes what one (experiment, variant, seed) run measures, as it measures it."""

    def __init__(self, experiment, variant, seed, config, logdir="logs", run_dir=None):
        self.experiment, self.variant, self.seed, self.config = experiment, variant, seed, config
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.run_dir = Path(run_dir or Path(logdir) / experiment / f"{variant}__seed{seed}__{stamp}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.history, self.wall_time_before = [], 0.0
        self.extra = {}  # anything else an experiment wants in results.json
        self.checkpoint_path = self.run_dir / "checkpoint.pt"
        if self.checkpoint_path.exists():  # resuming: drop events written after the last checkpoint
            checkpoint = torch.load(self.checkpoint_path, weights_only=True)
            self.history, self.wall_time_before = checkpoint["history"], checkpoint["wall_time_s"]
        self.writer = SummaryWriter(self.run_dir, purge_step=len(self.history) or None)
        self.started, self.commit = time.time(), git_commit()
        if not self.history:
            self._write_config()

    @classmethod
    def reopen(cls, run_dir):
        """Return the log of an interrupted run, to resume it where its last checkpoint left off."""
        saved = json.loads((Path(run_dir) / "config.json").read_text())
        return cls(saved["experiment"], saved["variant"], saved["seed"], saved["config"], run_dir=run_dir)

    def _write_config(self):
        record = {"experiment": self.experiment, "variant": self.variant, "seed": self.seed, "config": self.config}
        (self.run_dir / "config.json").write_text(json.dumps(record, indent=2))
        flat = {key: str(value) if isinstance(value, (list, tuple)) else value for key, value in self.config.items()}
        evaluation = self.config.get("evaluation", "test")
        for summary in hparams(flat | {"seed": self.seed}, {f"accuracy/{evaluation}": 0.0}):
            self.writer.file_writer.add_summary(summary)
        table = "| hyper-parameter | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in flat.items())
        self.writer.add_text("config", table)

    def child(self, name, config):
        """Return the log of a second network trained in the same run (say, the other initialisation).

        It lives in a sub-folder, so TensorBoard draws its curves on the same charts as
        this run's, each chart with one line per network.
        """
        return RunLog(self.experiment, self.variant, self.seed, config, run_dir=self.run_dir / name)

    def figure(self, name, figure):
        """Save a matplotlib figure as <name>.png in the run folder and log it to TensorBoard."""
        figure.savefig(self.run_dir / f"{name}.png", dpi=120, bbox_inches="tight")
        self.writer.add_figure(name, figure, close=True)

    def resume(self, network, generator, optimizer=None):
        """Load the checkpoint into network, generator and optimizer if there is one; return the next epoch."""
        if not self.checkpoint_path.exists():
            return 0
        checkpoint = torch.load(self.checkpoint_path, weights_only=True)
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
            self.writer.add_histogram(f"weights/layer{l}", w, epoch)
            self.writer.add_histogram(f"biases/layer{l}", b, epoch)
        self.writer.flush()
        self.history.append({"epoch": epoch, **metrics})
        self._save_checkpoint(network, generator, optimizer)
        self.write_results(finished=False)

    def _save_checkpoint(self, network, generator, optimizer):
        """Write the network's state_dict (on the CPU), the optimizer's and the generator's state, atomically."""
        checkpoint = {"history": self.history, "wall_time_s": self.wall_time,
                      "network": {key: value.cpu() for key, value in network.state_dict().items()},
                      "optimizer": optimizer.state_dict() if optimizer is not None else {},
                      "generator": generator.get_state() if generator is not None else torch.empty(0)}
        partial = self.checkpoint_path.with_suffix(".partial")
        torch.save(checkpoint, partial)
        partial.replace(self.checkpoint_path)  # atomic: a run killed mid-write keeps the last one

    @property
    def wall_time(self):
        return self.wall_time_before + time.time() - self.started

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

    def write_results(self, finished=True, **extra):
        """Write results.json: the per-epoch metrics, their peak and final, and how they were made."""
        split = self.config.get("evaluation", "test")
        results = {
            "experiment": self.experiment, "variant": self.variant, "seed": self.seed, "config": self.config,
            "finished": finished, "evaluation": split,
            **(self.summary(split) if self.history and f"accuracy/{split}" in self.history[0] else {}),
            "epochs": self.history, "wall_time_s": round(self.wall_time, 2), "torch": torch.__version__,
            "device": self.config.get("device", "cpu"), "git_commit": self.commit, **self.extra, **extra,
        }
        (self.run_dir / "results.json").write_text(json.dumps(results, indent=2))
        return results

    def close(self, **extra):
        """Mark the run finished; return what results.json holds."""
        results = self.write_results(finished=True, **extra)
        self.writer.close()
        return results
