"""A storm of bad tokens through a real gunicorn with JSON logs: the security log stays at a
rate a log pipeline can hold, and every refusal is either written or counted.

The project's LOGGING limits ``auth0_jwt.security`` to 10 lines per reason per interval and
worker (``DJANGO_LOG_SUMMARY_INTERVAL``, 2 s here instead of 60 s so that a short storm
crosses several intervals); the counts of the rest come in one summary line per interval,
and when the workers exit.
"""
import base64
import collections
import http.client
import json
import threading
import time
from datetime import datetime

import pytest

from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER, b64url, mint

WORKERS = 2
INTERVAL = 2  # seconds
BURST = 10  # RefusalLogLimit's default
STORM_SECONDS = 6.0
CLIENTS = 6


def flipped_signature(token):
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    return f"{head}.{payload}.{b64url(bytes(raw))}"


@pytest.fixture
def server(tmp_path, jwks_server):
    server = GunicornServer(production_environ(
        tmp_path / "static", WEB_CONCURRENCY=str(WORKERS), DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_LEVEL="INFO", DJANGO_LOG_SUMMARY_INTERVAL=str(INTERVAL),
        AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE, AUTH0_JWKS_URL=jwks_server.url,
        AUTH0_JWKS_WARMUP="true"), tmp_path)
    yield server.start(timeout=60)
    server.stop()


def storm(server, requests_by_kind):
    """Each client cycles through the kinds of bad request for STORM_SECONDS."""
    kinds = list(requests_by_kind)
    stop_at = time.monotonic() + STORM_SECONDS
    statuses = collections.Counter()

    def client(offset):
        i = offset
        while time.monotonic() < stop_at:
            kind = kinds[i % len(kinds)]
            i += 1
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                connection.request("GET", f"/api/private?kind={kind}",
                                   headers=requests_by_kind[kind])
                statuses[connection.getresponse().status] += 1
            finally:
                connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STORM_SECONDS + 60)
    return statuses


def test_bad_token_storm_is_logged_at_a_bounded_rate_and_every_refusal_is_counted(
        server, signing_key):
    token = mint(signing_key)
    requests_by_kind = {
        "expired": {"Authorization": f"Bearer {mint(signing_key, exp=int(time.time()) - 60)}"},
        "forged": {"Authorization": f"Bearer {flipped_signature(token)}"},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "missing": {},
    }
    started = time.monotonic()
    statuses = storm(server, requests_by_kind)
    seconds = time.monotonic() - started
    server.stop()  # the workers exit and write their pending counts
    assert set(statuses) == {401}

    access = [json.loads(line) for line in server.access_log().splitlines() if line.strip()]
    sent = collections.Counter(line["query"].split("=", 1)[1] for line in access
                               if line.get("query", "").startswith("kind="))
    assert sum(sent.values()) == sum(statuses.values())

    log = [json.loads(line) for line in server.app_log().splitlines() if line.startswith("{")]
    security = [entry for entry in log if entry["logger"] == "auth0_jwt.security"]
    written = collections.Counter(e["reason"] for e in security if "reason" in e)
    counted = collections.Counter()
    for entry in security:
        if entry.get("event") == "log_lines_suppressed":
            counted.update(entry["suppressed"])
    reasons = {"expired": "token_expired", "forged": "invalid_signature",
               "garbage": "malformed_token", "missing": "credentials_missing"}
    # Every refusal is a line or part of a count, per reason.
    assert {reasons[kind]: count for kind, count in sent.items()} == dict(written + counted)

    # At most BURST lines per reason and one summary per interval and worker, whatever the
    # request rate.
    per_second = collections.Counter(
        datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).replace(microsecond=0)
        for entry in security)
    bound = WORKERS * (len(reasons) * BURST + 2)
    assert max(per_second.values()) <= bound
    windows = STORM_SECONDS / INTERVAL + 2
    assert len(security) <= WORKERS * windows * (len(reasons) * BURST + 1)
    assert not [e for e in log if e["logger"] == "django.request"]
    print(f"storm: {sum(sent.values())} refusals in {seconds:.1f} s "
          f"({sum(sent.values()) / seconds:.0f}/s), {len(security)} security log lines "
          f"({len(security) / seconds:.1f}/s; busiest second {max(per_second.values())}), "
          f"written {dict(written)}, counted {dict(counted)}")
