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
2. Plan (repro/window_plan.py): time the packs' steps together (their streams overlap),
   project the time to finish them, evaluation included, and drop packs (the ensemble's other
   members first, then the dearest) until the projection fits what is left of the clock.
   Beside those, packs that cannot finish here (a 60-epoch rung of more than about 340 µs a
   step does not fit one command) train too, while they add throughput and their state fits
   ``--carry-mib``. ``--dry-run`` stops here.
3. Climb: epoch by epoch, all chosen packs together; each pack, once finished, writes its
   records (``results/chap6_conv/<rung>/seed<k>.json``: results.json with its recipe and this
   command) into DIR/chap6_ladder.tar.gz at once, with the window's measurements
   (``results/chap6_conv/windows/<time>.json``), so a command killed later loses no finished
   rung. Unpacked at the repository's root they land in ``results/``, and the next window
   skips those rungs. ``--table`` prints the README's table from the records.
4. Stop: the packs the deadline stops are checkpointed and written to DIR/state
   (repro/window_state.py), with the stopped packs this command did not train; the next
   command, given that folder as ``--state``, goes on from the checkpoints (on the CPU, bit for
   bit as if never stopped). A record's ``pieces`` say which commands trained which epochs.

    python scripts/chap6_ladder.py --dry-run --device cpu --train-size 50 --epochs 1
    PYTHONPATH=. python3 scripts/chap6_ladder.py --minutes 9.4 --out $OUT --data data/mnist.pkl.gz
