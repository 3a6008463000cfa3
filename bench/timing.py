"""Interleaved ``timeit`` comparisons: the micro method of ``make bench``.

Time is the thread's CPU time (``time.thread_time``), not the wall clock: on a machine shared
with other processes, the moments this process waits for a core are not counted (what the
others do to the CPU caches still is). Each variant gets a loop count that makes one repeat
last ``repeat_seconds``; a round takes
the minimum of ``repeats`` repeats per variant, the repeats interleaved across variants (this
machine's speed drifts within seconds, so each minimum comes from the same stretch of time);
rounds rotate the order of the variants. Ratios to a reference variant are taken within each
round and the median over rounds is reported, with the median µs.
"""
import math
import statistics
import time
import timeit


def timer(timed):
    return timeit.Timer(timed, timer=time.thread_time)


def loop_count(timed, repeat_seconds):
    if repeat_seconds < 0.05:  # a smoke run: one call is calibration enough
        number, seconds = 1, timer(timed).timeit(1)
    else:
        number, seconds = timer(timed).autorange()
    return max(1, math.ceil(number * repeat_seconds / max(seconds, 1e-9)))


def compare(variants, reference, rounds=3, repeats=5, repeat_seconds=0.25, out=None):
    """``variants``: name -> zero-argument callable. Returns
    ``{name: {"us": median µs per call, "ratio": median of same-round ratios to reference}}``."""
    counts = {name: loop_count(timed, repeat_seconds) for name, timed in variants.items()}
    names = list(variants)
    per_round = []
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        best = {name: math.inf for name in names}
        for _ in range(repeats):
            for name in order:
                seconds = timer(variants[name]).timeit(counts[name])
                best[name] = min(best[name], seconds / counts[name] * 1e6)
        per_round.append(best)
        if out:
            out(f"  round {r + 1}/{rounds}: {reference} {best[reference]:.1f} µs")
    return {name: {"us": statistics.median(b[name] for b in per_round),
                   "ratio": statistics.median(b[name] / b[reference] for b in per_round)}
            for name in names}
