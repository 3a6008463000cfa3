"""DPoP replay stores: what a write costs, and what a DPoP request costs next to a Bearer one.

    .venv/bin/python -m bench.replay            # about 2 minutes; starts its own redis-server

1. **A store write** (``seen_before`` of a new key), timed as the micro-benchmark is: a loop
   count that makes one repeat >= 0.25 s, the minimum of 5 repeats interleaved across
   variants, the median over 3 rounds that rotate the order. Variants: the SQLite file
   (ours: WAL, ``synchronous=NORMAL``), the same with ``synchronous=FULL``, the file behind
   the circuit breaker, Redis as the "cache" store writes to it (one held client, ``SET
   NX`` on loopback) and through Django's ``cache.add`` (a new client per call), the
   in-process dict; beside them the floor every store pays before it is called (the key's
   SHA-256, as ``dpop.py`` derives it). Each is checked first: a new key is recorded, a
   repeated one is refused.
2. **Requests in process** through ``config.wsgi.application`` (the whole Django + DRF path,
   no HTTP): batches of Bearer requests and of DPoP requests with each store, interleaved
   (Bearer, DPoP file, DPoP memory, DPoP Redis, then rotated), the DPoP/Bearer ratio taken
   batch by batch within a round, the median reported; in wall time and in this thread's
   CPU time (which leaves out what other processes take on a shared machine, and the wait
   for Redis). The same access token each time (a
   token cache hit, as for a client reusing its token); a new proof for each DPoP request,
   made before the batch. Checked first: each answers 200, a replayed proof and a proof with
   a flipped signature byte 401.
   Also the tail of 40,000 single writes, with SQLite's checkpoints inline (its default),
   in our upkeep thread, and none at all (what is left is the machine's own noise).
3. **Where the DPoP time goes**: the parts of a proof's verification timed alone.
"""
import argparse
import hashlib
import io
import itertools
import math
import os
import statistics
import tempfile
import time
import timeit
from pathlib import Path

REPEAT_SECONDS = 0.25
REPEATS = 5
ROUNDS = 3
BATCH = 200
HOST = "testserver"
URL = f"http://{HOST}/api/private"


CLOCKS = ("wall", "cpu")


def loop_count(timed):
    number, seconds = timeit.Timer(timed).autorange()
    return max(1, math.ceil(number * REPEAT_SECONDS / seconds))


def interleaved(table, rounds=ROUNDS, repeats=REPEATS):
    """``{name: {"wall": µs, "cpu": µs}}``, each the median over rounds of the best per call,
    for ``{name: callable}``. CPU time (this thread's) leaves out the time other processes
    take from this one on a shared machine, and the time spent waiting for Redis."""
    counts = {name: loop_count(timed) for name, timed in table.items()}
    names, per_round = list(table), []
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        best = {(name, clock): math.inf for name in names for clock in CLOCKS}
        for _ in range(repeats):
            for name in order:
                for clock, seconds in timed_loop(table[name], counts[name]).items():
                    best[name, clock] = min(best[name, clock], seconds / counts[name] * 1e6)
        per_round.append(best)
    return {name: {clock: statistics.median(r[name, clock] for r in per_round)
                   for clock in CLOCKS} for name in names}


def timed_loop(function, count):
    """``{"wall": s, "cpu": s}`` for ``count`` calls (timeit's loop, with both clocks)."""
    loop = itertools.repeat(None, count)
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in loop:
        function()
    return {"cpu": time.thread_time() - cpu, "wall": time.perf_counter() - wall}


def print_table(title, results, out=print):
    out(f"{title:48} {'µs wall':>9} {'µs CPU':>9}")
    for name, row in results.items():
        out(f"{name:48} {row['wall']:9.1f} {row['cpu']:9.1f}")


# -- the subjects --------------------------------------------------------------------------------


def start_redis(folder):
    from tests.processes import RedisServer

    return RedisServer(folder)


REDIS_ALIAS = "bench-replay-redis"


def redis_cache(url):
    """Django's Redis cache as the project configures it for the replay store."""
    from django.conf import settings
    from django.core.cache import caches

    settings.CACHES[REDIS_ALIAS] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}}
    return caches[REDIS_ALIAS]


def held_redis_cache(url):
    """The same cache as the "cache" replay store uses it (``runtime.replay_cache``)."""
    from auth0_jwt._ops.runtime import replay_cache

    redis_cache(url)
    return replay_cache(REDIS_ALIAS)


