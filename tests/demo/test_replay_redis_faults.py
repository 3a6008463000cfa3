"""A Redis replay store that stops or freezes, through a real gunicorn and a real redis-server.

While Redis is down (connection refused) or frozen (SIGSTOP: connections accepted, nothing
answered), DPoP requests get 503 at once from the circuit breaker (only one probe per worker
every 5 s waits, for the 0.25 s socket timeout), Bearer requests are untouched, and the log
says so in a few lines. When Redis is back, DPoP requests succeed again within a pause.
"""
import http.client
import json
import statistics
import threading
import time

import pytest

from tests.dpop_client import DPoPKey
from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER, mint
from tests.processes import RedisServer

WORKERS = 2
OUTAGE_SECONDS = 6.0  # longer than the breaker's pause (5 s): probes happen
DPOP_CLIENTS = 4  # more DPoP clients than workers: without the breaker every worker waits
SOCKET_TIMEOUT = 0.25  # config/settings.py, CACHES["replay"]


@pytest.fixture
def redis_server(tmp_path):
    servers = [RedisServer(tmp_path)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def server(tmp_path, jwks_server, redis_server):
    server = GunicornServer(production_environ(
        tmp_path / "static", WEB_CONCURRENCY=str(WORKERS), DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_LEVEL="INFO", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=jwks_server.url, AUTH0_JWKS_WARMUP="true", AUTH0_DPOP_MODE="allowed",
        CACHE_URL=redis_server[0].url, AUTH0_STATE_DIR=str(tmp_path / "state")), tmp_path)
    yield server.start(timeout=60)
    server.stop()


class Client:
    """Timed requests on fresh connections: ``(status, body, seconds)``."""

    def __init__(self, server, signing_key):
        self.server = server
        self.bearer = mint(signing_key)
        self.key = DPoPKey()
        self.dpop_token = mint(signing_key, cnf={"jkt": self.key.thumbprint()})

    def get(self, headers, phase):
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.request("GET", f"/api/private?phase={phase}", headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), time.monotonic() - started
        finally:
            connection.close()

    def get_bearer(self, phase="warm"):
        return self.get({"Authorization": f"Bearer {self.bearer}"}, phase)

    def get_dpop(self, phase="warm"):
        proof = self.key.proof(htu=self.server.url("/api/private"),
                               access_token=self.dpop_token)
        return self.get({"Authorization": f"DPoP {self.dpop_token}", "DPoP": proof}, phase)


def run_load(client, seconds, phase, bearer=True):
    """DPoP clients (and one Bearer client) side by side for ``seconds``; their results, each
    ``(started, status, body, seconds)`` with ``started`` from the start of the run."""
    dpop, bearer_results = [], []
    start = time.monotonic()

    def loop(call, results):
        while time.monotonic() - start < seconds:
            began = time.monotonic() - start
            results.append((began, *call(phase)))

    threads = [threading.Thread(target=loop, args=(client.get_dpop, dpop))
               for _ in range(DPOP_CLIENTS)]
    if bearer:
        threads.append(threading.Thread(target=loop, args=(client.get_bearer, bearer_results)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return dpop, bearer_results


def assert_recovers(client):
    """Once Redis is back, DPoP requests succeed within the pause (5 s) and a probe, on every
    worker: each worker's breaker probes on its own. Returns the seconds to the first
    success and the number of 503s meanwhile."""
    dpop, _ = run_load(client, 8.0, "recovery", bearer=False)
    first = min(started for started, status, _, _ in dpop if status == 200)
    assert first < 6.5
    assert {status for started, status, _, _ in dpop if started > 7.0} == {200}
    return round(first, 2), sum(1 for _, status, _, _ in dpop if status == 503)


def app_log(server):
    return [json.loads(line) for line in server.app_log().splitlines() if line.startswith("{")]


def baseline(client):
    """The same load with Redis answering: the Bearer latency to compare with."""
    for _ in range(2 * WORKERS):  # both workers serve, and hold their connections to Redis
        assert client.get_bearer()[0] == 200
        assert client.get_dpop()[0] == 200
    dpop, bearer = run_load(client, 3.0, "baseline")
    assert {status for _, status, _, _ in dpop + bearer} == {200}
    return [seconds for _, _, _, seconds in bearer]


def server_durations(server, phase):
    """Milliseconds each request of ``phase`` spent in a worker (gunicorn's access log: time
    in the worker, not in the listen queue)."""
    lines = [json.loads(line) for line in server.access_log().splitlines() if line.strip()]
    return [line["duration_ms"] for line in lines if line.get("query") == f"phase={phase}"]


def assert_outage_handled(server, dpop, bearer, baseline):
    """DPoP: 503 at once (one probe per worker per pause waits the socket timeout); Bearer:
    untouched."""
    unavailable = (b'{"error":"temporarily_unavailable",'
                   b'"message":"Replay protection is temporarily unavailable"}')
    assert dpop and {(status, body) for _, status, body, _ in dpop} == {(503, unavailable)}
    dpop_times = sorted(seconds for _, _, _, seconds in dpop)
    assert statistics.median(dpop_times) < 0.1
    assert dpop_times[-1] < 1.5  # a probe's 0.25 s socket timeout, with room for a busy box
    held = [ms for ms in server_durations(server, "outage") if ms >= 200]
    assert len(held) <= WORKERS * (int(OUTAGE_SECONDS // 5) + 2)  # the probes, no more
    assert bearer and {status for _, status, _, _ in bearer} == {200}
    bearer_times = sorted(seconds for _, _, _, seconds in bearer)
    # Without the breaker every worker is busy waiting on Redis and a Bearer request waits
    # behind them (0.25 s and more); with it, a Bearer request waits as long as under the
    # same load with Redis answering (DPoP 503s cost less than DPoP 200s).
    assert statistics.median(bearer_times) < 1.5 * statistics.median(baseline) + 0.01
    assert bearer_times[-1] < 1.0
    return {"dpop": len(dpop), "dpop_median_ms": round(1000 * statistics.median(dpop_times), 1),
            "dpop_max_ms": round(1000 * dpop_times[-1]), "dpop_held_200ms": len(held),
            "bearer": len(bearer), "bearer_median_ms_redis_up": round(
                1000 * statistics.median(baseline), 1),
            "bearer_median_ms_redis_down": round(1000 * statistics.median(bearer_times), 1),
            "bearer_max_ms": round(1000 * bearer_times[-1])}


def assert_outage_logged(server, refused):
    """Per worker that saw DPoP traffic: one ERROR down, one ERROR back; no ERROR per request,
    and every refused request either has its security line or is counted in a summary."""
    server.stop()  # workers exit and write their pending counts
    entries = app_log(server)
    errors = [e for e in entries if e["level"] == "ERROR"]
    events = sorted(e.get("event", e["logger"]) for e in errors)
    down = [e for e in errors if e.get("event") == "replay_store_down"]
    assert 1 <= len(down) <= WORKERS
    assert events == sorted(["replay_store_down"] * len(down)
                            + ["replay_store_recovered"] * len(down))
    security = [e for e in entries if e["logger"] == "auth0_jwt.security"]
    written = sum(1 for e in security if e.get("reason") == "replay_store_unavailable")
    counted = sum(e["suppressed"].get("replay_store_unavailable", 0) for e in security
                  if e.get("event") == "log_lines_suppressed")
    assert written + counted == refused
    assert written <= 10 * WORKERS  # the rest counted, not written
    # Django's "Service Unavailable" line for each 503: counted only, every one of them.
    responses = [e for e in entries if e["logger"] == "django.request"]
    assert all(e.get("event") == "log_lines_suppressed" for e in responses)
    assert sum(e["suppressed"].get("503", 0) for e in responses) == refused
    assert len(entries) < 100


def test_frozen_redis_gives_fast_503_to_dpop_and_leaves_bearer_untouched(server, redis_server,
                                                                         signing_key):
    client = Client(server, signing_key)
    before = baseline(client)
    redis_server[0].freeze()
    try:
        dpop, bearer = run_load(client, OUTAGE_SECONDS, "outage")
    finally:
        redis_server[0].thaw()
    figures = assert_outage_handled(server, dpop, bearer, before)
    figures["recovered_after_s"], refused_after = assert_recovers(client)
    print("frozen redis:", figures)
    assert_outage_logged(server, refused=len(dpop) + refused_after)


def test_stopped_redis_gives_fast_503_to_dpop_and_recovers_when_restarted(
        server, redis_server, signing_key, tmp_path):
    client = Client(server, signing_key)
    before = baseline(client)
    port = redis_server[0].port
    redis_server[0].stop()
    dpop, bearer = run_load(client, OUTAGE_SECONDS, "outage")
    figures = assert_outage_handled(server, dpop, bearer, before)
    (tmp_path / "again").mkdir()
    redis_server.append(RedisServer(tmp_path / "again", port=port))
    figures["recovered_after_s"], refused_after = assert_recovers(client)
    print("stopped redis:", figures)
    assert_outage_logged(server, refused=len(dpop) + refused_after)
