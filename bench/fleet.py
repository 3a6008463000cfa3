"""One HTTP run: start every server, check each, warm them up, run the sections, stop them.

Servers (each a production gunicorn command with ``WORKERS`` sync workers, except Express):

- ``ours`` and ``ours (A/A)``: the project, twice: the A/A pair shows the noise floor;
- ``ours, access log off``: the same with ``bench/gunicorn_no_access_log.conf.py``;
- ``authlib``, ``simplejwt``, ``pyjwt``: the peers, run by the peers' virtualenv;
- ``express``: the Express quickstart, one node process;
- ``ours, DPoP`` and ``ours, DPoP + Redis``: ``AUTH0_DPOP_MODE=allowed`` with the default
  replay store, and with ``CACHE_URL`` on a redis-server started here.
"""
import shutil
import tempfile
from pathlib import Path

from . import load, servers
from .common import AUDIENCE, ISSUER, new_key, start_jwks
from .loadgen import load_generator
from .servers import Express, Gunicorn, Redis

OURS, AA = "ours", "ours (A/A)"
NO_ACCESS_LOG = "ours, access log off"
PEERS = ("authlib", "simplejwt", "pyjwt")
DPOP, DPOP_REDIS = "ours, DPoP", "ours, DPoP + Redis"


def django_env(jwks_url, stats_dir, **extra):
    """The production variables that apply on loopback; everything else keeps its default."""
    return {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "AUTH0_ISSUER": ISSUER,
            "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks_url,
            "AUTH0_TOKEN_CACHE_SIZE": str(load.CACHE_SIZE), "BENCH_STATS_DIR": str(stats_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings", **extra}


class Fleet:
    def __init__(self, workdir, out):
        self.workdir, self.out, self.servers, self.redis = Path(workdir), out, {}, None

    def start(self, jwks_url, peers_python, express, dpop_stores=("default", "redis")):
        """Launch every server, then wait for each (they boot in parallel)."""
        out, workdir = self.out, self.workdir
        if "redis" in dpop_stores:
            self.redis = Redis(workdir) if Redis.available() else None
            if self.redis is None:
                out("redis-server not found: the DPoP + Redis variant is skipped")
        ours = dict(AUTH0_JWKS_WARMUP="true")
        self._gunicorn(OURS, jwks_url, ours)
        self._gunicorn(AA, jwks_url, ours)
        self._gunicorn(NO_ACCESS_LOG, jwks_url, ours, config="bench/gunicorn_no_access_log.conf.py")
        for peer in PEERS if peers_python else ():
            self._gunicorn(peer, jwks_url, {"DJANGO_SETTINGS_MODULE": "bench.peers.settings",
                                            "BENCH_PEER": peer}, python=peers_python)
        dpop = dict(ours, AUTH0_DPOP_MODE="allowed")
        if "default" in dpop_stores:
            self._gunicorn(DPOP, jwks_url, dpop)
        if self.redis:
            self._gunicorn(DPOP_REDIS, jwks_url, dict(dpop, CACHE_URL=self.redis.url))
        if express and servers.install_express(out):
            self.servers["express"] = Express("express", workdir, {
                "ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "JWKS_URL": jwks_url}).launch()
        for server in self.servers.values():
            server.wait_ready()

    def _gunicorn(self, name, jwks_url, extra, python=None, **options):
        stats_dir = self.workdir / f"stats-{len(self.servers)}"
        stats_dir.mkdir()
        server = Gunicorn(name, self.workdir, django_env(jwks_url, stats_dir, **extra), python,
                          **options)
        server.stats_dir = stats_dir
        self.servers[name] = server.launch()

    def get(self, *names):
        return [self.servers[name] for name in names if name in self.servers]

    def stop(self):
        for server in self.servers.values():
            server.stop()
        if self.redis:
            self.redis.stop()


def express_runs(ours, twin, express):
    """Ours and Express on every Express scenario; the A/A twin on two, for the noise floor."""
    return ([(ours, s) for s in load.EXPRESS_SCENARIOS] + [(express, s) for s in
            load.EXPRESS_SCENARIOS] + [(twin, "public"), (twin, "private (repeated)")])


def measure(rounds=5, seconds=2, dpop_seconds=3, peers_python=None, express=True,
            dpop_stores=("default", "redis"), out=print):
    """Start everything, check and warm up, run the three sections; return the raw results."""
    workdir = tempfile.mkdtemp(prefix="auth0-bench-")
    generator = load_generator(out)
    key = new_key()
    jwks = start_jwks(key)
    fleet = None
    try:
        out(f"minting {load.UNIQUE_TOKENS} distinct tokens ...")
        tokens = load.Tokens(key, workdir, load.UNIQUE_TOKENS)
        out("starting the servers ...")
        fleet = Fleet(workdir, out)
        fleet.start(jwks.url, peers_python, express, dpop_stores)
        compared = fleet.get(OURS, AA, *PEERS, NO_ACCESS_LOG)
        dpop_servers = fleet.get(DPOP, DPOP_REDIS)
        express_servers = fleet.get(OURS, AA, "express")
        for server in compared:
            load.check_server(server, tokens, load.MIX, servers.request)
        for server in dpop_servers:
            load.check_server(server, tokens, load.DPOP_MIX, servers.request)
        express_server = fleet.get("express")
        for server in express_server:
            load.check_server(server, tokens, load.EXPRESS_SCENARIOS + ["401"], servers.request)
        warmup = min(seconds, 2)
        out(f"warm-up: every server, every scenario, {warmup} s each ...")
        for server in compared + dpop_servers + express_server:
            mix = (load.DPOP_MIX if server in dpop_servers else
                   load.EXPRESS_SCENARIOS if server.kind == "express" else load.MIX)
            load.run_plan(generator, server, tokens, mix, warmup, workdir)
        warmup_fetches = jwks.hits
        out(f"peers: {rounds} rounds x {len(compared)} servers x (mixed run + protected-only "
            f"run) x {seconds} s")
        peers = load.peer_rounds(generator, compared, tokens, rounds, seconds, workdir, out)
        express_rounds = None
        if express_server:
            runs = express_runs(*express_servers)
            out(f"ours vs Express: {rounds} rounds x {len(runs)} runs (and two of the A/A twin)"
                f" x {seconds} s")
            express_rounds = load.alternating_rounds(generator, runs, tokens, rounds, seconds,
                                                     workdir, out)
        out(f"DPoP: {rounds} rounds x {len(dpop_servers)} servers x {dpop_seconds} s")
        dpop = load.dpop_rounds(generator, dpop_servers, tokens, rounds, dpop_seconds, workdir,
                                out)
        return {"peers": peers, "express": express_rounds, "dpop": dpop,
                "generator": generator.name,
                "memory": {name: s.memory() for name, s in fleet.servers.items()},
                "jwks_fetches": {"warm-up": warmup_fetches, "timed": jwks.hits - warmup_fetches}}
    finally:
        if fleet:
            fleet.stop()
        jwks.stop()
        shutil.rmtree(workdir, ignore_errors=True)
