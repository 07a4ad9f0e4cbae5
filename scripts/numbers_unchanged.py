"""Hold a refactor to "every number unchanged": short runs before and after, compared epoch by epoch.

    python scripts/numbers_unchanged.py run DIR        # the runs below, default backend, one thread
    python scripts/numbers_unchanged.py compare A B    # every per-epoch number of A's runs against B's

``run`` trains each short configuration below (together about 10 minutes on the 2-core CPU), and
one run interrupted after its first epoch and resumed, into DIR/<name>/; ``compare`` matches runs by
name and seed and prints one line per run: identical, or the first epoch and metric that differ
(exit 1 if any does). Issue 20 rebuilds the training loop; its acceptance is this comparison.
tests/numbers_before/ holds the runs made before that change (``run`` on commit 783b94c, before issue 20;
chap6_ensemble remade after 783b94c's successor fixed ``Network.predict``, whose votes were random before).
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

RUNS = {
    "chap1_network": ["chap1_network", "--epochs", "2", "--train-size", "2000", "--seed", "3", "4"],
    "chap3_crossentropy_lmbda": ["chap3_crossentropy", "--epochs", "2", "--train-size", "3000", "--lmbda", "2.0"],
    "chap3_l1": ["chap3_l1", "--epochs", "2", "--train-size", "2000"],
    "chap3_momentum": ["chap3_momentum", "--epochs", "2", "--train-size", "2000"],
    "chap3_early_stopping": ["chap3_early_stopping", "--epochs", "8", "--train-size", "1000", "--patience", "1",
                             "--halve-to", "4"],
    "chap3_dropout": ["chap3_dropout", "--epochs", "2", "--train-size", "2000"],
    "chap5_speed3": ["chap5_vanishing_gradient", "--variant", "speed3", "--epochs", "2", "--train-size", "1000"],
    "chap3_more_data": ["chap3_more_data", "--epochs", "2", "--train-sizes", "100,500", "--svm", "false"],
    "chap6_relu_dropout": ["chap6_conv", "--variant", "relu", "--p-dropout", "0.5", "--epochs", "1",
                           "--train-size", "300"],
    "chap6_expanded": ["chap6_conv", "--variant", "expanded", "--epochs", "1", "--train-size", "100"],
    "chap6_ensemble": ["chap6_conv", "--variant", "ensemble", "--epochs", "1", "--train-size", "60"],
    "rnn": ["rnn_sequential_mnist", "--variant", "lstm", "--epochs", "1", "--train-size", "500"],
}
RESUMED = ["chap3_crossentropy", "--epochs", "3", "--train-size", "5000", "--seed", "5"]


def repro_run(args, logdir, **popen):
    return subprocess.Popen([sys.executable, "-m", "repro.run", *args, "--logdir", str(logdir)], **popen)


def interrupted_and_resumed(logdir):
    """Start RESUMED, send Ctrl-C once its first epoch is checkpointed, then --resume it to the end."""
    process = repro_run(RESUMED, logdir, stdout=subprocess.DEVNULL)
    while not list(logdir.glob("*/*/checkpoint.pt")):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    process.wait()
    run_dir = next(logdir.glob("*/*/checkpoint.pt")).parent
    subprocess.run([sys.executable, "-m", "repro.run", "--resume", str(run_dir)], check=True, stdout=subprocess.DEVNULL)


def run(out):
    for name, args in RUNS.items():
        print(name, flush=True)
        if repro_run(args, Path(out) / name, stdout=subprocess.DEVNULL).wait():
            raise SystemExit(f"{name} failed")
    interrupted_and_resumed(Path(out) / "resumed")


def results(tree):
    """Return {(name, seed, sub-run): per-epoch rows} of every results.json under tree."""
    found = {}
    for path in sorted(Path(tree).glob("*/**/results.json")):
        record = json.loads(path.read_text())
        name = path.relative_to(tree).parts[0]
        child = "/".join(path.parent.relative_to(tree).parts[3:])  # a child run's sub-folder, or ""
        found[name, record["seed"], child] = record.get("epochs", [])
    return found


def compare(before, after):
    a, b = results(before), results(after)
    differ = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'after' if key in b else 'before'}")
            differ += 1
            continue
        first = next(((row.get("epoch"), tag) for row, other in zip(a[key], b[key]) for tag in sorted(row)
                      if row.get(tag) != other.get(tag)), None)
        if len(a[key]) != len(b[key]) and first is None:
            first = (min(len(a[key]), len(b[key])), "epochs")
        print(f"{'/'.join(map(str, key))}: " + ("identical" if first is None else f"differs at epoch {first[0]}: "
                                               f"{first[1]}"))
        differ += first is not None
    print(f"{len(set(a) | set(b)) - differ} identical, {differ} differ")
    return differ


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"] and len(sys.argv) == 3:
        run(sys.argv[2])
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        sys.exit(1 if compare(sys.argv[2], sys.argv[3]) else 0)
    else:
        sys.exit(__doc__)
