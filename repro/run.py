"""Train one of the book's experiments: ``python -m repro.run NAME [options]``.

    python -m repro.run --list
    python -m repro.run chap3_crossentropy --variant hidden100 --seed 1 2 3    # side by side
    python -m repro.run chap1_network --epochs 1 --train-size 2000 --backend autograd
    python -m repro.run --resume logs/chap1_network/default__seed0__20261127-051032.634-6d28 [RUN_DIR ...]
    python -m repro.run --evaluate logs/chap1_network/default__seed0__20261127-051032.634-6d28

NAME is a module of ``experiments/``. Each exports ``VARIANTS`` (name → frozen config
dataclass whose defaults are the book's), ``EXPECTED`` (the book's numbers and our
bands) and ``run(cfg, data, logs)``, or ``measure(cfg, logs)`` where it needs no MNIST.
Every field of the config can be overridden on
the command line (``--mini-batch-size 20``); bad values are refused before any data
is loaded, and nothing is written for a name or variant that does not exist.
``repro.load_network(run_dir)`` (repro/runs.py) returns a run's trained network.
"""

import contextlib
import dataclasses
import signal
import sys

import torch

from repro.config import memory_refusal
from repro.data import DataError, load_mnist
from repro.log import RunLog
from repro.options import (NEUTRAL, ONE_RUN_FOLDER, given_options, list_experiments, long_options, main_arguments,
                           parse_overrides, print_help)
from repro.records import Unwritable
from repro.runs import RunFolderError, UsageError, check_run, load_experiment, reads_mnist, variant_config
from repro.closing import run_line, seeds_line, shortfall_note
from repro.seeds import Diverged
from repro.stops import Printing, interrupt, raise_once, unwritable

EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 2, 3, 130


