"""An issuer whose metadata endpoint (discovery) hangs, dribbles, fails and comes back, seen
through the production command: real gunicorn sync workers, a real loopback metadata server
and a real loopback JWKS server, real HTTP.

The metadata is held with the JWKS's guarantees (docs/issuers.md): no request waits on the
metadata endpoint for more than ``JWKS_WAIT`` (1 s), once per worker per outage; a fetch,
headers included, ends at ``JWKS_TIMEOUT``; every worker serves again within 2 s of the
endpoint's return; an outage is one ERROR line per worker, not one per request.
"""
import time

import pytest

from tests.gunicorn_server import GunicornServer, production_environ
from tests.hostile import FaultyJWKSServer
from tests.keys import AUDIENCE, mint
from tests.processes import free_port, wait_for
from tests.demo.test_jwks_gunicorn import Traffic, app_lines, worker_of

WORKERS = 2
HANG_TIMEOUT = 3  # AUTH0_JWKS_TIMEOUT: each metadata fetch gives up after 3 s


@pytest.fixture
def keys(signing_key):
    """The JWKS the metadata names; it never fails here."""
    server = FaultyJWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


@pytest.fixture
def issuer():
    """``issuer(port)``: the issuer at ``http://127.0.0.1:<port>/``, whose metadata endpoint
    (every path of a server with fault knobs, started by ``serve``) names ``keys``."""
    servers = []

    class Issuer:
        def __init__(self, port):
            self.port = port
            self.url = f"http://127.0.0.1:{port}/"
            self.server = None

        def serve(self, jwks_url):
            self.server = FaultyJWKSServer(self.port).start()
            self.server.document = {"issuer": self.url, "jwks_uri": jwks_url}
            servers.append(self.server)
            return self.server

    yield Issuer
    for server in servers:
        server.stop()


@pytest.fixture
def gunicorn(tmp_path):
    """Start ``config/gunicorn.conf.py`` with JSON logs, discovery for ``issuer_url``."""
    started = []

    def start(issuer_url, **env):
        log_dir = tmp_path / f"gunicorn-{len(started)}"
        log_dir.mkdir()
        server = GunicornServer(production_environ(
            log_dir / "static", WEB_CONCURRENCY=str(WORKERS), DJANGO_LOG_FORMAT="json",
            DJANGO_LOG_LEVEL="INFO", AUTH0_ISSUER=issuer_url, AUTH0_DISCOVERY="true",
            AUTH0_AUDIENCE=AUDIENCE, **env), log_dir)
        started.append(server)
        return server.start(timeout=60)

    yield start
    for server in started:
        server.stop()


# -- a metadata endpoint that hangs or dribbles its headers ---------------------------------

FAULTS = {"hang": lambda server: setattr(server, "hang", True),
          "dribbled-headers": lambda server: setattr(server, "dribble_headers", 1.0)}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_stuck_metadata_endpoint_holds_no_request_past_the_bounded_wait_once_per_worker(
        fault, gunicorn, issuer, keys, signing_key):
    tenant = issuer(free_port())
    metadata = tenant.serve(keys.url)
    FAULTS[fault](metadata)
    server = gunicorn(tenant.url, AUTH0_JWKS_TIMEOUT=str(HANG_TIMEOUT))
    valid = mint(signing_key, iss=tenant.url)
    with Traffic(server, valid) as api, Traffic(server, path="/healthz", clients=1,
                                                pause=0.1) as probes:
        started = time.monotonic()
        time.sleep(6)  # the first fetches give up at 3 s; their retries start at about 4 s
    # Every valid token is a retryable 503 while no metadata can be fetched; none waits long.
    assert set(api.statuses()) == {503}, api.statuses()
    assert api.slowest() < 2.5  # JWKS_WAIT is 1 s (plus a queue behind the one waiting)
    assert set(probes.statuses()) == {200}
    assert probes.slowest() < 2.5
    # After each worker's one bounded wait, no request waits on the endpoint again.
    assert api.slowest(since=started + 2.0) < 0.75, api.statuses(since=started + 2.0)
    assert probes.slowest(since=started + 2.0) < 0.75
    assert len(api.records) > 100
    # Each fetch ended at its deadline, both metadata locations together (a dribbling server
    # notices at one of its next bytes, a second apart). The JWKS was never asked.
    wait_for(lambda: len(metadata.abandoned) >= WORKERS, "abandoned fetches", timeout=10)
    assert max(metadata.abandoned) < HANG_TIMEOUT + 2.5, metadata.abandoned
    assert keys.hits == 0
    # One ERROR per worker for the outage, none per request.
    errors = app_lines(server, level="ERROR")
    assert [line["logger"] for line in errors] == ["auth0_jwt.discovery"] * WORKERS, errors
    assert len({line["pid"] for line in errors}) == WORKERS
    print(f"\n[{fault}] {len(api.records)} requests {dict(api.statuses())}: slowest "
          f"{api.slowest():.2f} s (after the first 2 s: {api.slowest(started + 2.0):.2f} s); "
          f"/healthz slowest {probes.slowest():.2f} s; fetches given up after "
          f"{', '.join(f'{t:.1f}' for t in metadata.abandoned)} s; ERROR lines {len(errors)}")


# -- a metadata endpoint that comes back ----------------------------------------------------

RETURNS = {
    "down": "nothing listens on the metadata port until the endpoint returns",
    "failing": "the metadata server answers 500 until the endpoint returns",
}


@pytest.mark.parametrize("outage", RETURNS)
def test_every_worker_serves_within_two_seconds_of_the_metadata_endpoints_return(
        outage, gunicorn, issuer, keys, signing_key):
    tenant = issuer(free_port())
    if outage == "failing":
        tenant.serve(keys.url).status = 500
    server = gunicorn(tenant.url, AUTH0_JWKS_WARMUP="true")  # each warm-up fails at boot
    valid = mint(signing_key, iss=tenant.url)
    with Traffic(server, valid) as api:
        time.sleep(3)  # well into the outage: retries have run, and failed
        if tenant.server is None:
            tenant.serve(keys.url)
        else:
            tenant.server.status = 200
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
    assert [line["message"].split(":")[0] for line in errors] == (
        ["Issuer metadata fetch failed"] * WORKERS), errors
    back = [line for line in app_lines(server, logger="auth0_jwt.discovery")
            if line.get("event") == "dependency_back"]
    assert sorted(line["pid"] for line in back) == sorted(first_success)
    refused = sum(1 for r in api.records if r["status"] == 503)
    assert refused > 10 * WORKERS  # many refused requests, yet one ERROR line per worker
    print(f"\n[{outage}] workers serving again "
          f"{', '.join(f'{t:.2f}' for t in sorted(first_success.values()))} s after the "
          f"metadata endpoint's return; {refused} requests answered 503, {len(errors)} ERROR "
          f"lines")
