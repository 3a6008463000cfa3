"""End to end: the production command (gunicorn, DEBUG off, behind a simulated TLS proxy)
against a real JWKS server, over real HTTP on 127.0.0.1.

One server per module fixture (two in all) keeps this file to a few gunicorn starts. The JWKS
cache lifetime and refetch cooldown are 1 s so rotation and outages happen within seconds;
every load loop is bounded in time and in requests.
"""
import json
import re
import socket
import threading
import time

import pytest
import requests

from tests.expected import and_dpop
from tests.gunicorn_server import GunicornServer, collect_static, production_environ
from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, mint

ORIGIN = "https://app.example.com"
CLIENT_IP = "203.0.113.7"
# What the TLS-terminating proxy adds to each request (DJANGO_BEHIND_PROXY=true).
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": f"198.51.100.9, {CLIENT_IP}"}
UNAVAILABLE = {"error": "temporarily_unavailable",
               "message": "Signing keys are temporarily unavailable"}
MAX_LOAD_REQUESTS = 3000  # per client thread; the time bound normally stops it first


@pytest.fixture(scope="module")
def minted():
    """Every token this module sends, to prove later that no log holds one."""
    return []


@pytest.fixture(scope="module")
def issue(minted):
    def make(key, **claims):
        token = mint(key, **claims)
        minted.append(token)
        return token

    return make


@pytest.fixture(scope="module")
def tenant(signing_key):
    server = JWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tenant, tmp_path_factory):
    """Two sync workers with warm-up, JSON logs, https redirect, HSTS, CORS, browsable API."""
    log_dir = tmp_path_factory.mktemp("gunicorn")
    env = production_environ(
        log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=tenant.url, AUTH0_JWKS_WARMUP="true", AUTH0_JWKS_TIMEOUT="2",
        AUTH0_JWKS_CACHE_LIFETIME="1", AUTH0_JWKS_REFETCH_COOLDOWN="1",
        DJANGO_BEHIND_PROXY="true", DJANGO_SECURE_SSL_REDIRECT="true",
        DJANGO_SECURE_HSTS_SECONDS="3600", DJANGO_BROWSABLE_API="true",
        CORS_ALLOWED_ORIGINS=ORIGIN, DJANGO_LOG_FORMAT="json")
    collect_static(env)
    gunicorn = GunicornServer(env, log_dir).start()
    try:
        gunicorn.wait_for_log("JWKS warm-up done in ", count=2)
        gunicorn.hits_at_boot = tenant.hits
        yield gunicorn
    finally:
        gunicorn.stop()


