"""``make bench``: the in-process micro-benchmark, then the HTTP load benchmark, in one run.

Options: ``--quick`` (fewer, shorter rounds), ``--no-express``, ``--no-micro``, ``--no-load``,
``--rounds N``, ``--seconds S``. Everything runs on 127.0.0.1 and stops by itself.
"""
import argparse
import datetime
import os
import platform
import sys
import time

from . import load, micro


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"load average at start {os.getloadavg()[0]:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs, 1 micro round")
    parser.add_argument("--no-express", action="store_true", help="skip the Express reference")
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--seconds", type=int, default=2, help="per alternating run (whole s)")
    parser.add_argument("--mixed-rounds", type=int, default=3)
    parser.add_argument("--mixed-seconds", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.mixed_rounds, args.mixed_seconds = 2, 1, 2, 3
    started = time.monotonic()
    print(f"Benchmark: {machine()}")
    if not args.no_micro:
        print("\n== Token verification in process (docs/performance.md, in-process method) ==")
        results = micro.measure(rounds=1 if args.quick else micro.ROUNDS)
        micro.report(results)
        per_entry, length = micro.cache_entry_bytes()
        print(f"cache memory: {per_entry / 1024:.1f} KiB per entry ({length}-character token); "
              f"the default 1024 entries hold about {per_entry * 1024 / 2**20:.1f} MiB")
    if not args.no_load:
        print(f"\n== HTTP on 127.0.0.1: gunicorn -w {load.WORKERS} -k sync"
              + ("" if args.no_express else " vs Express (node, one process)") + " ==")
        measured = load.measure(rounds=args.rounds, seconds=args.seconds,
                                mixed_rounds=args.mixed_rounds, mixed_seconds=args.mixed_seconds,
                                express=not args.no_express)
        load.report(measured)
    print(f"\ndone in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
