"""Chapter 6's 250,000-image rungs in one GPU window: ``python scripts/chap6_ladder.py --minutes 9.4 --out DIR``.

The rungs of chap6_conv that train on the expanded set (expanded, fc300, fc1000, double_fc,
double_fc300, double_fc1000, dropout, ensemble), seeds 0-2, about 11 million steps of m = 10
in all. A lent GPU comes for minutes at a time, so the command is built around its own clock,
which starts at its first line and stops at ``--minutes``:

1. Smoke test (at most ``--smoke-minutes``): for every rung not yet recorded under
   ``--results``, build its packs (repro/graphed.py: ``--pack-size`` networks side by side, each
   on its own expanded set), capture ``--steps-per-replay`` steps as a CUDA graph (a pack whose
   capture fails steps eagerly, and says so), time its steps alone, its evaluation and its GPU
   memory. The ensemble's 15 networks are the dropout configuration's seeds 0-14 (the dropout
   rung's seeds 0-2 among them), trained as dropout runs and voted from their records.
2. Plan: time the packs' steps together (their streams overlap), project the time to finish
   them, evaluation included, and drop the dearest pack until the projection fits what is left
   of the clock. ``--dry-run`` stops here.
3. Climb: epoch by epoch, all chosen packs together; each pack, once finished, writes its
   records (``results/chap6_conv/<rung>/seed<k>.json``: results.json with its recipe and this
   command) into DIR/chap6_ladder.tar.gz at once, with the window's measurements
   (``results/chap6_conv/windows/<time>.json``), so a command killed later loses no finished
   rung. Unpacked at the repository's root they land in ``results/``, and the next window
   skips those rungs. ``--table`` prints the README's table from the records.

    python scripts/chap6_ladder.py --dry-run --device cpu --train-size 50 --epochs 1
    PYTHONPATH=. python3 scripts/chap6_ladder.py --minutes 9.4 --out $OUT --data data/mnist.pkl.gz
"""

import time

STARTED = time.monotonic()  # the command's clock: everything after this line counts against --minutes

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
from dataclasses import asdict, replace  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from experiments import chap6_conv  # noqa: E402
from repro import graphed  # noqa: E402
from repro.data import expanded, load_mnist  # noqa: E402
from repro.log import RunLog  # noqa: E402
from repro.records import write_atomically  # noqa: E402
from repro.results import RESULTS, chosen_on_validation, record_path, recorded  # noqa: E402
from repro.train3 import epoch_metrics, evaluate, training_cost  # noqa: E402

RUNGS = [name for name, cfg in chap6_conv.VARIANTS.items() if cfg.expanded]
SPLITS = ("validation", "test")


def clock():
    return time.monotonic() - STARTED


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rungs", nargs="+", default=RUNGS, choices=RUNGS, metavar="RUNG",
                        help=f"some of {', '.join(RUNGS)} (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--pack-size", type=int, default=3, help="networks of one configuration side by side")
    parser.add_argument("--minutes", type=float, default=9.4, help="the deadline, from the command's first line")
    parser.add_argument("--smoke-minutes", type=float, default=2.0, help="the most the smoke test may take")
    parser.add_argument("--steps-per-replay", type=int, default=50, help="steps captured in one CUDA graph")
    parser.add_argument("--replays", type=int, default=4, help="replays timed per measurement")
    parser.add_argument("--results", type=Path, default=RESULTS, help="recorded rungs are skipped")
    parser.add_argument("--out", type=Path, default=Path("logs/ladder"), help="where the archive goes")
    parser.add_argument("--logdir", type=Path, default=Path("logs"), help="the run folders")
    parser.add_argument("--data", help="mnist.pkl.gz, where it is not the installed one")
    parser.add_argument("--commit", help="the git commit of this tree, where it has no .git (the GPU machine)")
    parser.add_argument("--table", action="store_true", help="print the README's table of the rungs from the records")
    parser.add_argument("--dry-run", action="store_true", help="smoke-test, measure and plan; train nothing")
    parser.add_argument("--epochs", type=int, help="override every rung's epochs (tests)")
    parser.add_argument("--train-size", type=int, help="override every rung's images before expansion (tests)")
    args = parser.parse_args(argv)
    try:  # a device torch lacks, a bad size: one line now, before any data or time is spent
        [rung_config(name, args) for name in args.rungs]
    except ValueError as error:
        parser.error(str(error))
    return args


