"""Replays across processes: real gunicorn workers, a real redis-server, real HTTP on loopback.

Each round sends one proof many times at once over separate connections; gunicorn's access log
tells which worker served each request, so a round counts only when several workers served it.
"""

import json
import threading
import uuid

import pytest

from tests import raw_http
from tests.dpop_client import DPoPKey
from tests.keys import AUDIENCE, ISSUER, mint
from tests.gunicorn_server import GunicornServer, production_environ
from tests.processes import RedisServer, wait_for

ATTEMPTS = 12  # same proof, concurrently, per round
MAX_ROUNDS = 25  # rounds until both workers took part (nearly always the first; a loaded
#                  machine can starve one worker for a few rounds)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def gunicorn(tmp_path, jwks_server):
    """The production command of docs/deployment.md (tests/gunicorn_server.py) with DPoP allowed and JSON
    logs, whose access lines carry each request's worker pid; stopped after the test."""
    started = []

    def start(workers, **env):
        log_dir = tmp_path / f"gunicorn-{len(started)}"
        log_dir.mkdir()
        server = GunicornServer(production_environ(
            log_dir / "static", WEB_CONCURRENCY=str(workers), DJANGO_LOG_FORMAT="json",
            DJANGO_LOG_LEVEL="WARNING", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
            AUTH0_JWKS_URL=jwks_server.url, AUTH0_DPOP_MODE="allowed", **env), log_dir)
        started.append(server)
        return server.start(timeout=60)

    yield start
    for server in started:
        server.stop()


def get(server, path, headers):
    """``(status, body)``; ``headers`` a list: a header may be repeated."""
    status, _, body = raw_http.send(server.port, "GET", path, headers)
    return status, body


def dpop_headers(server, key, token, path="/api/private"):
    proof = key.proof(htu=server.url(path), access_token=token)
    return [("Authorization", f"DPoP {token}"), ("DPoP", proof)]


def send_round(server, headers, round_id):
    """Send one proof ATTEMPTS times at once; return ``{query: (pid, status)}`` from the log."""
    barrier = threading.Barrier(ATTEMPTS)

    def one(index):
        barrier.wait()
        get(server, f"/api/private?r={round_id}&i={index}", headers)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # gunicorn writes the access log line just after the response: wait for all of them.
    wait_for(lambda: len(logged(server, round_id)) == ATTEMPTS, "access log", timeout=5)
    return logged(server, round_id)


def logged(server, round_id):
    """``{query: (pid, status)}`` of this round's requests, from the JSON access log."""
    lines = [json.loads(line) for line in server.access_log().splitlines() if line.strip()]
    return {line["query"]: (line["pid"], str(line["status"])) for line in lines
            if line.get("logger") == "gunicorn.access"
            and line.get("query", "").startswith(f"r={round_id}&")}


def round_across_workers(server, key, signing_key):
    """A round whose requests were served by two workers or more, with its results."""
    for _ in range(MAX_ROUNDS):
        results = one_round(server, key, signing_key)
        if len({pid for pid, _ in results.values()}) >= 2:
            return results
    pytest.fail(f"no round of {ATTEMPTS} concurrent requests reached two workers")


def one_round(server, key, signing_key):
    token = mint(signing_key, cnf={"jkt": key.thumbprint()})
    return send_round(server, dpop_headers(server, key, token), uuid.uuid4().hex)


def test_replays_across_four_workers_with_the_default_store_are_refused(gunicorn, signing_key):
    """No CACHE_URL, no store chosen: the workers share the SQLite file in STATE_DIR."""
    server = gunicorn(4)
    key = DPoPKey()
    workers, shared_rounds = set(), 0
    for _ in range(MAX_ROUNDS):
        results = one_round(server, key, signing_key)
        statuses = sorted(status for _, status in results.values())
        assert statuses == ["200"] + ["401"] * (ATTEMPTS - 1)  # one proof, accepted once
        pids = {pid for pid, _ in results.values()}
        workers |= pids
        shared_rounds += len(pids) >= 2
        if len(workers) == 4 and shared_rounds >= 3:
            break
    assert len(workers) == 4 and shared_rounds >= 3


def test_replay_to_another_worker_is_refused_with_redis(gunicorn, redis_server, signing_key,
                                                        jwks_server):
    server = gunicorn(2, CACHE_URL=redis_server.url)
    key = DPoPKey()
    warm_token = mint(signing_key)
    assert get(server, "/api/private?warm", [("Authorization", f"Bearer {warm_token}")])[0] == 200
    results = round_across_workers(server, key, signing_key)
    statuses = sorted(status for _, status in results.values())
    assert len(results) == ATTEMPTS
    assert statuses == ["200"] + ["401"] * (ATTEMPTS - 1)
    # The JWKS document is shared through Redis too: one download for both workers.
    assert jwks_server.hits == 1


def test_in_process_store_with_two_workers_misses_cross_worker_replays(gunicorn, signing_key):
    """Why "memory" is for one process only: each worker's own store accepts the proof once."""
    server = gunicorn(2, AUTH0_DPOP_REPLAY_STORE="memory")
    results = round_across_workers(server, DPoPKey(), signing_key)
    successes = {pid for pid, status in results.values() if status == "200"}
    assert len(successes) == 2  # one 200 per worker: the replay on the other worker passed


def test_replay_is_refused_with_one_worker_and_the_default_store(gunicorn, signing_key):
    server = gunicorn(1)
    key = DPoPKey()
    token = mint(signing_key, cnf={"jkt": key.thumbprint()})
    headers = dpop_headers(server, key, token)
    statuses = [get(server, f"/api/private?i={i}", headers)[0] for i in range(5)]
    assert statuses == [200, 401, 401, 401, 401]
    status, body = get(server, "/api/private?i=5", headers)
    assert body == b'{"error":"invalid_dpop_proof","message":"DPoP proof has already been used"}'


def test_two_dpop_header_fields_are_refused_by_gunicorn(gunicorn, signing_key):
    server = gunicorn(1)
    key = DPoPKey()
    token = mint(signing_key, cnf={"jkt": key.thumbprint()})
    headers = dpop_headers(server, key, token)
    status, body = get(server, "/api/private?twice", headers + [headers[1]])
    assert (status, body) == (401, b'{"error":"invalid_dpop_proof",'
                                   b'"message":"More than one DPoP proof"}')
    assert get(server, "/api/private?once", headers)[0] == 200  # the proof itself is fine