def stores(folder, redis_url):
    """name -> a replay store; each checked: a new key recorded, a repeated one refused."""
    from auth0_jwt._core.replay import CacheReplayStore, InProcessReplayStore
    from auth0_jwt._core.replay_guard import GuardedReplayStore
    from auth0_jwt._core.replay_sqlite import SQLiteReplayStore

    full = SQLiteReplayStore(folder / "full.sqlite3")
    full.seen_before("open", 71)
    full._local.connection.execute("PRAGMA synchronous = FULL")
    table = {
        "sqlite file, WAL + synchronous=NORMAL (ours)": SQLiteReplayStore(folder / "a.sqlite3"),
        "sqlite file, WAL + synchronous=FULL": full,
        "sqlite file behind the circuit breaker": GuardedReplayStore(
            SQLiteReplayStore(folder / "b.sqlite3"), name="file"),
        "redis, one held client (ours: SET NX, loopback)": CacheReplayStore(
            held_redis_cache(redis_url)),
        "redis, Django's cache.add (a client per call)": CacheReplayStore(redis_cache(redis_url)),
        "in-process dict": InProcessReplayStore(),
    }
    for name, store in table.items():
        key = f"check-{os.urandom(8).hex()}"
        if store.seen_before(key, 71) is not False or store.seen_before(key, 71) is not True:
            raise SystemExit(f"{name} does not record keys once: not timed")
    return table


def store_writes(folder, redis_url, out=print):
    counter = itertools.count()
    table = {name: (lambda store=store: store.seen_before(str(next(counter)), 71))
             for name, store in stores(folder, redis_url).items()}
    table["floor: the key's SHA-256 (before any store)"] = lambda: hashlib.sha256(
        f"thumbprint:{next(counter)}".encode()).hexdigest()
    results = interleaved(table)
    print_table("store write (a new key)", results, out)
    return results


def write_latency(folder, writes=40_000, out=print):
    """The tail of single writes: SQLite's checkpoint (with its ``fsync``) done inline by the
    write that fills the WAL (SQLite's default) against ours, done by the upkeep thread."""
    from auth0_jwt._core.replay_sqlite import SQLiteReplayStore

    inline = SQLiteReplayStore(folder / "inline.sqlite3", upkeep_interval=None)
    inline.seen_before("open", 71)
    inline._local.connection.execute("PRAGMA wal_autocheckpoint = 1000")  # SQLite's default
    never = SQLiteReplayStore(folder / "never.sqlite3", upkeep_interval=None)
    never.seen_before("open", 71)
    never._local.connection.execute("PRAGMA wal_autocheckpoint = 0")
    table = {"inline checkpoints (SQLite's default)": inline,
             "checkpoints in the upkeep thread (ours)": SQLiteReplayStore(folder / "ours.sqlite3"),
             "no checkpoint at all (this machine's floor)": never}
    out(f"{'single writes, ' + str(writes) + ' each':48} {'p50 µs':>8} {'p99 µs':>8} "
        f"{'p99.9 µs':>9} {'max µs':>8}")
    for name, store in table.items():
        times = []
        for i in range(writes):
            started = time.perf_counter()
            store.seen_before(f"{name}-{i}", 71)
            times.append((time.perf_counter() - started) * 1e6)
        times.sort()
        out(f"{name:48} {times[writes // 2]:8.0f} {times[writes * 99 // 100]:8.0f} "
            f"{times[writes * 999 // 1000]:9.0f} {times[-1]:8.0f}")


# -- requests in process ---------------------------------------------------------------------------


