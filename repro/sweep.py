"""Many book configurations in one command: ``python -m repro.sweep [NAME[:VARIANT] … | --all] --seed 0 1 2``.

    python -m repro.sweep chap3_crossentropy chap3_regularization:full --seed 0 1 2 --workers 2
    python -m repro.sweep --all --seed 0 1 2 --record          # every configuration a CPU runs, then results/
    python -m repro.sweep chap1_network --epochs 1 --train-size 400 --dry-run

A run of the sweep is what ``python -m repro.run NAME --variant V --seed …`` trains (its seeds side
by side, one torch thread), started as that very command, so its run folders are ordinary ones
and its numbers are repro.run's. ``--on local`` (the default) keeps ``--workers`` of them going
on this machine, one process each; ``--device cuda --workers 8`` packs eight on one GPU. ``--on
ray`` makes each run a Ray task on a cluster (repro/sweep_ray.py). Options of repro.run's configs
(``--epochs 1``) apply to every run whose config has the field; one that no named run has, and
unknown names and variants, are refused in one line before anything starts. The sweep is safe
to repeat: a seed already finished under ``--logdir`` with the same configuration and threads is
skipped, one interrupted is resumed from its checkpoint, the rest are trained. A run that fails
is reported in one line, the others finish, and the sweep exits 1.
"""

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from repro.options import OneLineParser, override_parser, parse_overrides, seed
from repro.readback import read_results
from repro.records import RunFolderError
from repro.results import record_path, record_runs
from repro.run import EXIT_DIVERGED
from repro.runs import UsageError, experiment_names, load_experiment, variant_config


@dataclasses.dataclass(frozen=True)
class Run:
    """One configuration of the sweep: an experiment's variant with the sweep's options, over its seeds."""

    name: str
    variant: str
    seeds: tuple
    options: tuple  # repro.run's tokens of the config fields this variant has, e.g. ("--epochs", "1")
    config: dict  # the configuration those give, as config.json stores it
    threads: int = 1  # torch threads of the run's process (--cpus-per-run), which its recipe records

    def __str__(self):
        return f"{self.name} {self.variant}"


def arguments():
    parser = OneLineParser(prog="python -m repro.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME[:VARIANT]", help="an experiment (all its variants) or one")
    parser.add_argument("--all", action="store_true", help="every variant of every experiment a CPU runs")
    parser.add_argument("--seed", type=seed, nargs="+", default=[0], help="seeds of every run, side by side")
    parser.add_argument("--on", choices=("local", "ray"), default="local",
                        help="where the runs go: this machine's processes, or a Ray cluster's tasks")
    parser.add_argument("--workers", type=workers, default=None,
                        help="runs at once here, or the CPUs of the Ray cluster started when no --address is given "
                             "(default: this machine's cores / --cpus-per-run)")
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"),
                        help="HOST:PORT of a running Ray cluster (default $RAY_ADDRESS; none: start one here)")
    parser.add_argument("--cpus-per-run", type=workers, default=1, help="CPUs, so torch threads, of each run (1)")
    parser.add_argument("--gpus-per-run", type=gpus, default=0.0,
                        help="GPUs of each run on Ray, e.g. 0.25: four runs share one (0)")
    parser.add_argument("--logdir", default="logs", help="where run folders go (default logs)")
    parser.add_argument("--data", help="mnist.pkl.gz, or a folder holding torchvision's MNIST (for every run)")
    parser.add_argument("--record", action="store_true", help="then record the finished runs into results/")
    parser.add_argument("--dry-run", action="store_true", help="print the runs and their commands, run nothing")
    return parser