def get(server, path, token=None, headers=None, method="GET", **kwargs):
    headers = {**PROXY, **(headers or {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.url(path), headers=headers, timeout=10,
                            allow_redirects=False, **kwargs)


def challenge(error=None, description=None, scope=None):
    """The header of the production configuration, DPoP "allowed" by default."""
    parts = ['realm="api"']
    if error:
        parts += [f'error="{error}"', f'error_description="{description}"']
    if scope:
        parts.append(f'scope="{scope}"')
    return and_dpop("Bearer " + ", ".join(parts))


# -- startup -------------------------------------------------------------------------------


def test_each_worker_fetched_the_keys_before_serving(server, tenant, issue, signing_key):
    assert server.hits_at_boot == 2  # AUTH0_JWKS_WARMUP: one fetch per worker, at boot
    assert get(server, "/api/private", issue(signing_key)).status_code == 200


# -- routes and error shapes ---------------------------------------------------------------

ROUTES = [
    # (path, claims or None for no token, status, exact body or None, WWW-Authenticate)
    ("/api/private", None, 401, {"error": "unauthorized", "message": "Authentication required"},
     challenge()),
    ("/api/private", {"exp": 1_000_000_000, "iat": 999_999_000}, 401,
     {"error": "invalid_token", "message": "Token expired"},
     challenge("invalid_token", "Token expired")),
    ("/api/private", {"aud": "https://other.example"}, 401,
     {"error": "invalid_token", "message": "Unexpected 'aud' value"},
     challenge("invalid_token", "Unexpected 'aud' value")),
    ("/api/private-scoped", {"scope": "openid"}, 403,
     {"error": "insufficient_scope", "message": "Insufficient scope",
      "required_scopes": ["read:messages"]},
     challenge("insufficient_scope", "Insufficient scope", "read:messages")),
    ("/api/messages", {"scope": "openid"}, 403,
     {"error": "insufficient_scope", "message": "Insufficient scope",
      "required_scopes": ["read:messages"]},
     challenge("insufficient_scope", "Insufficient scope", "read:messages")),
    ("/api/admin", {"scope": "read:messages"}, 403,
     {"error": "insufficient_scope", "message": "Insufficient scope",
      "required_scopes": ["admin:access"]},
     challenge("insufficient_scope", "Insufficient scope", "admin:access")),
    ("/api/org/org_123", {"org_id": "org_999"}, 403,
     {"error": "forbidden", "message": "Claim 'org_id' does not have the required value"}, None),
    ("/api/roles", {"roles": ["viewer"]}, 403,
     {"error": "forbidden", "message": "Claim 'roles' does not include the required values"},
     None),
    ("/api/premium", {"subscription": "premium", "verified": False}, 403,
     {"error": "forbidden", "message": "A verified premium subscription is required"}, None),
    ("/api/feed", {"iss": "https://evil.example/"}, 401,
     {"error": "invalid_token", "message": "Unexpected 'iss' value"},
     challenge("invalid_token", "Unexpected 'iss' value")),
    ("/api/nowhere", None, 404, {"error": "not_found", "message": "Not found"}, None),
    ("/api/public", None, 200, None, None),
    ("/api/private", {}, 200, None, None),
    ("/api/private-scoped", {"scope": "read:messages"}, 200, None, None),
    ("/api/messages", {"permissions": ["read:messages"]}, 200, None, None),
    ("/api/admin", {"scope": "admin:access"}, 200, None, None),
    ("/api/org/org_123", {"org_id": "org_123"}, 200, None, None),
    ("/api/roles", {"roles": ["editor", "viewer", "other"]}, 200, None, None),
    ("/api/premium", {"subscription": "premium", "verified": True}, 200, None, None),
    ("/api/feed", None, 200, None, None),
    ("/api/feed", {}, 200, None, None),
]


@pytest.mark.parametrize("path, claims, status, body, www_authenticate", ROUTES)
def test_route_over_real_http(server, issue, signing_key, path, claims, status, body,
                              www_authenticate):
    token = None if claims is None else issue(signing_key, **claims)
    response = get(server, path, token)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    if body is not None:
        assert response.json() == body
    assert response.headers.get("WWW-Authenticate") == www_authenticate
    if status == 200 and path in ECHO_SUB:
        assert response.json()[ECHO_SUB[path]] == "auth0|user-1"


# Routes whose 200 body names the token's subject, and under which key (the quickstart's).
ECHO_SUB = {"/api/private": "user", "/api/private-scoped": "user", "/api/admin": "userId"}


def test_malformed_header_is_400_invalid_request(server):
    response = get(server, "/api/private", headers={"Authorization": "Bearer"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "Bearer token is missing"}
    assert response.headers["WWW-Authenticate"] == challenge("invalid_request",
                                                             "Bearer token is missing")


def test_wrong_method_is_405_in_the_json_shape(server):
    response = get(server, "/api/public", method="POST", json={})
    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed",
                               "message": 'Method "POST" not allowed.'}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_unauthenticated_json(server, path):
    response = get(server, path, headers={"Authorization": "Bearer junk"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_10_kb_token_passes_gunicorn_and_a_17_kb_one_is_refused_by_the_verifier(
        server, issue, signing_key):
    big = issue(signing_key, padding="x" * 7500)
    assert 10_000 < len(big) < 16384
    assert get(server, "/api/private", big).status_code == 200
    huge = issue(signing_key, padding="x" * 12500)
    assert len(huge) > 16384
    response = get(server, "/api/private", huge)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token exceeds the maximum length"}


def test_a_header_beyond_gunicorns_limit_is_refused_before_django(server):
    response = get(server, "/api/private", "a" * 30_000)
    assert response.status_code == 431  # Request Header Fields Too Large (RFC 6585)
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "invalid_request",
                               "message": "Request header fields too large"}


def raw_exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head.decode("latin-1"), json.loads(body)


@pytest.mark.parametrize("data, status, message", [
    # More header fields than gunicorn's limit_request_fields (100): nginx passes these on.
    (b"GET /api/public HTTP/1.1\r\nHost: api.example.com\r\n"
     + b"".join(b"X-F%d: v\r\n" % i for i in range(150)) + b"\r\n",
     431, "Request header fields too large"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: api.example.com\r\n\r\n", 414,
     "Request line too long"),
    (b"G\x01T /api/public HTTP/1.1\r\nHost: api.example.com\r\n\r\n", 400, "Bad request"),
])
def test_what_gunicorn_refuses_itself_is_json_without_the_request(server, data, status,
                                                                  message):
    head, body = raw_exchange(server.port, data)
    assert head.startswith(f"HTTP/1.1 {status} ")
    assert "Content-Type: application/json" in head
    assert body == {"error": "invalid_request", "message": message}


# -- https, static files, CORS -------------------------------------------------------------


def test_plain_http_is_redirected_to_https_except_probes(server):
    response = requests.get(server.url("/api/public"), allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{server.port}/api/public"
    assert requests.get(server.url("/readyz"), allow_redirects=False,
                        timeout=10).status_code == 200
    assert get(server, "/api/public").headers["Strict-Transport-Security"] == "max-age=3600"


def test_browsable_api_renders_with_its_static_files(server):
    page = get(server, "/api/public", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    stylesheet = re.search(r'href="(/static/rest_framework/css/bootstrap\.min\.[0-9a-f]{12}\.css)"',
                           page.text)
    assert stylesheet, page.text[:2000]
    css = get(server, stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "immutable" in css.headers["Cache-Control"]  # hashed name: cached for good


def test_cors_preflight_for_a_bearer_request(server):
    response = get(server, "/api/private", method="OPTIONS", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_cors_headers_on_a_401_let_the_browser_read_the_challenge(server):
    response = get(server, "/api/private", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "www-authenticate" in exposed and "retry-after" in exposed


def test_cors_ignores_other_origins(server):
    response = get(server, "/api/private", headers={"Origin": "https://evil.example"})
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers


# -- keys while serving --------------------------------------------------------------------


class Load:
    """Client threads calling /api/private with ``token_for()`` until stopped or bounded."""

    def __init__(self, server, token_for, threads=2, max_seconds=15):
        self.server, self.token_for = server, token_for
        self.results, self.lock = [], threading.Lock()
        self.stop_event = threading.Event()
        self.deadline = time.monotonic() + max_seconds
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(20)

    def run(self):
        session = requests.Session()
        for _ in range(MAX_LOAD_REQUESTS):
            if self.stop_event.is_set() or time.monotonic() > self.deadline:
                return
            try:
                response = session.get(self.server.url("/api/private"), timeout=10, headers={
                    **PROXY, "Authorization": f"Bearer {self.token_for()}"})
                outcome = (response.status_code, response.text[:200])
            except requests.RequestException as exc:
                outcome = ("connection error", type(exc).__name__)
            with self.lock:
                self.results.append(outcome)

    def failures(self):
        return [outcome for outcome in self.results if outcome[0] != 200]


def test_key_rotation_while_serving_fails_no_request(server, tenant, issue, signing_key,
                                                     other_key):
    tenant.serve_keys(signing_key.jwk())
    old, new = issue(signing_key), issue(other_key)
    phase = {"tokens": [old]}
    counter = iter(range(10**9))

    def token_for():
        tokens = phase["tokens"]
        return tokens[next(counter) % len(tokens)]

    with Load(server, token_for) as load:
        time.sleep(0.3)
        # The issuer publishes the next key a cooldown ahead of signing with it.
        tenant.serve_keys(signing_key.jwk(), other_key.jwk())
        time.sleep(1.3)
        phase["tokens"] = [old, new]  # tokens of both keys in circulation
        time.sleep(1.0)
        phase["tokens"] = [new]
        time.sleep(0.3)  # no request with the old key is in flight any more
        tenant.serve_keys(other_key.jwk())  # the old key is withdrawn
        time.sleep(1.0)
    assert load.failures() == []
    assert len(load.results) > 20
    # Once the cache lifetime has passed, the withdrawn key is refused. (A worker idle since
    # before the withdrawal checks its first request against the set it holds while that
    # set is refreshed in the background: a few requests, well within a second.)
    time.sleep(1.1)
    deadline = time.monotonic() + 5
    while (response := get(server, "/api/private", old)).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token signing key is not known"}


def test_jwks_outage_with_cached_keys_keeps_serving(server, tenant, issue, other_key):
    tenant.serve_keys(other_key.jwk())
    token = issue(other_key)
    assert get(server, "/api/private", token).status_code == 200
    tenant.status = 503
    try:
        with Load(server, lambda: token) as load:
            time.sleep(2.5)  # past the cache lifetime: the keys are stale, refreshes fail
        assert load.failures() == []
        assert len(load.results) > 20
        assert get(server, "/readyz").status_code == 200
        # A kid the cache does not hold cannot be checked during the outage: 503, not 401.
        unknown = get(server, "/api/private",
                      issue(other_key, header={"alg": "RS256", "kid": "key-9"}))
        assert unknown.status_code == 503
        assert unknown.json() == UNAVAILABLE
        assert unknown.headers["Retry-After"] == "30"
    finally:
        tenant.status = 200
    log = server.app_log()
    assert "JWKS fetch failed: HTTP status 503; serving cached keys" in log
    assert '"stale_keys_served": true' in log


def test_graceful_reload_under_load_fails_no_request(server, tenant, issue, other_key):
    tenant.serve_keys(other_key.jwk())
    token = issue(other_key)
    workers_before = server.booted_workers()
    with Load(server, lambda: token) as load:
        time.sleep(1.0)
        server.reload()
        deadline = time.monotonic() + 20
        # The old workers retire once the new ones are ready (config/gunicorn_lifecycle.py).
        while not set(workers_before) <= set(server.exited_workers()):
            assert time.monotonic() < deadline, server.app_log()[-3000:]
            time.sleep(0.1)
        time.sleep(0.5)  # keep the load on after the old workers are gone
    assert "Handling signal: hup" in server.app_log()
    assert load.failures() == []
    assert len(load.results) > 20
    for pid in workers_before:
        assert f"Worker exiting (pid: {pid})" in server.app_log()


# -- logs ----------------------------------------------------------------------------------


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_logs_are_structured_and_hold_no_token(server, issue, signing_key, other_key, minted):
    expired = issue(other_key, exp=1_000_000_000, iat=999_999_000)
    assert get(server, "/api/private", expired).status_code == 401
    query_token = issue(other_key)
    assert get(server, f"/api/private?access_token={query_token}").status_code == 401
    for n in range(4):  # unknown kids in a burst: the cooldown suppresses refetches
        get(server, "/api/private", issue(other_key, header={"alg": "RS256", "kid": f"new-{n}"}))
    time.sleep(0.2)  # let the workers' log writes land
    access, app = server.access_log(), server.app_log()

    for token in minted:
        assert token not in access and token not in app
        assert token.split(".")[2] not in access + app  # not even the signature

    access_entries = json_lines(access)
    assert len(access_entries) == len(access.splitlines())  # every access line is JSON
    [query_entry] = [e for e in access_entries if "access_token" in e["query"]]
    assert query_entry["query"] == "access_token=[redacted]"
    assert (query_entry["path"], query_entry["status"]) == ("/api/private", 401)

    security = [e for e in json_lines(app) if e["logger"] == "auth0_jwt.security"]
    expired_line = [e for e in security if e.get("reason") == "token_expired"
                    and e.get("kid") == other_key.kid][-1]
    assert {k: expired_line[k] for k in ("level", "message", "event", "status", "method",
                                         "route", "kid", "sub", "client_ip")} == {
        "level": "WARNING", "message": "authentication failed",
        "event": "authentication_failed", "status": 401, "method": "GET",
        "route": "/api/private", "kid": "key-2", "sub": "auth0|user-1", "client_ip": CLIENT_IP}
    jwks = [e["message"] for e in json_lines(app) if e["logger"] == "auth0_jwt.jwks"]
    assert any(m.startswith("JWKS fetched: ") for m in jwks)
    assert any(m.startswith("JWKS refetch suppressed by cooldown") for m in jwks)
    assert any(m.startswith("JWKS warm-up done in ") for m in jwks)


# -- a tenant that cannot be reached at startup --------------------------------------------


@pytest.fixture(scope="module")
def down_tenant(signing_key):
    server = JWKSServer().start()
    server.serve_keys(signing_key.jwk())
    server.status = 503
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cold_server(down_tenant, tmp_path_factory):
    """One worker, warm-up on, plain logs, no proxy; the tenant is down when it boots."""
    log_dir = tmp_path_factory.mktemp("gunicorn-cold")
    env = production_environ(
        log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=down_tenant.url, AUTH0_JWKS_WARMUP="true",
        AUTH0_JWKS_REFETCH_COOLDOWN="0.5", WEB_CONCURRENCY="1", DJANGO_LOG_FORMAT="plain")
    gunicorn = GunicornServer(env, log_dir).start()
    yield gunicorn
    gunicorn.stop()


def test_unreachable_tenant_at_startup_does_not_stop_the_server(cold_server, down_tenant,
                                                                issue, signing_key):
    token = issue(signing_key)
    assert "JWKS warm-up found no signing key; serving anyway" in cold_server.app_log()
    assert requests.get(cold_server.url("/healthz"), timeout=10).status_code == 200
    ready = requests.get(cold_server.url("/readyz"), timeout=10)
    assert (ready.status_code, ready.json(), ready.headers["Retry-After"]) == (
        503, UNAVAILABLE, "30")
    refused = requests.get(cold_server.url("/api/private"), timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json(), refused.headers["Retry-After"]) == (
        503, UNAVAILABLE, "30")
    assert "WWW-Authenticate" not in refused.headers

    down_tenant.status = 200  # the tenant comes back: within a cooldown, the worker is ready
    deadline = time.monotonic() + 5
    while requests.get(cold_server.url("/readyz"), timeout=10).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # Query-string tokens are off by default: this one is ignored (and kept out of the logs).
    assert requests.get(cold_server.url(f"/api/private?access_token={token}"),
                        timeout=10).status_code == 401
    assert requests.get(cold_server.url("/api/private"), timeout=10, headers={
        "Authorization": f"Bearer {token}"}).status_code == 200


def test_plain_access_log_redacts_the_query_token(cold_server, minted):
    time.sleep(0.2)
    access, app = cold_server.access_log(), cold_server.app_log()
    assert '"GET /api/private?access_token=[redacted] HTTP/1.1" 401 ' in access
    for token in minted:
        assert token not in access and token not in app
    assert "WARNING auth0_jwt.security authentication failed event=authentication_failed " \
           "reason=signing_keys_unavailable status=503 method=GET route=/api/private " \
           "kid=key-1 client_ip=127.0.0.1" in app