def rung_config(name, args):
    """Return the rung's book configuration, on this command's device, with its test-size overrides."""
    sizes = {key: value for key, value in (("epochs", args.epochs), ("train_size", args.train_size)) if value}
    return replace(chap6_conv.VARIANTS[name], device=args.device, compile="cuda-graphs", **sizes)


def nets_of(rung, args):
    """Return the seeds of the networks a rung needs: the ensemble's seed s votes with nets 5s … 5s + 4."""
    ensemble = chap6_conv.VARIANTS[rung].ensemble
    return [seed * ensemble + k for seed in args.seeds for k in range(ensemble)]


def wanted_packs(args):
    """Return [(member configuration, variant, seeds)]: the networks still to train, ``--pack-size`` to a pack.

    The ensemble's members are the dropout configuration's seeds 0-14 (the dropout rung's
    seeds 0-2 among them), recorded as dropout runs one pack at a time, so that windows too
    short for all 15 add to each other; its votes are counted from their records.
    """
    needed = {}
    for rung in args.rungs:
        if all(record_path("chap6_conv", rung, seed, args.results).exists() for seed in args.seeds):
            print(f"{rung}: recorded in {args.results}, skipped")
            continue
        variant = "dropout" if rung == "ensemble" else rung
        _, seeds = needed.setdefault(replace(rung_config(rung, args), ensemble=1), (variant, set()))
        seeds |= {seed for seed in nets_of(rung, args)
                  if not record_path("chap6_conv", variant, seed, args.results).exists()}
    return [(cfg, variant, sorted(seeds)[k:k + args.pack_size])
            for cfg, (variant, seeds) in needed.items() for k in range(0, len(seeds), args.pack_size)]


def training_sets(data, seeds):
    """Return (images, labels, {seed: generator state after drawing}) of each seed's expanded set, stacked.

    Drawn as Network3SGD.start draws them: the set from the seed's generator, then the network.
    """
    images, labels, states = [], [], {}
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        split = expanded(data.training, generator)
        images.append(split.images)
        labels.append(split.one_hot())
        states[seed] = generator.get_state()
    return torch.stack(images), torch.stack(labels), states


def build(cfg, variant, seeds, sets, args):
    """Return a Pack of cfg's networks for these seeds, each drawn from its generator after its set."""
    images, labels, states = sets
    members = [cfg.network(torch.Generator().set_state(states[seed])) for seed in seeds]
    dropout_generators = [torch.Generator(device=args.device).manual_seed(seed) for seed in seeds]
    pack = graphed.Pack(cfg, members, images, labels, [list(states).index(seed) for seed in seeds],
                        dropout_generators)
    pack.variant, pack.seeds, pack.logs, pack.epoch, pack.wall_s = variant, seeds, [], 0, 0.0
    pack.name = variant if seeds == args.seeds else f"{variant} seeds {seeds[0]}-{seeds[-1]}"
    return pack


def smoke_test(pack, data, args):
    """Capture the pack's graphs; return what a step alone and an evaluation cost (and what failed)."""
    steps, tail = args.steps_per_replay, pack.steps_per_epoch % args.steps_per_replay
    if pack.cuda:
        for length in {steps, tail} - {0}:
            pack.capture(length)
    row = {"nets": len(pack.seeds), "graph": bool(pack.graphs) and pack.fallback is None,
           "fallback": pack.fallback, "seconds_per_step": graphed.seconds_per_step([pack], steps, args.replays)}
    started = time.perf_counter()
    evaluate(pack.network, data, [-1.0] * len(pack.seeds))  # validation, then test (all "best"): the most it costs
    pack.network.train()
    row["evaluation_s"] = time.perf_counter() - started
    print(f"{pack.name}: {row['nets']} nets, {1e6 * row['seconds_per_step']:.0f} µs a step alone, evaluation "
          f"{row['evaluation_s']:.2f} s, " + ("CUDA graph" if row["graph"] else f"eager ({pack.fallback or 'CPU'})"),
          flush=True)
    return row


