"""HTTP load: the Django API under gunicorn (and the Express reference) on loopback.

Both servers verify tokens against one JWKS server on 127.0.0.1 (started here). Scenarios:

- ``public``: ``GET /api/public``, no token;
- ``private (repeated)``: ``GET /api/private``, the same valid token every time;
- ``private (unique)``: ``GET /api/private``, pre-minted valid tokens taken in order across all
  runs; there are more of them than the workers' caches together hold many times over, so an
  LRU cache never has the token (each repeat comes after >= 2 x cache size other tokens);
- ``401``: ``GET /api/private`` with a token whose signature has one byte flipped.

Two methods (docs/performance.md), as this machine's speed drifts by seconds:

- *mixed run* (Django): one wrk run cycles through the four scenarios request by request;
  ``bench/wsgi_timing.py`` adds up the CPU each scenario spends inside Django, and the
  workers' total CPU gives gunicorn's own share per request. Capacity relative to public is
  (gunicorn + Django public) / (gunicorn + Django scenario), within one run: all scenarios
  share the same moments of machine speed. The CPU a request costs this machine is Django's
  + gunicorn's + wrk's (the three share the two cores, so req/s follows their sum); the
  capacity ratio relative to public is the ratio of those sums, within one run.
- *alternating runs* (Django and Express): each round runs every (server, scenario) alone
  for a few seconds, in an order that rotates from round to round; ratios are taken within a
  round and the median over rounds is reported, with the median req/s, p50 and p99 (wall
  time: these move with the machine's speed and with the other processes on it).
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .common import AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens, new_key, start_jwks
from .loadgen import Step, load_generator
from .stats import read_stats

ROOT = Path(__file__).resolve().parent.parent
EXPRESS_DIR = Path(__file__).with_name("express")
WORKERS = 2
CONNECTIONS = 16
CACHE_SIZE = 1024  # the default TOKEN_CACHE_SIZE, set explicitly for the server
UNIQUE_TOKENS = 4 * CACHE_SIZE * WORKERS
# name: (tag sent as X-Bench-Scenario, path, token file, expected status)
SCENARIOS = {
    "public": (1, "/api/public", None, 200),
    "private (repeated)": (2, "/api/private", "repeated", 200),
    "private (unique)": (3, "/api/private", "unique", 200),
    "401": (4, "/api/private", "bad", 401),
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(port, path, token=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Server:
    """A server process on 127.0.0.1; ``cpu_seconds()`` adds up its processes' CPU time."""

    name = ""

    def __init__(self, workdir):
        self.port = free_port()
        self.log = open(Path(workdir) / f"{self.name}.log", "w")
        self.process = None

    def start(self, env):
        self.process = subprocess.Popen(self.command(), cwd=self.cwd(), env={**os.environ, **env},
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                if status_of(self.port, "/api/public") == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 60 s: see {self.log.name}")

    def pids(self):
        return [self.process.pid]

    def cpu_seconds(self):
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / ticks

    def memory(self):
        """``[(pid, rss_kib, pss_kib)]`` of the processes serving requests."""
        rows = []
        for pid in self.pids():
            rss = _kib(Path(f"/proc/{pid}/status"), "VmRSS:")
            pss = _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")
            rows.append((pid, rss, pss))
        return rows

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Gunicorn(Server):
    name = "django"

    def command(self):
        return [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync",
                "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
                "bench.wsgi_timing:application"]

    def cwd(self):
        return ROOT

    def pids(self):
        """The workers (the master only supervises)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return [self.process.pid]


class Express(Server):
    name = "express"

    def command(self):
        return ["node", "server.js"]

    def cwd(self):
        return EXPRESS_DIR


def _kib(path, field):
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def install_express(out):
    """``npm install`` into bench/express once; False when node or npm is missing or fails."""
    if (EXPRESS_DIR / "node_modules" / "express-oauth2-jwt-bearer").is_dir():
        return True
    if not (_which("node") and _which("npm")):
        out("node/npm not found: the Express reference is skipped")
        return False
    out("npm install (Express reference) ...")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=EXPRESS_DIR, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        out(f"npm install failed, the Express reference is skipped:\n{done.stderr[-2000:]}")
    return done.returncode == 0


def _which(name):
    return shutil.which(name)


class Tokens:
    """Token files for the scenarios; unique tokens continue from where the last run stopped."""

    def __init__(self, key, workdir, unique_count):
        token = mint_token(key)
        self.repeated = token
        self.bad = flip_signature(token)
        self.unique = mint_tokens(key, unique_count)
        self.files = {}
        for name, values in (("repeated", [self.repeated]), ("bad", [self.bad]),
                             ("unique", self.unique)):
            path = Path(workdir) / f"{name}.txt"
            path.write_text("\n".join(values) + "\n")
            self.files[name] = path
        self.unique_offset = 0

    def step(self, scenario):
        tag, path, kind, _ = SCENARIOS[scenario]
        return Step(tag, path, self.files.get(kind), self.unique_offset if kind == "unique" else 0)

    def sample(self, scenario):
        kind = SCENARIOS[scenario][2]
        return {"repeated": self.repeated, "bad": self.bad, "unique": self.unique[-1]}.get(kind)

    def consumed(self, requests):
        # An upper bound of the unique tokens a run used: no token is sent twice within
        # UNIQUE_TOKENS requests, whatever the mix.
        self.unique_offset += requests


def check_servers(servers, tokens):
    """Each scenario answers as expected before anything is timed."""
    for server in servers:
        for scenario, (_, path, _, expected) in SCENARIOS.items():
            status = status_of(server.port, path, tokens.sample(scenario))
            if status != expected:
                raise RuntimeError(f"{server.name} {scenario}: status {status}, expected "
                                   f"{expected}: nothing timed")


def run_plan(generator, server, tokens, scenarios, seconds, workdir):
    """One load run of ``scenarios`` taken in turn; checks every response's status."""
    cpu_before = server.cpu_seconds()
    result = generator.run(server.port, [tokens.step(s) for s in scenarios], seconds,
                           CONNECTIONS, workdir)
    result["server_cpu_s"] = server.cpu_seconds() - cpu_before
    tokens.consumed(result["requests"])
    failing = sum(1 for s in scenarios if SCENARIOS[s][3] >= 400)
    expected = result["requests"] * failing / len(scenarios)
    if abs(result["status_errors"] - expected) > CONNECTIONS or result["socket_errors"]:
        raise RuntimeError(f"{server.name} {scenarios}: unexpected statuses or socket "
                           f"errors {result}")
    result["rps"] = result["requests"] / result["seconds"]
    return result


def mixed_runs(generator, server, tokens, rounds, seconds, workdir, stats_dir, out):
    """The mixed run (docs/performance.md): all scenarios in turn, CPU per scenario inside Django."""
    per_round = []
    for r in range(rounds):
        before = read_stats(stats_dir)
        result = run_plan(generator, server, tokens, list(SCENARIOS), seconds, workdir)
        after = read_stats(stats_dir)
        inside = {name: (after[tag][0] - before[tag][0], after[tag][1] - before[tag][1])
                  for name, (tag, *_rest) in SCENARIOS.items()}
        count = sum(n for n, _ in inside.values())
        gunicorn_us = (result["server_cpu_s"] - sum(c for _, c in inside.values())) / count * 1e6
        per_round.append({"gunicorn_us": gunicorn_us, "rps": result["rps"],
                          "wrk_us": result["cpu_s"] / result["requests"] * 1e6,
                          "gen_cpu": result["cpu_s"] / result["seconds"],
                          "django_us": {name: c / n * 1e6 for name, (n, c) in inside.items()}})
        out(f"  mixed run {r + 1}/{rounds}: {result['rps']:.0f} req/s, inside Django "
            + ", ".join(f"{name} {us:.0f}" for name, us in per_round[-1]["django_us"].items())
            + f" µs; gunicorn {gunicorn_us:.0f}, wrk {per_round[-1]['wrk_us']:.0f} µs/request")
    return per_round


def abab_runs(generator, servers, tokens, rounds, seconds, workdir, out):
    """Every (server, scenario) alone for ``seconds``, in an order rotating by round."""
    runs = [(server, scenario) for server in servers for scenario in SCENARIOS]
    per_round = []
    for r in range(rounds):
        order = runs[r % len(runs):] + runs[:r % len(runs)]
        results = {(server.name, scenario):
                   run_plan(generator, server, tokens, [scenario], seconds, workdir)
                   for server, scenario in order}
        per_round.append(results)
        out(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{name} {scenario} {result['rps']:.0f}" for (name, scenario), result
            in results.items() if scenario in ("public", "private (repeated)")) + " req/s")
    return per_round


