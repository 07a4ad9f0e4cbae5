"""One run's record: TensorBoard events, config.json, results.json and a checkpoint.

A run lives in ``logs/<experiment>/<variant>__seed<k>__<time>/``. Its TensorBoard tags are few and
fixed (``SCALAR_PREFIXES``, each documented in the README, "TensorBoard tags"), plus parameter
histograms, the book's figures and the hyper-parameters (HParams, one schema for every experiment):
a metric of any other name is an error, never dropped in silence. Tests, plots and the report read
results.json, never the console. How the files are written (atomically, strict JSON, a digest) is
repro/records.py's; how they are checked when read back, repro/readback.py's.
"""

import contextlib
import shutil
import time
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter

from repro.hparams import chart_hparam_metrics, write_hparams
from repro.readback import load_checkpoint, network_state, read_json
from repro.records import (RunFolderError, Unwritable, digest, git_commit, lock, new_run_dir, save, strict,
                           write_atomically, write_json)
from repro.stops import quiet_writer_threads

SCALAR_PREFIXES = ("accuracy/", "cost/", "speed/", "eta", "svm/", "deviation/", "output",
                   "train_size")  # charted in TensorBoard (README, "TensorBoard tags")
COUNTS = ("correct/", "digits/")  # results.json only: the accuracy/ charts show the same numbers as percentages