def smoke_tests(wanted, data, summary, args):
    """Build each wanted pack and smoke-test it while the smoke test's minutes last; return the packs built.

    Each one's row goes into ``summary["smoke"]``, on CUDA with the pack's own peak memory.
    """
    sets = training_sets(data, sorted({seed for _, _, seeds in wanted for seed in seeds})) if wanted else None
    packs, on_cuda = [], args.device.startswith("cuda")
    for cfg, variant, seeds in wanted:
        if clock() > args.smoke_minutes * 60:
            print(f"{variant} seeds {seeds}: not smoke-tested (the smoke test's minutes are spent)")
            continue
        if on_cuda:  # a pack's own peak: its networks, graphs and evaluation (the training sets are shared)
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
        packs.append(build(cfg, variant, seeds, sets, args))
        summary["smoke"][packs[-1].name] = row = smoke_test(packs[-1], data, args)
        if on_cuda:
            row["peak_memory_gib"] = (torch.cuda.max_memory_allocated() - before) / 2 ** 30
    if on_cuda:
        summary["memory_gib"] = torch.cuda.memory_allocated() / 2 ** 30  # the sets and every pack, held
    return packs


def projected_s(packs, seconds_per_step, rows):
    """Return the seconds to finish every pack together: each step at the packs' joint speed, plus evaluations."""
    epochs = max(pack.cfg.epochs - pack.epoch for pack in packs)
    return epochs * packs[0].steps_per_epoch * seconds_per_step + sum(
        (pack.cfg.epochs - pack.epoch) * rows[pack.name]["evaluation_s"] for pack in packs)


def plan(packs, rows, args):
    """Return the packs that finish before the deadline when run together, dropping the dearest until they do."""
    chosen = list(packs)
    while chosen:
        together = graphed.seconds_per_step(chosen, args.steps_per_replay, args.replays)
        # 3% and 10 s spare: the first window's projection of 460 s for expanded took 456 s
        need, left = 1.03 * projected_s(chosen, together, rows) + 10, args.minutes * 60 - clock()
        print(f"together {', '.join(p.name for p in chosen)}: {1e6 * together:.0f} µs a step, "
              f"{need / 60:.1f} min projected, {left / 60:.1f} min left", flush=True)
        if need <= left:
            return chosen, together
        dearest = max(chosen, key=lambda p: rows[p.name]["seconds_per_step"] * p.cfg.epochs)
        chosen.remove(dearest)
    return [], None


def open_logs(pack, packs, rows, args):
    """Give each network of the pack its run folder; the recipe says how the CUDA path made its numbers."""
    recipe = {"threads": torch.get_num_threads(), "torch": torch.__version__, "dtype": "float32",
              "device": torch.cuda.get_device_name() if pack.cuda else "cpu",
              "cuda_graph": rows[pack.name]["graph"], "steps_per_replay": args.steps_per_replay,
              "packed_with": [other.name for other in packs], "nets_in_pack": pack.seeds,
              "dropout_masks": "one CUDA generator for the pack" if pack.cuda else "each seed's own generator"}
    for seed in pack.seeds:
        log = RunLog.new("chap6_conv", pack.variant, seed, asdict(pack.cfg), args.logdir, recipe=recipe)
        log.commit = args.commit or log.commit
        pack.logs.append(log)


def train_epoch(packs, data, args):
    """One epoch of the packs together, then each network's evaluation and log line, as network3.SGD."""
    graphed.train_epoch(packs, args.steps_per_replay)
    for pack in packs:
        costs = training_cost(pack.network, pack.cost, pack.steps_per_epoch,
                              pack.cfg.lmbda * pack.cfg.mini_batch_size / pack.images.shape[1])
        metrics = epoch_metrics(pack.network, data, costs, pack.epoch, pack.logs)
        for log, row in zip(pack.logs, metrics):
            log.epoch(pack.epoch, row, None, save=False)  # the GPU machine is given back: no checkpoints
        pack.network.train()
        pack.epoch += 1