def setup_django(folder, jwks_url):
    from tests.keys import AUDIENCE, ISSUER

    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50, "DJANGO_ALLOWED_HOSTS": HOST,
        "AUTH0_ISSUER": ISSUER, "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks_url,
        "AUTH0_DPOP_MODE": "allowed", "AUTH0_STATE_DIR": str(folder / "state"),
        "DJANGO_LOG_LEVEL": "ERROR"})
    for name in ("CACHE_URL", "AUTH0_DPOP_REPLAY_STORE"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from config.wsgi import application

    return application


def environ(token, scheme="Bearer", proof=None):
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/private", "QUERY_STRING": "",
           "SERVER_NAME": HOST, "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
           "HTTP_HOST": HOST, "HTTP_AUTHORIZATION": f"{scheme} {token}",
           "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
           "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False}
    if proof is not None:
        env["HTTP_DPOP"] = proof
    return env


def call(application, env):
    status = []
    response = application(env, lambda s, headers, exc_info=None: status.append(s))
    try:
        for _ in response:
            pass
    finally:
        response.close()
    return int(status[0][:3])


class Requests:
    """Bearer and DPoP requests against ``application``, the replay store switchable."""

    def __init__(self, application, signing_key, request_stores):
        from auth0_jwt._ops.runtime import get_proof_verifier
        from tests.dpop_client import DPoPKey
        from tests.keys import mint

        self.application = application
        self.verifier = get_proof_verifier()
        self.stores = request_stores
        self.key = DPoPKey()
        self.bearer = mint(signing_key)
        self.dpop = mint(signing_key, cnf={"jkt": self.key.thumbprint()})

    def proofs(self, count):
        return [self.key.proof(htu=URL, access_token=self.dpop) for _ in range(count)]

    def check(self):
        from tests.keys import b64url

        assert call(self.application, environ(self.bearer)) == 200
        for name, store in self.stores.items():
            self.verifier.replay_store = store
            proof = self.proofs(1)[0]
            assert call(self.application, environ(self.dpop, "DPoP", proof)) == 200, name
            assert call(self.application, environ(self.dpop, "DPoP", proof)) == 401, name
            head, payload, signature = self.proofs(1)[0].split(".")
            flipped = b64url(bytes([signature.encode()[0] ^ 1]) + b"x")  # a bad signature
            bad = f"{head}.{payload}.{flipped}"
            assert call(self.application, environ(self.dpop, "DPoP", bad)) == 401, name

    def bearer_batch(self, count):
        return self.batch([environ(self.bearer) for _ in range(count)])

    def dpop_batch(self, store, count):
        self.verifier.replay_store = self.stores[store]
        return self.batch([environ(self.dpop, "DPoP", proof) for proof in self.proofs(count)])

    def batch(self, envs):
        """``{"wall": µs, "cpu": µs}`` per request over ``envs``."""
        wall, cpu = time.perf_counter(), time.thread_time()
        for env in envs:
            call(self.application, env)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        return {"wall": wall / len(envs) * 1e6, "cpu": cpu / len(envs) * 1e6}


def request_ratios(requests, rounds, out=print):
    names = ["bearer"] + [f"dpop: {name}" for name in requests.stores]
    us = {(name, clock): [] for name in names for clock in CLOCKS}
    ratios = {(name, clock): [] for name in names for clock in CLOCKS}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        batch = {}
        for name in order:
            batch[name] = (requests.bearer_batch(BATCH) if name == "bearer"
                           else requests.dpop_batch(name[6:], BATCH))
        for name in names:
            for clock in CLOCKS:
                us[name, clock].append(batch[name][clock])
                ratios[name, clock].append(batch[name][clock] / batch["bearer"][clock])
    out(f"{'request, in process (' + str(BATCH) + ' per batch)':48} {'µs wall':>9} "
        f"{'× Bearer':>9} {'µs CPU':>9} {'× Bearer':>9}")
    for name in names:
        out(f"{name:48} " + " ".join(
            f"{statistics.median(us[name, clock]):9.1f} "
            f"{statistics.median(ratios[name, clock]):9.2f}" for clock in CLOCKS))
    return us, ratios


# -- where the DPoP time goes -----------------------------------------------------------------------


def proof_parts(requests, out=print):
    """The pieces of one proof's verification, timed alone."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from auth0_jwt._core import uris
    from auth0_jwt._core.dpop import ProofVerifier, access_token_hash
    from auth0_jwt._core.encoding import b64url_decode, json_object
    from auth0_jwt._core.proof_keys import ProofKey, jwk_thumbprint

    class NoStore:
        def seen_before(self, key, ttl):
            return False

    verifier = ProofVerifier(algorithms=["ES256"], replay_store=NoStore())
    proof = requests.proofs(1)[0]
    head, payload, signature = proof.split(".")
    header = json_object(head, "header")
    key = ProofKey(header["jwk"], "ES256")
    public, raw = key._key, b64url_decode(signature)
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signing_input = f"{head}.{payload}".encode()
    jkt = requests.key.thumbprint()
    table = {
        "whole proof verification, no store": lambda: verifier.verify(
            proof, method="GET", uri=URL, access_token=requests.dpop, jkt=jkt),
        "ES256 verify alone (cryptography, the floor)": lambda: public.verify(
            der, signing_input, ec.ECDSA(hashes.SHA256())),
        "key from the proof's jwk (ProofKey)": lambda: ProofKey(header["jwk"], "ES256"),
        "header + payload JSON (json_object x2)": lambda: (json_object(head, "header"),
                                                           json_object(payload, "payload")),
        "RFC 7638 thumbprint": lambda: jwk_thumbprint(header["jwk"]),
        "htu normalised, both sides": lambda: (uris.normalize(URL), uris.normalize(URL)),
        "ath: SHA-256 of the access token": lambda: access_token_hash(requests.dpop),
    }
    results = interleaved(table)
    print_table("part of a DPoP proof check", results, out)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="request batches per variant")
    args = parser.parse_args(argv)
    from bench.common import new_key, start_jwks

    folder = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    signing_key = new_key()
    jwks = start_jwks(signing_key)
    redis = start_redis(folder)
    try:
        application = setup_django(folder, jwks.url)
        print(f"DPoP replay stores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} CPUs, store files in {folder} (same disk as the project)")
        store_writes(folder, redis.url)
        write_latency(folder)
        request_stores = {name: store for name, store in stores(folder, redis.url).items()
                          if "FULL" not in name and "breaker" not in name
                          and "cache.add" not in name}
        from auth0_jwt._core.replay_guard import GuardedReplayStore
        request_stores = {
            "file": GuardedReplayStore(request_stores[next(n for n in request_stores
                                                           if "ours" in n)], name="file"),
            "memory": request_stores["in-process dict"],
            "redis": GuardedReplayStore(request_stores[next(n for n in request_stores
                                                            if "redis" in n)], name="cache"),
        }
        requests = Requests(application, signing_key, request_stores)
        requests.check()
        request_ratios(requests, args.rounds)
        proof_parts(requests)
    finally:
        redis.stop()
        jwks.stop()


if __name__ == "__main__":
    main()