def main(argv=None):
    parser, argv = main_arguments(), sys.argv[1:] if argv is None else argv
    # `kill` stops a run as Ctrl-C does (checkpoint kept); a closed stdout stops the printing, not the run
    handlers = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    stdout, sys.stdout = sys.stdout, Printing(sys.stdout)
    try:
        return run_command(parser, argv, *parser.parse_known_args(argv))
    except UsageError as error:
        print(f"python -m repro.run: error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except (DataError, RunFolderError) as error:
        print(f"python -m repro.run: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # before a run began (loading data, say): nothing was written (new_logs)
        print("\nInterrupted before training began; nothing written", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        for signum, handler in handlers.items():
            if signal.getsignal(signum) is interrupt:  # after an interrupt both stay ignored to the process's end
                signal.signal(signum, handler)


def run_command(parser, argv, args, rest):
    if args.help:
        return print_help(parser, args.name)
    torch.set_num_threads(args.threads or 1)
    if args.list:
        return list_experiments()
    if args.resume or args.evaluate:
        if given := given_options(argv):
            raise UsageError(f"--{'resume' if args.resume else 'evaluate'} takes the run's own recorded options; "
                             f"drop {' '.join(given)} (only {' and '.join(NEUTRAL)} may be given)")
        if args.resume:
            return resume(args)
        if args.name:  # --evaluate A B: B is no option of --evaluate's
            raise UsageError(ONE_RUN_FOLDER)
        from repro.evaluate import evaluate_run  # network2's and network3's evaluation: only for --evaluate
        return evaluate_run(args)
    if not args.name:
        raise UsageError("name an experiment (python -m repro.run --list)")
    experiment = load_experiment(args.name)
    variant = args.variant if args.variant is not None else next(iter(experiment.VARIANTS))
    cfg = parse_overrides(variant_config(experiment, args.name, variant), rest, long_options(parser), args.name)
    data = load_data(experiment, cfg, args)
    logs = new_logs(args.name, variant, args.seed or [0], dataclasses.asdict(cfg), args.logdir or "logs", data)
    finish(experiment, logs, train_and_report(experiment, cfg, data, logs, one_by_one=args.batch_seeds == "off"))


def load_data(experiment, cfg, args):
    """Return the book's split on cfg's device; None for an experiment that measures without MNIST (``measure``).

    A network too large for the device is refused first: nothing is read or written for it.
    """
    if refusal := memory_refusal(cfg, len(args.seed or [0]) if args.batch_seeds == "on" else 1):
        raise UsageError(refusal)
    return load_mnist(args.data, args.download).to(cfg.device) if reads_mnist(experiment) else None


def new_logs(name, variant, seeds, config, logdir, data):
    """Return a new run's log for each seed, its recipe naming the data, or raise RunFolderError naming what
    cannot be written.

    A run that cannot start leaves no folder: those made already are removed (Ctrl-C too).
    """
    logs, recipe = [], {"data": data.source} if data else None
    try:
        for seed_value in seeds:
            logs.append(RunLog.new(name, variant, seed_value, config, logdir, recipe))
    except (RunFolderError, KeyboardInterrupt):  # the seeds' folders made so far go too
        for log in logs:
            log.discard()
        raise
    return logs


def resume(args):
    """Continue runs of one configuration from their last checkpoints, side by side, with their recorded threads.

    Every folder is checked whole (repro/runs.py, ``check_run``) before any is opened, so one that
    fails leaves them all as they were. A finished run is left as it is; a diverged one is refused.
    """
    checked = [check_run(run_dir) for run_dir in args.resume]
    if len({str(cfg) for _, cfg, _ in checked}) > 1 or len({experiment for experiment, _, _ in checked}) > 1:
        raise UsageError("--resume takes runs of one experiment, variant and configuration; resume the others apart")
    for run_dir, (_, _, results) in zip(args.resume, checked):
        if results.get("status") == "diverged":
            print(f"python -m repro.run: {run_dir} diverged at epoch {results['epochs'][-1]['epoch']}; "
                  "resuming would diverge again: start a new run with a smaller eta", file=sys.stderr)
            sys.exit(EXIT_DIVERGED)
    unfinished = []
    for run_dir, (_, _, results) in zip(args.resume, checked):
        if results.get("status") == "finished" or results.get("finished"):
            print(f"{run_dir} already finished ({len(results['epochs'])} epochs); nothing to resume")
        else:
            unfinished.append(run_dir)
    if not unfinished:
        return
    logs = [RunLog.reopen(run_dir) for run_dir in unfinished]
    experiment, cfg, _ = checked[0]
    torch.set_num_threads(logs[0].recipe.get("threads", 1))
    data = load_data(experiment, cfg, args)
    finish(experiment, logs, train_and_report(experiment, cfg, data, logs))


def train_and_report(experiment, cfg, data, logs, one_by_one=False):
    """Train the seeds of ``logs`` side by side (``one_by_one``: one after another); print and return each
    finished run's results.

    A seed that diverges says so and the others go on (exit 3 at the end, ``finish``). Ctrl-C, or a
    file that cannot be written, stops them all: one line names what to resume, every unfinished seed.
    """
    results = []
    try:
        for batch in [[log] for log in logs] if one_by_one else [logs]:
            results += train_batch(experiment, cfg, data, batch)
    except KeyboardInterrupt:
        raise_once()
        running = [log for log in logs if log.status == "running"]
        for log in running:
            with contextlib.suppress(OSError):  # a full disk: it still says "running", its checkpoint intact
                log.write_results(finished=False, status="interrupted")
        print(f"\nInterrupted. Resume with: python -m repro.run --resume {' '.join(str(log.run_dir) for log in running)}",
              file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except (OSError, Unwritable) as error:
        if not (line := unwritable(error, logs)):
            raise  # not a file of these runs: a bug, or a read elsewhere, shows its traceback
        print(f"python -m repro.run: {line}", file=sys.stderr)
        sys.exit(1)
    return results


def train_batch(experiment, cfg, data, logs):
    """Train the seeds of ``logs`` side by side; print and return each finished run's results."""
    diverged = None
    try:
        if reads_mnist(experiment):
            experiment.run(cfg, data, logs)
        else:  # it only measures (its ``measure``): no MNIST, no epochs
            experiment.measure(cfg, logs)
    except Diverged as error:
        diverged = error
    headline = getattr(cfg, "headline", None)  # the number the run reports, as its config declares it
    results = [log.close(headline) for log in logs if log.status == "running"]
    for log, result in zip([log for log in logs if log.status == "finished"], results):
        print(run_line(experiment, result, log.run_dir))
    if diverged:
        print(f"python -m repro.run: {diverged}", file=sys.stderr)
    return results


def finish(experiment, logs, results):
    """Print the seeds' summary and, where a book configuration fell short, why; exit 3 if any seed diverged."""
    try:
        if results and "peak" in results[0]:
            if len(results) > 1:
                print(seeds_line(results, experiment.EXPECTED.get(logs[0].variant)))
            if note := shortfall_note(experiment, results):
                print(note)
    except KeyboardInterrupt:  # the runs are over and recorded: only this summary is cut short
        raise_once()
        print("\nInterrupted after the runs ended; their records are complete", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    if any(log.status == "diverged" for log in logs):
        sys.exit(EXIT_DIVERGED)

if __name__ == "__main__":
    main()
