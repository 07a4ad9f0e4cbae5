"""Wall-clock seconds of a piece of work on the CPU, for tables that time ways of computing the same thing."""

import time


def seconds(work):
    """Return the seconds one call of work() takes: for work too slow to repeat."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def best_time(work, repeats=3):
    """Return the fastest of a few timed calls of work() after one untimed call: the one least slowed by other load."""
    work()
    return min(seconds(work) for _ in range(repeats))
