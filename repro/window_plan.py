"""Which packs a GPU command trains: those that finish before its deadline, and beside them packs that go on later.

scripts/chap6_ladder.py measures each pack alone in its smoke test (``rows``: {name:
{"seconds_per_step", "evaluation_s"}}) and asks ``plan`` which to train together. Here a pack
(repro/graphed.py's ``Pack``, as the ladder builds it) is its ``name``, ``cfg.epochs``, the ``epoch``
it stands at, ``steps_per_epoch``, ``state_bytes`` and ``runs`` (its run folders where an earlier
command stopped it, else None); ``args`` are the ladder's (``steps_per_replay``, ``replays``,
``carry_mib``). Packs together are timed on the device (``graphed.seconds_per_step``): their
CUDA streams overlap, so a step of several costs less than their sum, but each runs slower.
"""

from repro import graphed


def projected_s(packs, seconds_per_step, rows):
    """Return the seconds to finish every pack together: each step at the packs' joint speed, plus evaluations."""
    epochs = max(pack.cfg.epochs - pack.epoch for pack in packs)
    return epochs * packs[0].steps_per_epoch * seconds_per_step + sum(
        (pack.cfg.epochs - pack.epoch) * rows[pack.name]["evaluation_s"] for pack in packs)


def fits(packs, together, rows, seconds_left):
    """Say whether these packs, stepping together at ``together`` seconds a step, finish before the deadline."""
    # 3% and 10 s spare: the first window's projection of 460 s for expanded took 456 s
    need, left = 1.03 * projected_s(packs, together, rows) + 10, seconds_left()
    print(f"together {', '.join(p.name for p in packs)}: {1e6 * together:.0f} µs a step, "
          f"{need / 60:.1f} min projected to finish, {left / 60:.1f} min left", flush=True)
    return need <= left


def joint_step(packs, args, joint):
    """Return the seconds a step of these packs takes together (their streams overlapped); note it in ``joint``."""
    joint[", ".join(pack.name for pack in packs)] = seconds = graphed.seconds_per_step(packs, args.steps_per_replay,
                                                                                     args.replays)
    return seconds


def finishing(packs, rows, args, seconds_left, joint):
    """Return the packs that finish before the deadline when run together, dropping packs until they do.

    Dropped first are the ensemble's members beyond the dropout rung's seeds ("dropout seeds 3-5"):
    alone they finish no book number; then the dearest, in steps left at their own speed.
    """
    chosen = list(packs)
    while chosen:
        together = joint_step(chosen, args, joint)
        if fits(chosen, together, rows, seconds_left):
            return chosen, together
        dropped = max(chosen, key=lambda p: (" seeds " in p.name, rows[p.name]["seconds_per_step"] *
                                             (p.cfg.epochs - p.epoch)))
        chosen.remove(dropped)
    return [], None


def plan(packs, rows, args, seconds_left, kept_bytes=0, joint=None):
    """Return (the packs to train together, their joint seconds a step), ``seconds_left()`` before the deadline.

    First the packs that all finish before the deadline. Then, beside them, packs that will not
    finish here but go on in the next command from their state (``--carry-mib``; stopped packs
    first), each added while the finishing ones still finish, the steps taken together still
    gain throughput (seconds a step per pack fall: streams overlap, up to a point), and the state
    of every pack left unfinished, ``kept_bytes`` of other commands' included, fits. ``joint``
    gets every joint speed measured ({"a, b": seconds a step}: the window's record of the overlap).
    """
    joint = {} if joint is None else joint
    done, together = finishing(packs, rows, args, seconds_left, joint)
    chosen, budget = list(done), args.carry_mib * 2 ** 20 - kept_bytes
    stopped_bytes = sum(p.state_bytes for p in packs if p.runs and p not in done)  # kept whether trained or not
    for pack in sorted((p for p in packs if p not in done), key=lambda p: not p.runs):
        new_bytes = sum(p.state_bytes for p in chosen + [pack] if p not in done and not p.runs)
        if stopped_bytes + new_bytes > max(budget, stopped_bytes):
            print(f"{pack.name}: would not finish, and its state ({pack.state_bytes / 2 ** 20:.1f} MiB) "
                  f"is more than --carry-mib leaves", flush=True)
            continue
        speed = joint_step(chosen + [pack], args, joint)
        gains = together is None or speed / (len(chosen) + 1) < together / len(chosen)
        if gains and (not done or fits(done, speed, rows, seconds_left)):
            print(f"{pack.name}: cannot finish here, trained to go on in the next command "
                  f"({1e6 * speed:.0f} µs a step together)", flush=True)
            chosen, together = chosen + [pack], speed
    return chosen, together
