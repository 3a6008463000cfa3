"""A tenant that hangs, dribbles, fails, comes back and rotates its keys, seen through the
production command: real gunicorn sync workers, a real loopback JWKS server, real HTTP, and a
real redis-server where the key set is shared.

Every request is tagged in its query string, so gunicorn's JSON access log tells which worker
answered it. Load runs in client threads for a few seconds, bounded in time and requests.
Bounds asserted (docs/verification.md): no request waits on the tenant for more than
``JWKS_WAIT`` (1 s), once per worker per outage; every worker serves again within 2 s of the
tenant's return; a rotation done as documented refuses no valid token; an outage is one ERROR
line per worker.
"""
import collections
import http.client
import itertools
import json
import threading
import time

import pytest

from tests.gunicorn_server import GunicornServer, production_environ
from tests.hostile import FaultyJWKSServer
from tests.keys import AUDIENCE, ISSUER, SigningKey, mint
from tests.processes import RedisServer, free_port, wait_for

WORKERS = 2
MAX_REQUESTS = 4000  # per traffic run; the time bound normally stops it first


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def gunicorn(tmp_path):
    """Start ``config/gunicorn.conf.py`` with JSON logs and these AUTH0_* variables."""
    started = []

    def start(jwks_url, **env):
        log_dir = tmp_path / f"gunicorn-{len(started)}"
        log_dir.mkdir()
        server = GunicornServer(production_environ(
            log_dir / "static", WEB_CONCURRENCY=str(WORKERS), DJANGO_LOG_FORMAT="json",
            DJANGO_LOG_LEVEL="INFO", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
            AUTH0_JWKS_URL=jwks_url, **env), log_dir)
        started.append(server)
        return server.start(timeout=60)

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def tenant():
    servers = []

    def start(port=0, *keys):
        server = FaultyJWKSServer(port).start()
        server.serve_keys(*(key.jwk() for key in keys))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Traffic:
    """Client threads sending GET ``path`` with ``self.token`` until stopped (or bounded).

    Each answer is recorded as ``{tag, sent, done, status, error}``; ``tag`` is in the query
    string, so ``worker_of`` can read the worker's pid from the access log.
    """

    def __init__(self, server, token=None, path="/api/private", clients=4, pause=0.02):
        self.server, self.token, self.path, self.pause = server, token, path, pause
        self.records, self.lock = [], threading.Lock()
        self.tags = itertools.count()
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(30)

    def run(self):
        while not self.stopped.is_set() and len(self.records) < MAX_REQUESTS:
            tag = f"{self.path.strip('/')}-{next(self.tags)}"
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            sent = time.monotonic()
            status, error = None, None
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            try:
                connection.request("GET", f"{self.path}?t={tag}", headers=headers)
                response = connection.getresponse()
                status, body = response.status, response.read()
                if status == 503:
                    assert json.loads(body)["error"] == "temporarily_unavailable"
                    assert response.getheader("Retry-After")
            except OSError as exc:
                error = type(exc).__name__
            finally:
                connection.close()
            with self.lock:
                self.records.append({"tag": tag, "sent": sent, "done": time.monotonic(),
                                     "status": status, "error": error})
            self.stopped.wait(self.pause)

    def statuses(self, since=0.0):
        return collections.Counter(r["status"] or r["error"] for r in self.records
                                   if r["sent"] >= since)

    def slowest(self, since=0.0):
        return max((r["done"] - r["sent"] for r in self.records if r["sent"] >= since),
                   default=0.0)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def worker_of(server, records):
    """``{tag: pid}`` from the access log, once every record's line has been written."""
    tags = {r["tag"] for r in records}

    def logged():
        return {line["query"][2:]: line["pid"] for line in json_lines(server.access_log())
                if line.get("logger") == "gunicorn.access" and line.get("query", "")[2:] in tags}

    wait_for(lambda: len(logged()) == len(tags), "access log lines", timeout=10)
    return logged()


def app_lines(server, level=None, logger=None):
    return [line for line in json_lines(server.app_log())
            if (level is None or line["level"] == level)
            and (logger is None or line["logger"] == logger)]


# -- a tenant that hangs or dribbles its headers --------------------------------------------

