"""End to end through real gunicorn (two sync workers, DEBUG off, DPoP allowed, the token page
on): the DPoP ``htu`` against the raw request target, and the session-held token kept server
side, so that "Forget token" and the token's expiry end it on every worker at once.

Requests go out through ``http.client`` so the request target is sent byte for byte; JSON
access logs tell which worker (pid) served each request.
"""

import json
import re
import threading
import time
import uuid
from urllib.parse import urlencode

import pytest

from tests import raw_http
from tests.dpop_client import DPoPKey
from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER, mint
from tests.processes import RedisServer, wait_for

ATTEMPTS = 8  # concurrent requests per round: enough for both workers to take part
MAX_ROUNDS = 25
HTU_MISMATCH = {"error": "invalid_dpop_proof",
                "message": "DPoP proof 'htu' does not match the request URI"}


def start_server(jwks_server, signing_key, log_dir, **env):
    jwks_server.reset()
    jwks_server.serve_keys(signing_key.jwk())
    environ = production_environ(
        log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=jwks_server.url, AUTH0_DPOP_MODE="allowed", AUTH0_SESSION_TOKEN="true",
        DJANGO_LOG_FORMAT="json", WEB_CONCURRENCY="2", **env)
    return GunicornServer(environ, log_dir).start(timeout=60)


@pytest.fixture(scope="module")
def server(_jwks_server, signing_key, tmp_path_factory):
    """Sessions in files (one host: every worker reads the same folder)."""
    log_dir = tmp_path_factory.mktemp("gunicorn-credentials")
    (log_dir / "sessions").mkdir()
    gunicorn = start_server(_jwks_server, signing_key, log_dir,
                            DJANGO_SESSION_FILE_PATH=str(log_dir / "sessions"))
    yield gunicorn
    gunicorn.stop()


@pytest.fixture(scope="module")
def redis_backed(_jwks_server, signing_key, tmp_path_factory):
    """Sessions in a real redis-server (CACHE_URL: the cache engine, for several hosts)."""
    redis = RedisServer(tmp_path_factory.mktemp("redis-sessions"))
    log_dir = tmp_path_factory.mktemp("gunicorn-credentials-redis")
    try:
        gunicorn = start_server(_jwks_server, signing_key, log_dir, CACHE_URL=redis.url)
        yield gunicorn
        gunicorn.stop()
    finally:
        redis.stop()


def send(server, method, target, headers=(), body=None):
    """``(status, headers, body)``; ``target`` goes on the request line exactly as given."""
    return raw_http.send(server.port, method, target, headers,
                         body.encode() if body is not None else None)


# -- DPoP htu: the raw request target (RFC 9449 section 4.3 check 9) -----------------------------


def dpop_get(server, key, token, target, htu_path):
    proof = key.proof(htu=f"http://127.0.0.1:{server.port}{htu_path}", access_token=token)
    return send(server, "GET", target, [("Authorization", f"DPoP {token}"), ("DPoP", proof)])


@pytest.fixture
def bound(signing_key):
    key = DPoPKey()
    return key, mint(signing_key, cnf={"jkt": key.thumbprint()}, org_id="org_123")


@pytest.mark.parametrize("segment", ["org%3B123", "org%40123", "org%25123", "org%3b123"])
def test_proof_for_the_path_as_sent_is_accepted(server, bound, segment):
    key, token = bound
    status, _, body = dpop_get(server, key, token, f"/api/org/{segment}?x=1",
                               f"/api/org/{segment}")
    assert status == 200, body


def test_proof_for_the_decoded_path_is_refused_on_the_encoded_one(server, bound):
    key, token = bound
    status, _, body = dpop_get(server, key, token, "/api/org/org%3B123", "/api/org/org;123")
    assert (status, json.loads(body)) == (401, HTU_MISMATCH)


def test_proof_for_a_path_is_refused_on_it_with_an_encoded_question_mark(server, bound):
    key, token = bound
    status, _, body = dpop_get(server, key, token, "/api/org/org_123%3Fevil", "/api/org/org_123")
    assert (status, json.loads(body)) == (401, HTU_MISMATCH)
    status, _, body = dpop_get(server, key, token, "/api/org/org_123?evil", "/api/org/org_123")
    assert status == 200, body  # a real query is ignored, as RFC 9449 says