"""

import time

STARTED = time.monotonic()  # the command's clock: everything after this line counts against --minutes

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
from dataclasses import asdict, replace  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from experiments import chap6_conv  # noqa: E402
from repro import graphed, window_plan, window_state  # noqa: E402
from repro.data import expanded, load_mnist  # noqa: E402
from repro.log import RunLog  # noqa: E402
from repro.pages import README, rewrite_readme, with_block  # noqa: E402
from repro.records import git_commit, write_atomically  # noqa: E402
from repro.results import RESULTS, chosen_on_validation, record_path, recorded  # noqa: E402
from repro.train3 import epoch_metrics, evaluate, training_cost  # noqa: E402

RUNGS = [name for name, cfg in chap6_conv.VARIANTS.items() if cfg.expanded]
LADDER = RESULTS.parent / "logs" / "ladder"  # this checkout's, as --results is: the archive and the state it keeps
TABLE_BEGIN, TABLE_END = "<!-- chap6-ladder:begin -->", "<!-- chap6-ladder:end -->"  # the README's block of table()
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
    parser.add_argument("--out", type=Path, default=LADDER,
                        help="where the archive goes, and the state of unfinished packs (OUT/state)")
    parser.add_argument("--state", type=Path, default=LADDER / "state",
                        help="an earlier command's OUT/state: its unfinished packs go on from their checkpoints")
    parser.add_argument("--carry-mib", type=float, default=44.0,
                        help="the most state unfinished packs may leave for the next command (0: start only "
                             "packs that finish); the device tool carries 64 MiB, the book's data file included")
    parser.add_argument("--logdir", type=Path, default=Path("logs"), help="the run folders")
    parser.add_argument("--data", help="mnist.pkl.gz, where it is not the installed one")
    parser.add_argument("--commit", help="the git commit of this tree, where it has no .git (the GPU machine)")
    parser.add_argument("--table", action="store_true", help="print the README's table of the rungs from the records")
    parser.add_argument("--unpack", type=Path, metavar="FILES_AT",
                        help="take in a window's files: its records into --results, its state into --state, "
                             "the README's tables made anew")
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


def member_config(variant, args):
    """Return the configuration each network of a variant trains with (the ensemble's: dropout's, one net)."""
    return replace(rung_config(variant, args), ensemble=1)


def stopped_packs(args):
    """Return the packs an earlier command stopped unfinished (``--state``), their run folders unpacked under --logdir.

    Each is the state's manifest entry: name, variant, seeds, config, runs (folders under --logdir),
    bytes, epoch. A state that cannot be used is said in one line, and its packs start again.
    """
    try:
        manifest = window_state.read(args.state, args.logdir) or []
    except window_state.StateDamaged as error:
        print(f"{error}: its packs start again from epoch 0", file=sys.stderr, flush=True)
        return []
    unrecorded = []
    for entry in manifest:
        if all(record_path("chap6_conv", entry["variant"], seed, args.results).exists() for seed in entry["seeds"]):
            print(f"{entry['name']}: recorded since it stopped at epoch {entry['epoch']}, its state dropped")
        else:
            unrecorded.append(entry)
    return unrecorded


def wanted_packs(args, stopped=()):
    """Return [(member configuration, variant, seeds, run folders or None)]: the packs this command may train.

    The networks still to train, ``--pack-size`` to a pack; the ``stopped`` packs of these seeds
    and configurations first, going on from their run folders. The ensemble's members are the
    dropout configuration's seeds 0-14 (the dropout rung's seeds 0-2 among them), recorded as
    dropout runs one pack at a time, so that windows too short for all 15 add to each other;
    its votes are counted from their records.
    """
    needed = {}
    for rung in args.rungs:
        if all(record_path("chap6_conv", rung, seed, args.results).exists() for seed in args.seeds):
            print(f"{rung}: recorded in {args.results}, skipped")
            continue
        variant = "dropout" if rung == "ensemble" else rung
        _, seeds = needed.setdefault(member_config(rung, args), (variant, set()))
        seeds |= {seed for seed in nets_of(rung, args)
                  if not record_path("chap6_conv", variant, seed, args.results).exists()}
    going_on = []
    for entry in stopped:
        cfg = member_config(entry["variant"], args)
        _, seeds = needed.get(cfg, (None, set()))
        if entry["config"] == json.loads(json.dumps(asdict(cfg))) and set(entry["seeds"]) <= seeds:
            seeds -= set(entry["seeds"])
            going_on.append((cfg, entry["variant"], entry["seeds"], [args.logdir / run for run in entry["runs"]]))
        else:  # another command's rungs, seeds or sizes: carried on as they are (save_state)
            print(f"{entry['name']}: stopped at epoch {entry['epoch']}, not this command's: its state kept")
    return going_on + [(cfg, variant, sorted(seeds)[k:k + args.pack_size], None)
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


def build(cfg, variant, seeds, sets, args, runs=None):
    """Return a Pack of cfg's networks for these seeds, each drawn from its generator after its set.

    ``runs``: the pack's run folders, where an earlier command stopped it: its networks, their
    masks' generators and their histories go on from the checkpoints (repro/log.py).
    """
    images, labels, states = sets
    members = [cfg.network(torch.Generator().set_state(states[seed])) for seed in seeds]
    dropout_generators = [torch.Generator(device=args.device).manual_seed(seed) for seed in seeds]
    logs = [RunLog.reopen(run) for run in runs or []]
    checkpoints = [log.resume(member) for log, member in zip(logs, members)]
    for generator, checkpoint in zip(dropout_generators, checkpoints):
        generator.set_state(checkpoint["masks"])
    if checkpoints and args.device.startswith("cuda"):  # the pack's masks go on from the stream they stopped in
        torch.cuda.set_rng_state(checkpoints[0]["cuda_rng"])
    pack = graphed.Pack(cfg, members, images, labels, [list(states).index(seed) for seed in seeds],
                        dropout_generators)
    pack.variant, pack.seeds, pack.logs, pack.wall_s, pack.runs = variant, seeds, logs, 0.0, runs
    pack.epoch = pack.first_epoch = len(logs[0].history) if logs else 0
    pack.pieces = checkpoints[0]["pieces"] if checkpoints else []  # the commands that trained it before
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
    sets = training_sets(data, sorted({seed for _, _, seeds, _ in wanted for seed in seeds})) if wanted else None
    packs, on_cuda = [], args.device.startswith("cuda")
    for cfg, variant, seeds, runs in wanted:
        if clock() > args.smoke_minutes * 60:
            print(f"{variant} seeds {seeds}: not smoke-tested (the smoke test's minutes are spent)")
            continue
        if on_cuda:  # a pack's own peak: its networks, graphs and evaluation (the training sets are shared)
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
        packs.append(build(cfg, variant, seeds, sets, args, runs))
        summary["smoke"][packs[-1].name] = row = smoke_test(packs[-1], data, args)
        if on_cuda:
            row["peak_memory_gib"] = (torch.cuda.max_memory_allocated() - before) / 2 ** 30
    if on_cuda:
        summary["memory_gib"] = torch.cuda.memory_allocated() / 2 ** 30  # the sets and every pack, held
    return packs


def open_logs(pack, packs, rows, args):
    """Give each network of the pack its run folder (a stopped pack has its own); the recipe says how the CUDA
    path made its numbers."""
    pack.packed_with = [other.name for other in packs]
    if pack.logs:
        return
    recipe = {"threads": torch.get_num_threads(), "torch": torch.__version__, "dtype": "float32",
              "device": torch.cuda.get_device_name() if pack.cuda else "cpu",
              "cuda_graph": rows[pack.name]["graph"], "steps_per_replay": args.steps_per_replay,
              "packed_with": pack.packed_with, "nets_in_pack": pack.seeds,
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
    extra = [{"pieces": pack.pieces + [piece(pack, args)]} for _ in pack.seeds]
    if pack.variant == "dropout":
        pack.network.eval()
        digits = {split: pack.network.predict(getattr(data, split).images).tolist() for split in SPLITS}
        for k, more in enumerate(extra):
            more["predictions"] = {split: "".join(map(str, digits[split][k])) for split in SPLITS}
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")  # the record's date, as --record gives one
    for seed, log, more in zip(pack.seeds, pack.logs, extra):
        archive[str(record_path("chap6_conv", pack.variant, seed, "results"))] = log.close(pack.cfg.headline, **more) | {
            "command": command(), "recorded_from": {"run": f"{pack.name}, a GPU window", "finished": finished}}
    peaks = [archive[str(record_path("chap6_conv", pack.variant, seed, "results"))]["peak"]["accuracy"]
             for seed in pack.seeds]
    print(f"{pack.name}: recorded, test at the best validation epoch {', '.join(f'{peak:.2f}' for peak in peaks)}; "
          f"book {chap6_conv.EXPECTED[pack.variant].book}", flush=True)
    assemble_ensembles(archive, data, args)
    write_archive(archive, args)


def command():
    return " ".join(["python3", "scripts/chap6_ladder.py", *sys.argv[1:]])


def piece(pack, args):
    """Return what this command did for the pack: its epochs, the device, the packs beside it."""
    return {"epochs": [pack.first_epoch, pack.epoch], "device": torch.cuda.get_device_name() if pack.cuda else "cpu",
            "packed_with": pack.packed_with, "command": command(), "git_commit": args.commit or git_commit()}


def save_state(stopped, chosen, args):
    """Write OUT/state: the packs trained here that did not finish, checkpointed now, and the stopped packs this
    command did not train, as they came; return the manifest. The next command goes on from it."""
    manifest, run_dirs = [], []
    for entry in unbuilt(stopped, chosen, args):
        manifest.append(entry)
        run_dirs += [args.logdir / run for run in entry["runs"]]
    for pack in (pack for pack in chosen if pack.epoch < pack.cfg.epochs):
        state = {"pieces": pack.pieces + [piece(pack, args)]} | (
            {"cuda_rng": torch.cuda.get_rng_state()} if pack.cuda else {})
        for k, log in enumerate(pack.logs):
            log.save(pack.network.member(k), state | {"masks": pack.generators[k].get_state()})
        manifest.append({"name": pack.name, "variant": pack.variant, "seeds": pack.seeds, "config": asdict(pack.cfg),
                         "runs": [str(log.run_dir.relative_to(args.logdir)) for log in pack.logs],
                         "bytes": pack.state_bytes, "epoch": pack.epoch})
        run_dirs += [log.run_dir for log in pack.logs]
    size = window_state.write(args.out / "state", manifest, run_dirs, args.logdir)
    stopped_at = ", ".join(f"{entry['name']} after epoch {entry['epoch']}" for entry in manifest) or "none"
    print(f"state for the next command: {stopped_at} ({size / 2 ** 20:.1f} MiB in {args.out / 'state'})", flush=True)
    return manifest


def unbuilt(stopped, packs, args):
    """Return the stopped packs' entries that none of ``packs`` goes on with."""
    going_on = {run for pack in packs for run in pack.runs or []}
    return [entry for entry in stopped if args.logdir / entry["runs"][0] not in going_on]


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
        voters = [{key: member[key] for key in ("seed", "peak", "final", "git_commit")} for member in members]
        archive[path] = log.close(chap6_conv.VARIANTS["ensemble"].headline, members=voters,
                                  wall_time_s=sum(member["wall_time_s"] for member in members)) | {
            "command": "the plurality vote of results/chap6_conv/dropout/seed{5s … 5s + 4}.json "
                       "(scripts/chap6_ladder.py)"}
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
    """Train the packs together, epoch by epoch, while the next epoch fits the clock; record each as it finishes.

    10 s are kept for writing the state of the packs that do not finish (``save_state``).
    """
    epoch_s = 0.0
    while active := [pack for pack in packs if pack.epoch < pack.cfg.epochs]:
        if clock() + 1.2 * epoch_s + 10 > args.minutes * 60:
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

    "step alone" is the latest window's smoke-test measurement of the rung's pack of seeds 0-2,
    and "projected alone" what that pack would take from it: every step and evaluation, alone on
    the GPU (the ensemble: its five packs of dropout nets, one after another).
    """
    windows = [json.loads(path.read_text()) for path in sorted((results / "chap6_conv" / "windows").glob("*.json"))]
    rows = ["| rung | book | ours, seeds 0, 1, 2: test % at the best validation epoch | chosen on validation | "
            "band (EXPECTED) | time per run, device | step alone | projected alone |", "|---" * 8 + "|"]
    for rung in RUNGS:
        expected, cfg = chap6_conv.EXPECTED[rung], chap6_conv.VARIANTS[rung]
        pack = "dropout" if rung == "ensemble" else rung  # the ensemble's 15 nets: 5 packs of 3 dropout nets
        smoke = next((window["smoke"][pack] for window in reversed(windows) if pack in window["smoke"]), None)
        step = f"{1e6 * smoke['seconds_per_step']:.0f} µs" if smoke and rung == pack else "—"
        steps = cfg.epochs * 5 * cfg.train_size // cfg.mini_batch_size  # on the expanded set: 5n images an epoch
        if smoke:  # every step and evaluation, alone (the ensemble: its packs one after another)
            alone_s = cfg.ensemble * (steps * smoke["seconds_per_step"] + cfg.epochs * smoke["evaluation_s"])
        projected = f"{alone_s / 60:.1f} min" if smoke else "—"
        if not (records := recorded("chap6_conv", rung, results=results)):
            rows.append(f"| {rung} | {expected.book}% | not yet run | — | — | — | {step} | {projected} |")
            continue
        peaks = [record["peak"]["accuracy"] for record in records]
        chosen = chosen_on_validation(records)
        verdict = "—" if not expected.has_band else "**out**" if expected.band_failures(records) else "holds"
        minutes = max(record["wall_time_s"] for record in records) / 60
        rows.append(f"| {rung} | {expected.book}% | {', '.join(f'{peak:.2f}' for peak in peaks)} | "
                    f"{chosen['peak']['accuracy']:.2f} (seed {chosen['seed']}) | {verdict} | "
                    f"{minutes:.1f} min, the seeds side by side on an {records[0]['recipe']['device']} | {step} | "
                    f"{projected} |")
    return "\n".join(rows)


def unpack(files_at, args):
    """Take a window's files into this checkout: records into --results, the state into --state, README's tables anew.

    A state that came back replaces the one the window was given (one that did not come back,
    from a command cut off, leaves it as it was).
    """
    records, state = taken_in(files_at, args)
    for name, record in records.items():
        (args.results / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(args.results / name, lambda partial: partial.write_text(json.dumps(record, indent=2)))
    if state:
        shutil.rmtree(args.state, ignore_errors=True)
        shutil.copytree(state, args.state)
    readme = with_block(README.read_text(), TABLE_BEGIN, TABLE_END, table(args.results))
    write_atomically(README, lambda partial: partial.write_text(readme))
    print(f"{len(records)} records in {args.results}; state {f'replaced from {state}' if state else 'kept'}"
          f"; {rewrite_readme(args.results, README)}, its chapter-6 table made anew. Commit results/ and README.md.")


def taken_in(files_at, args):
    """Return a window's records ({path under results/: record}) and its state folder (None if none came back),
    checked whole: where the archive, a record or the state cannot be taken in, exit in one line, nothing written.
    A state is its index and parts; parts without their index (a command cut off writing them) are none.

    A record already in --results is taken in again if it is the same, refused if it differs.
    """
    archive, state = files_at / "chap6_ladder.tar.gz", files_at / "state"
    try:
        with tarfile.open(archive) as tar:
            records = {Path(member.name).relative_to("results"): json.load(tar.extractfile(member))
                       for member in tar.getmembers()}
    except (OSError, tarfile.TarError, ValueError) as error:  # missing, cut short, not this script's
        raise SystemExit(f"{archive} cannot be read ({type(error).__name__}): nothing was unpacked; "
                         f"what the command printed is in {files_at / 'ladder.log'}") from None
    differing = [name for name, record in records.items()
                 if (args.results / name).exists() and json.loads((args.results / name).read_text()) != record]
    if differing:
        raise SystemExit(f"{args.results / differing[0]} is already recorded, differently: nothing was unpacked")
    try:
        return records, state if window_state.checked(state) is not None else None
    except window_state.StateDamaged as error:
        raise SystemExit(f"{error}: nothing was unpacked") from None


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
    if args.unpack:
        unpack(args.unpack, args)
        return {}
    summary = {"device": args.device, "minutes": args.minutes, "seeds": args.seeds, "dry_run": args.dry_run,
               "smoke": {}, "chosen": [], "ran": {}}
    archive = {f"results/chap6_conv/windows/{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json": summary}
    stopped = stopped_packs(args)
    wanted = wanted_packs(args, stopped)
    chosen = []
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
        kept_bytes = sum(entry["bytes"] for entry in unbuilt(stopped, packs, args))  # packs not this command's
        chosen, together = window_plan.plan(packs, summary["smoke"], args, lambda: args.minutes * 60 - clock(),
                                            kept_bytes, summary.setdefault("together", {}))
        summary |= {"chosen": [pack.name for pack in chosen], "seconds_per_step_together": together,
                    "smoke_done_s": clock()}
        if chosen and not args.dry_run:
            for pack in chosen:
                open_logs(pack, chosen, summary["smoke"], args)
            climb(chosen, data, archive, args)
            summary["ran"] = {pack.name: {"from": pack.first_epoch, "epochs": pack.epoch, "of": pack.cfg.epochs,
                                          "wall_s": pack.wall_s} for pack in chosen}
    if not args.dry_run:
        summary["state"] = [entry["name"] for entry in save_state(stopped, chosen, args)]
    summary["clock_s"] = clock()
    write_archive(archive, args)
    return summary


if __name__ == "__main__":
    ladder()