class RunLog:
    """Writes what one (experiment, variant, seed) run measures, as it measures it."""

    def __init__(self, experiment, variant, seed, config, run_dir, recipe=None):
        """Open run_dir: a new run's (``RunLog.new``), a resumed run's, or a child of this run's."""
        self.experiment, self.variant, self.seed, self.config = experiment, variant, seed, config
        self.recipe = {"threads": torch.get_num_threads(), "torch": torch.__version__, "dtype": "float32"} | (recipe or {})
        self.run_dir = Path(run_dir)
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.lock = lock(self.run_dir)
        except OSError as error:  # read-only, a path in the way (.lock a folder), a full disk
            raise Unwritable(error, self.run_dir) from None
        self.history, self.wall_time_before, self.status = [], 0.0, "running"
        self.extra = {}  # anything else an experiment wants in results.json
        self.checkpoint_path = self.run_dir / "checkpoint.pt"
        if self.checkpoint_path.exists():  # resuming: drop events written after the last checkpoint
            checkpoint = load_checkpoint(self.checkpoint_path)
            self.history, self.wall_time_before = checkpoint["history"], checkpoint["wall_time_s"]
        self.started, self.commit = time.time(), git_commit()
        self._open_writer()

    @classmethod
    def new(cls, experiment, variant, seed, config, logdir="logs", recipe=None):
        """Return the log of a new run, in a new folder of its own under ``logdir/<experiment>/`` (repro/records.py);
        one that cannot start leaves no folder (RunFolderError names the file that could not be written)."""
        try:
            run_dir = new_run_dir(Path(logdir) / experiment, f"{variant}__seed{seed}")
        except OSError as error:  # the log folder itself: a file in its place, no permission, a full disk
            failed = Unwritable(error, logdir)
        else:
            try:
                return cls(experiment, variant, seed, config, run_dir, recipe)
            except Unwritable as error:
                shutil.rmtree(run_dir, ignore_errors=True)  # made a moment ago by this process: nothing else is in it
                failed = error
        raise RunFolderError(f"cannot write a run folder under {logdir}: {failed.reason} ({failed.path}); "
                             "no folder was left: make room or clear the path, then run again")

    def _open_writer(self):
        """Open the events file and, for a run with no epoch yet, write config.json; raise Unwritable naming the
        file that cannot be written, what was opened closed (so that a new run's folder can be removed whole)."""
        quiet_writer_threads()
        self.writer, before = None, set(self.run_dir.glob("events.out.tfevents.*"))
        try:
            self.writer = SummaryWriter(self.run_dir, purge_step=len(self.history) or None)  # writes at once
            if not self.history:
                self._write_config()
        except OSError as error:  # a full disk, a read-only folder
            events = self.run_dir / "events.out.tfevents.*" if self.writer is None else None
            self.discard(remove=False)
            for made in set(self.run_dir.glob("events.out.tfevents.*")) - before:  # a resumed folder stays as it was
                with contextlib.suppress(OSError):
                    made.unlink()
            raise Unwritable(error, self.run_dir, events) from None

    def discard(self, remove=True):
        """Close the run's files (it finished or diverged); ``remove``: delete its folder too (it could not start)."""
        if self.writer is not None:
            self.writer.close()
        self.lock.close()
        if remove:
            shutil.rmtree(self.run_dir, ignore_errors=True)

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
        write_hparams(self.writer, self.config | {"experiment": self.experiment, "variant": self.variant,
                                                  "seed": self.seed})

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

    def checkpoint(self):
        """Return the last checkpoint (checked against its digest), or {} for a new run."""
        return load_checkpoint(self.checkpoint_path) if self.checkpoint_path.exists() else {}

    def resume(self, network):
        """Load the checkpoint's network into ``network`` if there is one; return the checkpoint ({} for a new run).

        The rest of it is the trainer's own state, as it handed it to ``epoch``: the trainer restores it.
        """
        if checkpoint := self.checkpoint():
            network.load_state_dict(network_state(checkpoint))
            print(f"Resuming {self.run_dir} after epoch {len(self.history) - 1}")
        return checkpoint

    def epoch(self, epoch, metrics, network, images=None, save=True, state=None):
        """Record one epoch's metrics, parameter histograms, images ({tag: (3, H, W)}) and a checkpoint.

        ``state``: what the trainer needs besides the network to go on exactly where it stopped
        ({name: a tensor, a list of them or a state_dict}: a generator's state, momentum's
        velocity, an optimizer's), checkpointed with it and handed back by ``resume``.
        ``network`` None: a baseline with no weights; the checkpoint then holds the history alone.
        ``save`` False: no checkpoint or results.json this time (a run of many tiny epochs saves its last).
        """
        for tag, image in (images or {}).items():
            self.writer.add_image(tag, image, epoch)
        self.scalars(metrics, epoch)
        for l, (w, b) in enumerate(zip(network.weights, network.biases) if network is not None else [], start=1):
            for tag, values in ((f"weights/layer{l}", w), (f"biases/layer{l}", b)):
                if torch.isfinite(values).all():  # TensorBoard's histogram cannot bin NaN or ±inf
                    self.writer.add_histogram(tag, values, epoch)
        self.history.append({"epoch": epoch, **metrics})
        chart_hparam_metrics(self.writer, self.history, epoch)
        if save:
            self.save(network, state)

    def save(self, network, state=None):
        """Checkpoint the run as it is now, with results.json as of its last epoch: it can go on from here."""
        self.writer.flush()
        self._save_checkpoint(network, state or {})
        self.write_results(finished=False)

    def scalars(self, metrics, step):
        """Chart each metric in TensorBoard at ``step``; raise ValueError for a tag no chart is documented for."""
        for tag, value in metrics.items():
            if tag.startswith(SCALAR_PREFIXES):
                self.writer.add_scalar(tag, value, step)
            elif not tag.startswith(COUNTS):  # a metric no chart would show: an experiment's mistake, said at once
                raise ValueError(f"metric {tag!r} has no documented tag (README, 'TensorBoard tags'; repro/log.py)")

    def measured(self, metrics):
        """Record a measurement-only run's numbers, its ``measure``'s: charted at step 0, in results.json as
        ``measured``; it has no epochs and no checkpoint (a stopped measurement simply runs again)."""
        self.scalars(metrics, 0)
        chart_hparam_metrics(self.writer, [metrics], 0)  # its HParams row too
        self.extra["measured"] = metrics
        self.writer.flush()

    def _save_checkpoint(self, network, state):
        """Write the history, the network's state_dict (on the CPU) and the trainer's state, with a digest, atomically."""
        checkpoint = {"history": self.history, "wall_time_s": self.wall_time,
                      # clone: a seed side by side holds views of all seeds' storage; save its own numbers
                      "network": {key: value.cpu().clone() for key, value in network.state_dict().items()}
                      if network is not None else {},  # a baseline (chap1_baselines) learns no weights
                      **state}
        checkpoint["sha256"] = digest(checkpoint)  # checked before the checkpoint is used
        write_atomically(self.checkpoint_path, lambda partial: save(checkpoint, partial))

    @property
    def wall_time(self):
        return self.wall_time_before + (time.time() - self.started if self.started is not None else 0.0)

    def start_clock(self):
        """Count this run's wall time from now (its seed's turn, where seeds run one after another)."""
        self.started = time.time()

    def stop_clock(self):
        """Stop counting this run's wall time (its seed is done while others still run)."""
        self.wall_time_before, self.started = self.wall_time, None

    def diverged(self, epoch, metrics):
        """Record the epoch at which the run stopped being finite; the last checkpoint stays the last good one."""
        self.history.append({"epoch": epoch, **metrics})
        self.write_results(finished=False, status="diverged")
        self.discard(remove=False)

    def write_results(self, finished=True, status=None, **extra):
        """Write results.json: the per-epoch metrics (or the measured numbers) and how they were made."""
        self.status = status or ("finished" if finished else "running")
        results = strict({
            "experiment": self.experiment, "variant": self.variant, "seed": self.seed, "config": self.config,
            "finished": finished, "status": self.status, **extra,
            "epochs": self.history, "wall_time_s": round(self.wall_time, 2), "torch": torch.__version__,
            "device": self.config.get("device", "cpu"), "recipe": self.recipe, "git_commit": self.commit,
            **self.extra,
        })
        write_json(self.run_dir / "results.json", results)
        return results

    def close(self, headline=None, **extra):
        """Mark the run finished, with the number it reports (``headline``: repro.expected.Headline); return
        what results.json holds."""
        reported = {"headline": str(headline), **headline.summary(self.history, self.extra.get("measured"))} \
            if headline else {}
        results = self.write_results(finished=True, **reported, **extra)
        self.writer.flush()  # raises what its thread could not write; close would drop it without a word
        self.discard(remove=False)
        return results
