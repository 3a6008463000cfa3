"""HTTP load: the Django API under gunicorn (and the Express reference) on loopback.

Both servers verify tokens against one JWKS server on 127.0.0.1 (started here). Scenarios:

- ``public``: ``GET /api/public``, no token;
- ``private (repeated)``: ``GET /api/private``, the same valid token every time;
- ``private (unique)``: ``GET /api/private``, pre-minted valid tokens taken in order across all
  runs; there are more of them than the workers' caches together hold many times over, so an
  LRU cache never has the token (each repeat comes after >= 2 x cache size other tokens);
- ``401``: ``GET /api/private`` with a token whose signature has one byte flipped.

Method (/work/shared/BENCHMARKING.md, "ABAB"): each round runs every (server, scenario) for a
few seconds in an order that rotates from round to round; ratios are taken within a round and
the median over rounds is reported, with the median req/s, p50 and p99.
"""
import os
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
from .loadgen import load_generator

ROOT = Path(__file__).resolve().parent.parent
EXPRESS_DIR = Path(__file__).with_name("express")
WORKERS = 2
CONNECTIONS = 16
CACHE_SIZE = 1024  # the default TOKEN_CACHE_SIZE, set explicitly for the server
UNIQUE_TOKENS = 4 * CACHE_SIZE * WORKERS
SCENARIOS = ("public", "private (repeated)", "private (unique)", "401")
EXPECTED = {"public": 200, "private (repeated)": 200, "private (unique)": 200, "401": 401}


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
                "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "config.wsgi"]

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
    from shutil import which
    return which(name)


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
        self.offsets = {}

    def for_scenario(self, scenario):
        return {"public": None, "private (repeated)": self.files["repeated"],
                "private (unique)": self.files["unique"], "401": self.files["bad"]}[scenario]


def path_of(scenario):
    return "/api/public" if scenario == "public" else "/api/private"


def check_servers(servers, tokens):
    """Each scenario answers as expected before anything is timed."""
    samples = {"public": None, "private (repeated)": tokens.repeated,
               "private (unique)": tokens.unique[-1], "401": tokens.bad}
    for server in servers:
        for scenario, token in samples.items():
            status = status_of(server.port, path_of(scenario), token)
            if status != EXPECTED[scenario]:
                raise RuntimeError(f"{server.name} {scenario}: status {status}, expected "
                                   f"{EXPECTED[scenario]}: nothing timed")


def run_one(generator, server, scenario, tokens, seconds):
    key = (server.name, scenario)
    offset = tokens.offsets.get(key, 0)
    cpu_before = server.cpu_seconds()
    result = generator.run(server.port, path_of(scenario), tokens.for_scenario(scenario), offset,
                           seconds, CONNECTIONS)
    result["server_cpu_s"] = server.cpu_seconds() - cpu_before
    tokens.offsets[key] = offset + result["requests"]
    expected_errors = result["requests"] if EXPECTED[scenario] >= 400 else 0
    if result["status_errors"] != expected_errors or result["socket_errors"]:
        raise RuntimeError(f"{server.name} {scenario}: unexpected statuses or socket errors "
                           f"{result}")
    result["rps"] = result["requests"] / result["seconds"]
    return result


def measure(rounds=5, seconds=3, express=True, out=print):
    """Run the rounds; return the per-round results and what the report needs."""
    workdir = tempfile.mkdtemp(prefix="auth0-bench-")
    generator = load_generator(out)
    out(f"load generator: {generator.name}, 1 thread, {CONNECTIONS} connections, "
        f"{seconds} s per run, {rounds} rounds")
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
            "AUTH0_TOKEN_CACHE_SIZE": str(CACHE_SIZE), "DJANGO_SETTINGS_MODULE": "config.settings"}))
        if express and install_express(out):
            node = Express(workdir)
            servers.append(node.start({"PORT": str(node.port), "ISSUER": ISSUER,
                                       "AUDIENCE": AUDIENCE, "JWKS_URL": jwks.url}))
        check_servers(servers, tokens)
        runs = [(server, scenario) for server in servers for scenario in SCENARIOS]
        for server, scenario in runs:  # warm-up: every worker has its keys and code paths
            run_one(generator, server, scenario, tokens, 1)
        fetches_after_warmup = jwks.hits
        per_round = []
        for r in range(rounds):
            order = runs[r % len(runs):] + runs[:r % len(runs)]
            results = {(s.name, scenario): run_one(generator, s, scenario, tokens, seconds)
                       for s, scenario in order}
            per_round.append(results)
            out(f"  round {r + 1}/{rounds}: " + ", ".join(
                f"{n} {sc} {res['rps']:.0f}" for (n, sc), res in results.items()
                if sc in ("public", "private (repeated)")) + " req/s")
        return {"per_round": per_round, "servers": [s.name for s in servers],
                "memory": {s.name: s.memory() for s in servers},
                "jwks_fetches": {"warm-up": fetches_after_warmup,
                                 "timed runs": jwks.hits - fetches_after_warmup},
                "generator": generator.name, "seconds": seconds}
    finally:
        for server in servers:
            server.stop()
        jwks.stop()


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


def report(measured, out=print):
    rows = summarize(measured)
    out(f"{'server':8} {'scenario':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'× public':>9} {'server CPU µs/req':>18} {'wrk CPU':>8}")
    for (server, scenario), row in rows.items():
        out(f"{server:8} {scenario:20} {row['rps']:8.0f} {row['p50_ms']:8.2f} "
            f"{row['p99_ms']:8.2f} {row['vs_public']:9.2f} {row['cpu_us']:18.0f} "
            f"{row['gen_cpu']:7.0%}")
    django = ("django", "private (repeated)"), ("django", "private (unique)")
    repeated = rows[django[0]]["vs_public"]
    unique = rows[django[1]]["vs_public"]
    out(f"target 3, repeated token >= 0.95× public: {repeated:.2f}× "
        f"({'met' if repeated >= 0.95 else 'NOT met'}); unique tokens >= 0.85× public: "
        f"{unique:.2f}× ({'met' if unique >= 0.85 else 'NOT met'})")
    if "express" in measured["servers"]:
        for scenario in ("public", "private (repeated)", "private (unique)"):
            value = ratio(measured, ("django", scenario), ("express", scenario))
            out(f"django / express, {scenario}: {value:.2f}×"
                + ("  (target 4 aims at >= 0.6×)" if scenario == "private (repeated)" else ""))
    out(f"JWKS requests: {measured['jwks_fetches']['warm-up']} at warm-up (one per worker / "
        f"process), {measured['jwks_fetches']['timed runs']} during the timed runs")
    for server, rows_ in measured["memory"].items():
        for pid, rss, pss in rows_:
            out(f"memory, {server} pid {pid}: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB"
                if rss and pss else f"memory, {server} pid {pid}: unavailable")
