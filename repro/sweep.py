"""Many book configurations in one command: ``python -m repro.sweep [NAME[:VARIANT] … | --all] --seed 0 1 2``.

    python -m repro.sweep chap3_crossentropy chap3_regularization:full --seed 0 1 2 --workers 2
    python -m repro.sweep --all --seed 0 1 2 --record          # every configuration a CPU runs, then results/
    python -m repro.sweep chap1_network --epochs 1 --train-size 400 --dry-run

A run of the sweep is what ``python -m repro.run NAME --variant V --seed …`` trains (its seeds side
by side, one torch thread), started as that very command, so its run folders are ordinary ones
and its numbers are repro.run's. ``--on local`` (the default, and today the only engine) keeps
``--workers`` of them going on this machine, one process each. Options of repro.run's configs
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
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from repro.options import OneLineParser, override_parser, parse_overrides, seed
from repro.readback import read_results
from repro.records import RunFolderError
from repro.results import record_runs
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

    def __str__(self):
        return f"{self.name} {self.variant}"


def arguments():
    parser = OneLineParser(prog="python -m repro.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME[:VARIANT]", help="an experiment (all its variants) or one")
    parser.add_argument("--all", action="store_true", help="every variant of every experiment a CPU runs")
    parser.add_argument("--seed", type=seed, nargs="+", default=[0], help="seeds of every run, side by side")
    parser.add_argument("--on", choices=("local",), default="local", help="where the runs go: this machine")
    parser.add_argument("--workers", type=workers, default=None, help="runs at once (default: this machine's cores)")
    parser.add_argument("--logdir", default="logs", help="where run folders go (default logs)")
    parser.add_argument("--data", help="mnist.pkl.gz, or a folder holding torchvision's MNIST (for every run)")
    parser.add_argument("--record", action="store_true", help="then record the finished runs into results/")
    parser.add_argument("--dry-run", action="store_true", help="print the runs and their commands, run nothing")
    return parser


def workers(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"workers must be at least 1, got {text}")
    return value


def planned_runs(names, every, seeds, tokens):
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
        runs.append(Run(name, variant, tuple(seeds), given, json.loads(json.dumps(dataclasses.asdict(cfg)))))
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
        if folder.get("config") != run.config or folder.get("recipe", {}).get("threads", 1) != 1:
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
    return ([python + ["--resume", *resumed] + source] if resumed else []) + \
        ([python + [run.name, "--variant", run.variant, "--seed", *to_train, "--logdir", str(logdir), *run.options]
          + source] if to_train else [])


def execute(run, logdir, data):
    """Run one configuration's commands (logging their output under logdir/sweep/); return (run, error or None)."""
    log = Path(logdir) / "sweep" / f"{run.name}-{run.variant}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as output:
        for command in commands(run, logdir, data):
            done = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT)
            if done.returncode == EXIT_DIVERGED:  # a result, not a failure: the seed's η or λ was too large
                return run, None
            if done.returncode:
                lines = log.read_text().strip().splitlines() or ["(no output)"]
                return run, f"exit {done.returncode}: {lines[-1]} (all of it: {log})"
    return run, None


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


def sweep(runs, workers, logdir, data):
    """Run the runs, ``workers`` at a time, printing each as it ends; return {str(run): error} of those that failed."""
    pending = [run for run in runs if commands(run, logdir, data)]
    print(f"{len(runs)} runs: {len(runs) - len(pending)} already finished under {logdir}, {len(pending)} to go, "
          f"{workers} at a time")
    failed, started = {}, time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(execute, run, logdir, data) for run in pending]
        for done, future in enumerate(as_completed(futures), 1):
            run, error = future.result()
            if error:
                failed[str(run)] = error
            elapsed = time.monotonic() - started
            left = elapsed / done * (len(pending) - done)
            print(f"[{done}/{len(pending)}] {run}: {error or 'finished'} "
                  f"({elapsed / 60:.1f} min so far, about {left / 60:.1f} left at this pace)", flush=True)
    return failed


def main(argv=None):
    try:
        args, tokens = arguments().parse_known_args(sys.argv[1:] if argv is None else argv)
        runs = planned_runs(args.names, args.all, args.seed, tokens)
        at_once = args.workers or len(os.sched_getaffinity(0))
        if args.dry_run:
            for run in runs:
                print(f"{run}: " + ("; ".join("python " + " ".join(command[1:]) for command in commands(run, args.logdir, args.data))
                                    or "finished already"))
            return
        failed = sweep(runs, at_once, args.logdir, args.data)
    except UsageError as error:
        print(f"python -m repro.sweep: error: {error}", file=sys.stderr)
        sys.exit(2)
    print("\n| run | status | peak per seed | time |\n|---|---|---|---|")
    for run in runs:
        print(f"| {run} | {'failed' if str(run) in failed else 'finished'} | {summary(run, args.logdir)} |")
    if args.record:
        print("\n".join(record_runs(sorted({str(Path(args.logdir) / run.name) for run in runs}))))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
