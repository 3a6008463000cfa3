"""``make bench``: every measurement in one run, on 127.0.0.1, each part bounded in time.

1. in process: our verifier against the floors (``micro.py``); each peer's DRF authentication
   against the raw RSA verify (``peers/micro.py``, in the peers' virtualenv); where the public
   route's CPU goes, what a token-cache hit and a miss add, and the RSA verify in four
   contexts (``inprocess.py``);
2. over HTTP (``fleet.py``): ours, an identical second server (A/A), the peers, the Express
   quickstart and the DPoP path, under wrk, interleaved.

Options: ``--quick`` (fewer, shorter rounds: about 3 minutes), ``--smoke`` (every part once,
for seconds, to show that the benchmark works: its figures mean nothing), ``--no-peers``,
``--no-express``, ``--no-micro``, ``--no-load``, ``--dpop-store default|redis|both``,
``--rounds N``, ``--seconds S``.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

from . import fleet, micro, report
from .peers import venv
from .servers import ROOT


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def machine():
    return f"{os.cpu_count()} CPUs ({cpu_model()})"


def header():
    return (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, "
            f"Python {platform.python_version()}, load average at start "
            f"{os.getloadavg()[0]:.2f}")


def subprocess_result(command, out, timeout=900):
    """Run a measuring module; show its progress lines, return its ``RESULT`` JSON."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        elif line.startswith("  "):
            out(line)
    if done.returncode != 0 or result is None:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}"
                           f"\n{done.stderr[-3000:]}")
    return result


def parse(argv):
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    parser.add_argument("--smoke", action="store_true",
                        help="every part once, for seconds: checks that it runs, no figures")
    parser.add_argument("--no-peers", action="store_true", help="skip the Python peers")
    parser.add_argument("--no-express", action="store_true", help="skip Express")
    parser.add_argument("--no-micro", action="store_true", help="skip the in-process parts")
    parser.add_argument("--no-load", action="store_true", help="skip the HTTP parts")
    parser.add_argument("--dpop-store", choices=("default", "redis", "both"), default="both",
                        help="DPoP replay store(s) to measure (redis: a redis-server started "
                        "by the benchmark)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds over HTTP")
    parser.add_argument("--seconds", type=int, default=2, help="per HTTP run (whole s)")
    args = parser.parse_args(argv)
    args.dpop_seconds = 3
    if args.quick:
        args.rounds, args.seconds, args.dpop_seconds = 3, 1, 2
    if args.smoke:
        args.rounds, args.seconds, args.dpop_seconds = 1, 1, 1
    return args


def in_process(args, peers_python, out):
    """The in-process parts; returns (micro, peers micro, inprocess) results (None: skipped)."""
    quick = ["--quick"] if args.quick or args.smoke else []
    out("\n== Token verification in process (against the practical floor) ==")
    if args.smoke:
        results = micro.measure(rounds=1, repeats=1, repeat_seconds=0.01, out=out)
    else:
        results = micro.measure(rounds=1 if args.quick else micro.ROUNDS, out=out)
    micro.report(results, out=out)
    peers = None
    if peers_python:
        out("\n(in process, peers' virtualenv: each DRF authentication class ...)")
        peers = subprocess_result([peers_python, "-m", "bench.peers.micro", *quick], out)
    out("\n(in process, the project's WSGI application: base cost, hit and miss, RSA ...)")
    inproc = subprocess_result([sys.executable, "-m", "bench.inprocess", *quick], out)
    return results, peers, inproc


def main(argv=None):
    args = parse(argv)
    started = time.monotonic()
    out = print
    out(f"Benchmark{' (smoke run: figures mean nothing)' if args.smoke else ''}: {header()}")
    peers_python = None if args.no_peers else str(venv.ensure(out))
    peers_micro = inproc = measured = None
    if not args.no_micro:
        _, peers_micro, inproc = in_process(args, peers_python, out)
    if not args.no_load:
        out("\n(over HTTP on 127.0.0.1 ...)")
        measured = fleet.measure(rounds=args.rounds, seconds=args.seconds,
                                 dpop_seconds=args.dpop_seconds, peers_python=peers_python,
                                 express=not args.no_express, out=out,
                                 dpop_stores=("default", "redis") if args.dpop_store == "both"
                                 else (args.dpop_store,))
        report.peers(measured, peers_micro, out)
        report.express(measured, machine(), out)
        report.dpop(measured, out)
    report.base_cost(inproc, measured, out)
    report.hit_miss(inproc, measured, out)
    report.profiles(inproc, out)
    report.rsa(inproc, measured, out)
    report.footer(measured, out)
    out(f"\ndone in {time.monotonic() - started:.0f} s; load average now "
        f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