HANG_TIMEOUT = 3  # AUTH0_JWKS_TIMEOUT: each fetch gives up after 3 s
FAULTS = {"hang": lambda server: setattr(server, "hang", True),
          # One byte a second, as in the review: held a request 25 s with JWKS_TIMEOUT=2.
          "dribbled-headers": lambda server: setattr(server, "dribble_headers", 1.0)}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_stuck_tenant_holds_no_request_past_the_bounded_wait_and_once_per_worker(
        fault, gunicorn, tenant, signing_key):
    jwks = tenant(0, signing_key)
    FAULTS[fault](jwks)
    server = gunicorn(jwks.url, AUTH0_JWKS_TIMEOUT=str(HANG_TIMEOUT))
    valid = mint(signing_key)
    with Traffic(server, valid) as api, Traffic(server, path="/healthz", clients=1,
                                                pause=0.1) as probes:
        started = time.monotonic()
        time.sleep(6)  # the first fetches give up at 3 s; their retries start at about 4 s
    # Every valid token is a retryable 503 while no key can be fetched; none waits long.
    assert set(api.statuses()) == {503}, api.statuses()
    assert api.slowest() < 2.5  # JWKS_WAIT is 1 s (plus a queue behind the one waiting)
    assert set(probes.statuses()) == {200}
    assert probes.slowest() < 2.5
    # After each worker's one bounded wait, no request waits on the tenant again: not for the
    # fetches still hanging, not for their retries.
    assert api.slowest(since=started + 2.0) < 0.75, api.statuses(since=started + 2.0)
    assert probes.slowest(since=started + 2.0) < 0.75
    assert len(api.records) > 100
    # Each fetch ended at its deadline: the server saw every connection given up in time
    # (a dribbling server notices at one of its next bytes, a second apart).
    wait_for(lambda: len(jwks.abandoned) >= WORKERS, "abandoned fetches", timeout=10)
    assert max(jwks.abandoned) < HANG_TIMEOUT + 2.5, jwks.abandoned
    # One ERROR per worker for the outage, none per request.
    errors = app_lines(server, level="ERROR")
    assert [line["logger"] for line in errors] == ["auth0_jwt.jwks"] * WORKERS, errors
    assert len({line["pid"] for line in errors}) == WORKERS
    print(f"\n[{fault}] {len(api.records)} requests {dict(api.statuses())}: slowest "
          f"{api.slowest():.2f} s (after the first 2 s: {api.slowest(started + 2.0):.2f} s); "
          f"/healthz slowest {probes.slowest():.2f} s; fetches given up after "
          f"{', '.join(f'{t:.1f}' for t in jwks.abandoned)} s; ERROR lines {len(errors)}")


# -- a tenant that comes back ---------------------------------------------------------------

RETURNS = {
    "down": "nothing listens on the JWKS port until the tenant returns",
    "failing": "the JWKS server answers 500 until the tenant returns",
}


@pytest.mark.parametrize("outage", RETURNS)
def test_every_worker_serves_within_two_seconds_of_the_tenants_return(
        outage, gunicorn, tenant, signing_key):
    port = free_port()
    jwks = None
    if outage == "failing":
        jwks = tenant(port, signing_key)
        jwks.status = 500
    server = gunicorn(f"http://127.0.0.1:{port}/.well-known/jwks.json",
                      AUTH0_JWKS_WARMUP="true")  # each worker's warm-up fails at boot
    valid = mint(signing_key)
    with Traffic(server, valid) as api:
        time.sleep(3)  # well into the outage: retries have run, and failed
        if jwks is None:
            jwks = tenant(port, signing_key)
        else:
            jwks.status = 200
        returned = time.monotonic()
        time.sleep(3)
    before = [r for r in api.records if r["done"] < returned]
    assert before and {r["status"] for r in before} == {503}
    pids = worker_of(server, api.records)
    first_success = {}
    for record in sorted(api.records, key=lambda r: r["done"]):
        if record["status"] == 200:
            first_success.setdefault(pids[record["tag"]], record["done"] - returned)
    assert len(first_success) == WORKERS, first_success
    assert max(first_success.values()) < 2.0, first_success
    for record in api.records:  # once a worker serves again, it keeps serving
        pid = pids[record["tag"]]
        if record["sent"] - returned > first_success[pid] + 0.5:
            assert record["status"] == 200, record
    # The outage in each worker's log: one ERROR when it started, one line when it ended.
    errors = app_lines(server, level="ERROR")
    assert [line["message"].split(":")[0] for line in errors] == ["JWKS fetch failed"] * WORKERS
    back = [line for line in app_lines(server, logger="auth0_jwt.jwks")
            if line.get("event") == "dependency_back"]
    assert sorted(line["pid"] for line in back) == sorted(first_success)
    refused = sum(1 for r in api.records if r["status"] == 503)
    assert refused > 10 * WORKERS  # many refused requests, yet one ERROR line per worker
    print(f"\n[{outage}] workers serving again "
          f"{', '.join(f'{t:.2f}' for t in sorted(first_success.values()))} s after the "
          f"tenant's return; {refused} requests answered 503, {len(errors)} ERROR lines")