# -- the session-held token across workers ------------------------------------------------------


class Browser:
    """Cookies by hand: with DEBUG off they are Secure, which an http client would not send."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = [("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))]
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        status, response_headers, content = send(self.server, method, path, headers, body)
        for cookie in response_headers.get_all("Set-Cookie") or []:
            name, value = re.match(r"([^=]+)=([^;]*)", cookie).groups()
            self.cookies[name] = value
        return status, content


def statuses_by_worker(server, cookie):
    """Send the session cookie ATTEMPTS times at once until both workers answered; returns
    ``{pid: set of statuses}``."""
    for _ in range(MAX_ROUNDS):
        round_id = uuid.uuid4().hex
        barrier = threading.Barrier(ATTEMPTS)

        def one(index):
            barrier.wait()
            send(server, "GET", f"/api/private?r={round_id}&i={index}",
                 [("Cookie", f"sessionid={cookie}"), ("Accept", "application/json")])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        # gunicorn writes the access line just after the response: wait for all of them.
        wait_for(lambda: logged(server, round_id), "access log", timeout=5)
        results = logged(server, round_id)
        if len(results) == 2:
            return results
    pytest.fail(f"no round of {ATTEMPTS} concurrent requests reached both workers")


def logged(server, round_id):
    """``{pid: statuses}`` of the round, once all its access lines are written; else ``{}``."""
    found = {}
    for line in server.access_log().splitlines():
        entry = json.loads(line) if line.strip() else {}
        if entry.get("logger") == "gunicorn.access" and entry.get("query", "").startswith(
                f"r={round_id}&"):
            found.setdefault(entry["pid"], []).append(entry["status"])
    return {pid: set(statuses) for pid, statuses in found.items()} if sum(
        len(s) for s in found.values()) == ATTEMPTS else {}


def paste(server, token):
    browser = Browser(server)
    assert browser.request("GET", "/auth/token")[0] == 200  # the CSRF cookie
    status, content = browser.request("POST", "/auth/token", {"token": token})
    return browser, status, content


def test_forget_ends_the_session_on_every_worker_at_once(server, signing_key):
    forget_ends_the_session_on_both_workers(server, signing_key)


def test_forget_ends_the_session_on_every_worker_with_sessions_in_redis(redis_backed,
                                                                       signing_key):
    forget_ends_the_session_on_both_workers(redis_backed, signing_key)


def forget_ends_the_session_on_both_workers(server, signing_key):
    browser, status, content = paste(server, mint(signing_key, sub="auth0|held"))
    assert status == 303, content
    old_cookie = browser.cookies["sessionid"]
    assert list(statuses_by_worker(server, old_cookie).values()) == [{200}, {200}]
    assert browser.request("POST", "/auth/token/forget", {})[0] == 303
    after = statuses_by_worker(server, old_cookie)
    assert list(after.values()) == [{401}, {401}]


def test_expiry_ends_the_session_on_every_worker(server, signing_key):
    expires = int(time.time()) + 3
    browser, status, _ = paste(server, mint(signing_key, exp=expires))
    assert status == 303
    cookie = browser.cookies["sessionid"]
    status, _, body = send(server, "GET", "/api/private", [("Cookie", f"sessionid={cookie}")])
    assert status == 200, body
    time.sleep(max(0.0, expires - time.time()) + 0.2)  # another process: no clock to move
    status, _, body = send(server, "GET", "/api/private", [("Cookie", f"sessionid={cookie}")])
    assert (status, json.loads(body)) == (401, {"error": "invalid_token",
                                                "message": "Token expired"})
    assert list(statuses_by_worker(server, cookie).values()) == [{401}, {401}]


def test_stolen_dpop_bound_token_cannot_be_parked(server, signing_key):
    token = mint(signing_key, cnf={"jkt": DPoPKey().thumbprint()})
    browser, status, content = paste(server, token)
    assert status == 400
    assert b"This token is sender-constrained and cannot be kept in a session" in content
    assert "sessionid" not in browser.cookies or send(
        server, "GET", "/api/private",
        [("Cookie", f"sessionid={browser.cookies['sessionid']}")])[0] == 401


def test_no_error_was_logged(server):
    log = server.app_log()
    assert '"level": "ERROR"' not in log and "Traceback" not in log