def workers(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def gpus(text):
    value = float(text)
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be between 0 and 64 (a fraction shares a GPU), got {text}")
    return value


def planned_runs(names, every, seeds, tokens, threads=1):
    """Return the sweep's runs; raise UsageError for an unknown name, variant or option, or a bad value."""
    if every == bool(names):
        raise UsageError("name experiments (NAME or NAME:VARIANT) or give --all, not both or neither")
    pairs = [(name, variant) for name in experiment_names() for variant, cfg in load_experiment(name).VARIANTS.items()
             if not getattr(cfg, "expanded", False)] if every else [pair for text in names for pair in variants(text)]
    options = option_groups(tokens)
    fields = {pair: fields_of(*pair) for pair in pairs}
    if unused := set(options) - set().union(*fields.values()):
        raise UsageError(f"no named run has {', '.join(sorted(unused))} (python -m repro.run NAME --help lists them)")
    runs = []
    for name, variant in pairs:
        given = tuple(token for option, values in options.items() if option in fields[name, variant]
                      for token in (option, *values))
        cfg = parse_overrides(variant_config(load_experiment(name), name, variant), list(given), [], name)
        runs.append(Run(name, variant, tuple(seeds), given, json.loads(json.dumps(dataclasses.asdict(cfg))), threads))
    return runs


def variants(text):
    """Return [(name, variant)] of NAME (every variant) or NAME:VARIANT, refusing unknown ones with close names."""
    name, _, variant = text.partition(":")
    experiment = load_experiment(name)
    if not variant:
        return [(name, each) for each in experiment.VARIANTS]
    variant_config(experiment, name, variant)  # refuses an unknown variant, naming the close ones
    return [(name, variant)]


def option_groups(tokens):
    """Return {--option: [its values]} of repro.run's config options in tokens (--epochs 1 --sizes 784,30,10)."""
    groups, option = {}, None
    for token in tokens:
        if token.startswith("--"):
            option, _, value = token.partition("=")
            groups[option] = [value] if value else []
        elif option is None:
            raise UsageError(f"{token!r} is no NAME[:VARIANT] after the options began")
        else:
            groups[option].append(token)
    return groups


def fields_of(name, variant):
    """Return the --options of a variant's config fields."""
    parser = override_parser(load_experiment(name).VARIANTS[variant])
    return {option for action in parser._actions for option in action.option_strings}


def seeds_state(run, logdir):
    """Return {seed: "finished" or a run folder to resume} of the run's seeds found under logdir/<name>/."""
    state = {}
    for config_path in sorted((Path(logdir) / run.name).glob(f"{run.variant}__seed*/config.json")):
        try:
            folder = json.loads(config_path.read_text())
            results = read_results(config_path.parent)
        except (OSError, ValueError, RunFolderError):
            continue  # a damaged folder is repro.run's to report when it is resumed by hand; the seed trains anew
        if folder.get("config") != run.config or folder.get("recipe", {}).get("threads", 1) != run.threads:
            continue
        if results.get("finished"):
            state[folder["seed"]] = "finished"
        elif results.get("status") != "diverged" and (config_path.parent / "checkpoint.pt").is_file():
            state.setdefault(folder["seed"], config_path.parent)
    return {seed: where for seed, where in state.items() if seed in run.seeds}


def commands(run, logdir, data):
    """Return the repro.run commands that finish the run: --resume its interrupted seeds, train the others."""
    state, python = seeds_state(run, logdir), [sys.executable, "-m", "repro.run"]
    source = ["--data", data] if data else []
    resumed = [str(where) for where in state.values() if where != "finished"]
    to_train = [str(seed) for seed in run.seeds if seed not in state]
    threads = ["--threads", str(run.threads)] if run.threads != 1 else []
    return ([python + ["--resume", *resumed] + source] if resumed else []) + \
        ([python + [run.name, "--variant", run.variant, "--seed", *to_train, "--logdir", str(logdir), *run.options]
          + threads + source] if to_train else [])


def log_path(run, logdir):
    """Where the output of a run's commands goes: logdir/sweep/NAME-VARIANT.log."""
    return Path(logdir) / "sweep" / f"{run.name}-{run.variant}.log"


def execute(run, logdir, data, log):
    """Run one configuration's commands, their output appended to log; return None, or why it failed in one line."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as output:
        for command in commands(run, logdir, data):
            done = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT)
            if done.returncode == EXIT_DIVERGED:  # a result, not a failure: the seed's η or λ was too large
                return None
            if done.returncode:
                lines = log.read_text().strip().splitlines() or ["(no output)"]
                return f"exit {done.returncode}: {lines[-1]}"
    return None


def execute_here(run, logdir, data):
    """The local engine's task: execute the run in this machine's logdir; return (run, error or None)."""
    log = log_path(run, logdir)
    error = execute(run, logdir, data, log)
    return run, error and f"{error} (all of it: {log})"


def summary(run, logdir):
    """Return the run's row of the closing table: status, each seed's peak and time, from its results.json."""
    peaks, seconds = [], []
    for seed_ in run.seeds:
        folders = sorted((Path(logdir) / run.name).glob(f"{run.variant}__seed{seed_}__*"))
        results = next((read_results(folder) for folder in reversed(folders)
                        if json.loads((folder / "config.json").read_text()).get("config") == run.config), {})
        peak = results.get("peak")
        peaks.append(f"{peak['accuracy']:.2f}" if peak else "—")
        seconds.append(results.get("wall_time_s", 0.0))
    return f"{', '.join(peaks)} | {max(seconds) / 60:.1f} min"


class Progress:
    """What a sweep shows as it goes: runs done of the total, the running ones, and the time left, estimated
    from the records' wall times where every run left has one (book configurations), else from the pace."""

    def __init__(self, runs, at_once, logdir):
        self.left, self.at_once, self.logdir = {str(run): recorded_seconds(run) for run in runs}, at_once, logdir
        self.total, self.running, self.failed, self.began = len(runs), {}, {}, time.monotonic()
        self.lock = threading.Lock()  # the local engine's runs start in its threads

    def started(self, run, where=""):
        with self.lock:
            again = " again" if str(run) in self.running else ""  # a retried task: its node died
            self.running[str(run)] = where
            print(f"started{again} {run}{where}; running: {', '.join(self.running)}", flush=True)

    def stopped(self, run):
        """Take the run off the running ones (before its worker starts the next run)."""
        with self.lock:
            self.running.pop(str(run), None)

    def finished(self, run, error):
        """Print the run's line: its peak per seed and time, or why it failed, and how far the sweep is."""
        self.stopped(run)
        self.left.pop(str(run))
        if error:
            self.failed[str(run)] = error
        done, elapsed = self.total - len(self.left), time.monotonic() - self.began
        if None not in self.left.values():
            left, how = sum(self.left.values()) / self.at_once, "from the records' wall times"
        else:
            left, how = elapsed / done * len(self.left), "at this pace"
        print(f"[{done}/{self.total}] {run}: {error or 'finished | ' + summary(run, self.logdir)} "
              f"({elapsed / 60:.1f} min so far, about {left / 60:.1f} left {how})", flush=True)


def recorded_seconds(run):
    """Return the wall time results/ records for the run (seeds side by side: the longest), or None."""
    paths = [record_path(run.name, run.variant, seed_) for seed_ in run.seeds]
    if run.options or run.threads != 1 or not all(path.is_file() for path in paths):
        return None  # not the recorded book configuration, or not recorded
    return max(json.loads(path.read_text()).get("wall_time_s", 0.0) for path in paths)


def sweep(runs, workers, logdir, data):
    """Run the runs here, ``workers`` at a time; return {str(run): error} of those that failed."""
    progress = Progress(runs, workers, logdir)

    def task(run):
        progress.started(run)
        try:
            return execute_here(run, logdir, data)
        finally:
            progress.stopped(run)

    with ThreadPoolExecutor(workers) as pool:
        for future in as_completed([pool.submit(task, run) for run in runs]):
            progress.finished(*future.result())
    return progress.failed


def chosen_engine(args, runs):
    """Return the engine that runs the sweep's runs: ``sweep`` here, or Ray's with the cluster's options;
    raise UsageError for options the engine does not take (before anything starts)."""
    if args.on == "local":
        if args.address or args.gpus_per_run:
            raise UsageError("--address and --gpus-per-run are Ray's (--on ray); here --workers runs share a GPU")
        return sweep
    try:
        from repro.sweep_ray import ray_engine  # Ray is an optional extra
    except ImportError:
        raise UsageError("--on ray needs Ray: pip install 'nndl-repro[ray]'") from None
    return ray_engine(args.address, args.cpus_per_run, args.gpus_per_run, runs)


def main(argv=None):
    try:
        args, tokens = arguments().parse_known_args(sys.argv[1:] if argv is None else argv)
        runs = planned_runs(args.names, args.all, args.seed, tokens, args.cpus_per_run)
        at_once = args.workers or max(1, len(os.sched_getaffinity(0)) // args.cpus_per_run)
        engine = chosen_engine(args, runs)
        if args.dry_run:
            for run in runs:
                print(f"{run}: " + ("; ".join("python " + " ".join(command[1:]) for command in commands(run, args.logdir, args.data))
                                    or "finished already"))
            return
        pending = [run for run in runs if commands(run, args.logdir, args.data)]
        print(f"{len(runs)} runs: {len(runs) - len(pending)} already finished under {args.logdir}, {len(pending)} to go",
              flush=True)
        failed = engine(pending, at_once, args.logdir, args.data) if pending else {}
    except UsageError as error:
        print(f"python -m repro.sweep: error: {error}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:  # `--dry-run | head` read what it wanted: quiet, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    print("\n| run | status | peak per seed | time |\n|---|---|---|---|")
    for run in runs:
        print(f"| {run} | {'failed' if str(run) in failed else 'finished'} | {summary(run, args.logdir)} |")
    if args.record:
        print("\n".join(record_runs(sorted({str(Path(args.logdir) / run.name) for run in runs}))))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