# -- a rotation done as documented ----------------------------------------------------------

COOLDOWN = 2  # AUTH0_JWKS_REFETCH_COOLDOWN, short so that the test is
MARGIN = 1  # docs/deployment.md: publish the new key a cooldown plus a margin ahead


@pytest.mark.parametrize("hup", [False, True], ids=["no-hup", "hup"])
@pytest.mark.parametrize("shared", [False, True], ids=["per-process", "redis"])
def test_a_documented_rotation_refuses_no_valid_token(shared, hup, gunicorn, tenant,
                                                      redis_server):
    old_key, new_key = SigningKey("rotation-old"), SigningKey("rotation-new")
    jwks = tenant(0, old_key)
    env = {"AUTH0_JWKS_WARMUP": "true", "AUTH0_JWKS_REFETCH_COOLDOWN": str(COOLDOWN)}
    if shared:
        redis_server_flush(redis_server)
        env["CACHE_URL"] = redis_server.url
    server = gunicorn(jwks.url, **env)
    with Traffic(server, mint(old_key)) as api:
        time.sleep(1)
        jwks.serve_keys(old_key.jwk(), new_key.jwk())  # 1. publish the next key
        published = time.monotonic()
        if hup:  # new workers; with Redis they load the copy fetched before the publication
            time.sleep(0.3)
            reload_and_wait(server)
        time.sleep(max(0.0, published + COOLDOWN + MARGIN - time.monotonic()))
        switched = time.monotonic()
        api.token = mint(new_key)  # 2. sign with it, a cooldown and a margin later
        time.sleep(2.5)
    statuses = api.statuses()
    assert statuses[401] == 0, statuses  # never "invalid token" for a valid one
    assert set(statuses) <= {200, 503}, statuses  # at worst a retryable 503: one per worker
    assert statuses[503] <= WORKERS, statuses  # if its fetch outlasted the 1 s wait
    after = [r for r in api.records if r["sent"] > switched + 0.2]
    pids = worker_of(server, after)
    assert len({pids[r["tag"]] for r in after}) == WORKERS  # every worker took new tokens
    if shared and hup:  # the situation of the review: a stale copy loaded after the HUP
        loads = [line for line in app_lines(server, logger="auth0_jwt.jwks")
                 if line["message"].startswith("JWKS shared copy loaded")]
        assert loads, server.app_log()[-3000:]
    print(f"\n[{'redis' if shared else 'per-process'}, {'hup' if hup else 'no hup'}] "
          f"{len(api.records)} requests {dict(statuses)}; {len(after)} with the new key")


def redis_server_flush(redis_server):
    import socket

    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        assert sock.recv(16).startswith(b"+OK")


def reload_and_wait(server):
    """HUP, then wait until the new workers booted and the old ones exited."""
    before = server.booted_workers()
    server.reload()
    wait_for(lambda: len(server.booted_workers()) >= len(before) + WORKERS, "new workers",
             timeout=30)
    wait_for(lambda: all(f"Worker exiting (pid: {pid})" in server.app_log() for pid in before),
             "old workers exiting", timeout=30)
    # The new workers warm up (post_worker_init) before they take requests.
    wait_for(lambda: server.app_log().count("JWKS warm-up done in ") >= 2 * WORKERS,
             "warm-up of the new workers", timeout=30)