def finish(pack, data, archive, args):
    """Close the pack's runs, add their records to the archive (and any ensemble they complete), write it at once.

    A member configuration of the ensemble records each network's final digits on validation
    and test, which is all its vote needs (``assemble_ensembles``).
    """
    command = " ".join(["python3", "scripts/chap6_ladder.py", *sys.argv[1:]])
    extra = [{} for _ in pack.seeds]
    if pack.variant == "dropout":
        pack.network.eval()
        digits = {split: pack.network.predict(getattr(data, split).images).tolist() for split in SPLITS}
        extra = [{"predictions": {split: "".join(map(str, digits[split][k])) for split in SPLITS}}
                 for k in range(len(pack.seeds))]
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")  # the record's date, as --record gives one
    for seed, log, more in zip(pack.seeds, pack.logs, extra):
        archive[str(record_path("chap6_conv", pack.variant, seed, "results"))] = log.close(pack.cfg.headline, **more) | {
            "command": command, "recorded_from": {"run": f"{pack.name}, a GPU window", "finished": finished}}
    peaks = [archive[str(record_path("chap6_conv", pack.variant, seed, "results"))]["peak"]["accuracy"]
             for seed in pack.seeds]
    print(f"{pack.name}: recorded, test at the best validation epoch {', '.join(f'{peak:.2f}' for peak in peaks)}; "
          f"book {chap6_conv.EXPECTED[pack.variant].book}", flush=True)
    assemble_ensembles(archive, data, args)
    write_archive(archive, args)


def assemble_ensembles(archive, data, args):
    """Add the ensemble's record of each seed whose five members are all recorded: their plurality vote (6.11)."""
    if "ensemble" not in args.rungs:
        return
    size = chap6_conv.VARIANTS["ensemble"].ensemble
    for seed in args.seeds:
        path = str(record_path("chap6_conv", "ensemble", seed, "results"))
        members = [record_of("dropout", member, archive, args) for member in range(seed * size, (seed + 1) * size)]
        if path in archive or record_path("chap6_conv", "ensemble", seed, args.results).exists() or None in members:
            continue
        metrics = {}
        for split in SPLITS:
            votes = torch.tensor([[int(digit) for digit in member["predictions"][split]] for member in members])
            correct = int((chap6_conv.plurality(votes) == getattr(data, split).labels.cpu()).sum())
            metrics |= {f"accuracy/{split}": 100 * correct / votes.shape[1], f"correct/{split}": correct}
        config = members[0]["config"] | {"ensemble": size}
        log = RunLog.new("chap6_conv", "ensemble", seed, config, args.logdir, recipe=members[0]["recipe"])
        log.commit = args.commit or log.commit
        log.epoch(0, metrics, None, save=False)
        archive[path] = log.close(chap6_conv.VARIANTS["ensemble"].headline, members=[{key: member[key] for key in ("seed", "peak", "final", "git_commit")}
                                           for member in members],
                                  wall_time_s=sum(member["wall_time_s"] for member in members)) | {
            "command": "the plurality vote of results/chap6_conv/dropout/seed{5s … 5s + 4}.json (scripts/chap6_ladder.py)"}
        print(f"ensemble seed {seed}: {metrics['correct/test']} / {votes.shape[1]} test images by the vote of "
              f"dropout seeds {seed * size}-{(seed + 1) * size - 1}", flush=True)


def record_of(variant, seed, archive, args):
    """Return a record made in this window (the archive) or committed before (--results), or None."""
    made_here = archive.get(str(record_path("chap6_conv", variant, seed, "results")))
    return made_here or next(iter(recorded("chap6_conv", variant, [seed], args.results)), None)