def measure(rounds=5, seconds=2, mixed_rounds=3, mixed_seconds=5, express=True, out=print):
    """Start the servers, check them, warm them up, run the mixed and ABAB rounds."""
    workdir = tempfile.mkdtemp(prefix="auth0-bench-")
    stats_dir = Path(workdir) / "stats"
    stats_dir.mkdir()
    generator = load_generator(out)
    out(f"load generator: {generator.name}, 1 thread, {CONNECTIONS} connections")
    key = new_key()
    jwks = start_jwks(key)
    servers = []
    try:
        out(f"minting {UNIQUE_TOKENS} distinct tokens ...")
        tokens = Tokens(key, workdir, UNIQUE_TOKENS)
        servers.append(Gunicorn(workdir).start({
            "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "AUTH0_ISSUER": ISSUER,
            "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks.url,
            "AUTH0_TOKEN_CACHE_SIZE": str(CACHE_SIZE), "DJANGO_SETTINGS_MODULE": "config.settings",
            "BENCH_STATS_DIR": str(stats_dir)}))
        if express and install_express(out):
            node = Express(workdir)
            servers.append(node.start({"PORT": str(node.port), "ISSUER": ISSUER,
                                       "AUDIENCE": AUDIENCE, "JWKS_URL": jwks.url}))
        check_servers(servers, tokens)
        for server in servers:  # warm-up: every worker has its keys and its code paths run
            run_plan(generator, server, tokens, list(SCENARIOS), 2, workdir)
        warmup_fetches = jwks.hits
        out(f"mixed runs (django): {mixed_rounds} x {mixed_seconds} s")
        mixed = mixed_runs(generator, servers[0], tokens, mixed_rounds, mixed_seconds, workdir,
                           stats_dir, out)
        out(f"alternating runs: {rounds} rounds x {len(servers) * len(SCENARIOS)} runs x "
            f"{seconds} s")
        abab = abab_runs(generator, servers, tokens, rounds, seconds, workdir, out)
        return {"per_round": abab, "mixed": mixed, "servers": [s.name for s in servers],
                "memory": {s.name: s.memory() for s in servers},
                "jwks_fetches": {"warm-up": warmup_fetches,
                                 "timed runs": jwks.hits - warmup_fetches},
                "generator": generator.name, "seconds": seconds}
    finally:
        for server in servers:
            server.stop()
        jwks.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def summarize(measured):
    per_round = measured["per_round"]
    keys = list(per_round[0])
    rows = {}
    for key in keys:
        samples = [r[key] for r in per_round]
        public = [r[(key[0], "public")] for r in per_round]
        rows[key] = {
            "rps": statistics.median(s["rps"] for s in samples),
            "p50_ms": statistics.median(s["p50_ms"] for s in samples),
            "p99_ms": statistics.median(s["p99_ms"] for s in samples),
            "vs_public": statistics.median(s["rps"] / p["rps"] for s, p in zip(samples, public)),
            "cpu_us": statistics.median(s["server_cpu_s"] / s["requests"] * 1e6 for s in samples),
            "gen_cpu": statistics.median(s["cpu_s"] / s["seconds"] for s in samples),
        }
    return rows