def write_archive(archive, args):
    """Write DIR/chap6_ladder.tar.gz whole: every record so far and the window's summary."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, value in archive.items():
            content = json.dumps(value, indent=2, allow_nan=False).encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(content), int(time.time())
            tar.addfile(info, io.BytesIO(content))
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out / "chap6_ladder.tar.gz", lambda partial: partial.write_bytes(buffer.getvalue()))


def climb(packs, data, archive, args):
    """Train the packs together, epoch by epoch, while the next epoch fits the clock; record each as it finishes."""
    epoch_s = 0.0
    while active := [pack for pack in packs if pack.epoch < pack.cfg.epochs]:
        if clock() + 1.2 * epoch_s > args.minutes * 60:
            print(f"stopped at {clock() / 60:.1f} min: {', '.join(p.name for p in active)} unfinished", flush=True)
            break
        started = time.perf_counter()
        train_epoch(active, data, args)
        epoch_s = time.perf_counter() - started
        print(f"[{clock():.0f} s] an epoch of {', '.join(p.name for p in active)} in {epoch_s:.1f} s", flush=True)
        for pack in active:
            pack.wall_s += epoch_s
            if pack.epoch == pack.cfg.epochs:
                finish(pack, data, archive, args)


def table(results=RESULTS):
    """Return the README's table of the rungs from the records: ours beside the book's, or "not yet run".

    "step alone" is the latest window's smoke-test measurement of the rung's pack of seeds 0-2.
    """
    windows = [json.loads(path.read_text()) for path in sorted((results / "chap6_conv" / "windows").glob("*.json"))]
    rows = ["| rung | book | ours, seeds 0, 1, 2: test % at the best validation epoch | chosen on validation | "
            "band (EXPECTED) | time per run, device | step alone |", "|---|---|---|---|---|---|---|"]
    for rung in RUNGS:
        expected = chap6_conv.EXPECTED[rung]
        step = next((f"{1e6 * window['smoke'][rung]['seconds_per_step']:.0f} µs" for window in reversed(windows)
                     if rung in window["smoke"]), "—")
        if not (records := recorded("chap6_conv", rung, results=results)):
            rows.append(f"| {rung} | {expected.book}% | not yet run | — | — | — | {step} |")
            continue
        peaks = [record["peak"]["accuracy"] for record in records]
        chosen = chosen_on_validation(records)
        verdict = "—" if not expected.has_band else "**out**" if expected.band_failures(records) else "holds"
        minutes = max(record["wall_time_s"] for record in records) / 60
        rows.append(f"| {rung} | {expected.book}% | {', '.join(f'{peak:.2f}' for peak in peaks)} | "
                    f"{chosen['peak']['accuracy']:.2f} (seed {chosen['seed']}) | {verdict} | "
                    f"{minutes:.1f} min, the seeds side by side on an {records[0]['recipe']['device']} | {step} |")
    return "\n".join(rows)


def ladder(argv=None, started=None):
    """Smoke-test, plan and climb as ``argv`` says; write the archive (the summary in it too); return the summary.

    ``started``: when the clock starts, if not at the command's first line (a test calling it).
    """
    global STARTED
    STARTED = started or STARTED
    args = arguments(argv)
    if args.table:
        print(table(args.results))
        return {}
    summary = {"device": args.device, "minutes": args.minutes, "seeds": args.seeds, "dry_run": args.dry_run,
               "smoke": {}, "chosen": [], "ran": {}}
    archive = {f"results/chap6_conv/windows/{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json": summary}
    wanted = wanted_packs(args)
    if wanted or not all(record_path("chap6_conv", rung, seed, args.results).exists()
                         for rung in args.rungs for seed in args.seeds):  # an ensemble to assemble
        # cuDNN picks its fastest kernels in the warm-up; full float32, as Theano's, not TF32 (torch's default there)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32 = True, False
        torch.cuda.manual_seed_all(args.seeds[0])  # the packs' dropout masks on CUDA (repro/graphed.py)
        data = load_mnist(args.data).to(args.device)
        if args.train_size:
            data = replace(data, training=data.training.first(args.train_size))
        assemble_ensembles(archive, data, args)
        packs = smoke_tests(wanted, data, summary, args)
        chosen, together = plan(packs, summary["smoke"], args)
        summary |= {"chosen": [pack.name for pack in chosen], "seconds_per_step_together": together,
                    "smoke_done_s": clock()}
        if chosen and not args.dry_run:
            for pack in chosen:
                open_logs(pack, chosen, summary["smoke"], args)
            climb(chosen, data, archive, args)
            summary["ran"] = {pack.name: {"epochs": pack.epoch, "of": pack.cfg.epochs, "wall_s": pack.wall_s}
                              for pack in chosen}
    summary["clock_s"] = clock()
    write_archive(archive, args)
    return summary


if __name__ == "__main__":
    ladder()