def ratio(measured, a, b):
    return statistics.median(r[a]["rps"] / r[b]["rps"] for r in measured["per_round"])


def mixed_summary(mixed):
    """Per scenario: CPU inside Django, the CPU a request costs this machine (+ gunicorn's
    and wrk's share), and the capacity relative to public that follows, within each run."""
    rows = {}
    for name in SCENARIOS:
        rows[name] = {
            "django_us": statistics.median(r["django_us"][name] for r in mixed),
            "total_us": statistics.median(_machine_us(r, name) for r in mixed),
            "vs_public": statistics.median(_machine_us(r, "public") / _machine_us(r, name)
                                           for r in mixed),
        }
    return rows


def _machine_us(run, name):
    return run["django_us"][name] + run["gunicorn_us"] + run["wrk_us"]


def verdict(value, target):
    return f"{value:.2f}× ({'met' if value >= target else 'NOT met'})"


def report(measured, out=print):
    mixed = mixed_summary(measured["mixed"])
    gunicorn_us = statistics.median(r["gunicorn_us"] for r in measured["mixed"])
    wrk_us = statistics.median(r["wrk_us"] for r in measured["mixed"])
    out(f"Mixed run (django; all scenarios in turn; CPU per request, medians of "
        f"{len(measured['mixed'])} runs; per request gunicorn's own work {gunicorn_us:.0f} µs, "
        f"wrk's {wrk_us:.0f} µs):")
    out(f"  {'scenario':20} {'in Django µs':>13} {'+ gunicorn + wrk':>17} "
        f"{'capacity × public':>18}")
    for name, row in mixed.items():
        out(f"  {name:20} {row['django_us']:13.0f} {row['total_us']:17.0f} "
            f"{row['vs_public']:18.2f}")
    rows = summarize(measured)
    out(f"Alternating runs ({len(measured['per_round'])} rounds, medians; × public is the "
        f"median of same-round ratios):")
    out(f"  {'server':8} {'scenario':20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'× public':>9} {'server CPU µs/req':>18} {'wrk CPU':>8}")
    for (server, scenario), row in rows.items():
        out(f"  {server:8} {scenario:20} {row['rps']:7.0f} {row['p50_ms']:7.2f} "
            f"{row['p99_ms']:7.2f} {row['vs_public']:9.2f} {row['cpu_us']:18.0f} "
            f"{row['gen_cpu']:7.0%}")
    repeated, unique = ("django", "private (repeated)"), ("django", "private (unique)")
    out("target 3, repeated token >= 0.95× public: mixed-run capacity "
        f"{verdict(mixed['private (repeated)']['vs_public'], 0.95)}, req/s "
        f"{verdict(rows[repeated]['vs_public'], 0.95)}")
    out("target 3, unique tokens >= 0.85× public: mixed-run capacity "
        f"{verdict(mixed['private (unique)']['vs_public'], 0.85)}, req/s "
        f"{verdict(rows[unique]['vs_public'], 0.85)}")
    if "express" in measured["servers"]:
        for scenario in SCENARIOS:
            value = ratio(measured, ("django", scenario), ("express", scenario))
            out(f"django / express req/s, {scenario}: {value:.2f}×"
                + ("  (target 4 aims at >= 0.6×)" if scenario.startswith("private") else ""))
    out(f"JWKS requests: {measured['jwks_fetches']['warm-up']} at warm-up (one per worker / "
        f"process), {measured['jwks_fetches']['timed runs']} during the timed runs")
    for server, rows_ in measured["memory"].items():
        for pid, rss, pss in rows_:
            out(f"memory, warmed {server} process {pid}: RSS {rss / 1024:.1f} MiB, PSS "
                f"{pss / 1024:.1f} MiB" if rss and pss else f"memory, {server} {pid}: n/a")
