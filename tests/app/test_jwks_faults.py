"""JWKS faults against the real loopback JWKS server: the documented answer, a bounded number
of fetches (counted on the server), and recovery when the tenant comes back.

Documented answers: no usable key known -> 503 ``temporarily_unavailable`` with Retry-After;
a key already cached keeps working while the tenant fails; a token whose kid the (fetched)
key set lacks -> 401 ``invalid_token``.
"""
import json
import time

import pytest

from auth0_jwt._core.errors import SigningKeysUnavailable, UnknownSigningKey
from auth0_jwt._core.jwks import JWKSClient
from tests.clock import FrozenClock as Clock
from tests.hostile import FaultyJWKSServer, ec_jwk, gzip_bomb, small_rsa_jwk
from tests.processes import free_port
from tests.keys import SigningKey, mint
from tests.leak_guard import client, leak_guard  # noqa: F401  (every test is a leak test)
from tests.expected import and_dpop

UNAVAILABLE = {"error": "temporarily_unavailable",
               "message": "Signing keys are temporarily unavailable"}
UNKNOWN_KEY = {"error": "invalid_token", "message": "Token signing key is not known"}
UNKNOWN_KEY_CHALLENGE = (and_dpop('Bearer realm="api", error="invalid_token", '
                         'error_description="Token signing key is not known"'))


@pytest.fixture(scope="module")
def faulty_server():
    server = FaultyJWKSServer().start()
    yield server
    server.stop()


@pytest.fixture
def tenant(faulty_server, signing_key, configure):
    """The API pointed at a JWKS server with fault knobs, serving ``signing_key``."""
    faulty_server.reset()
    faulty_server.serve_keys(signing_key.jwk())
    configure(JWKS_URL=faulty_server.url)
    yield faulty_server
    faulty_server.reset()


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "30"
    assert not response.has_header("WWW-Authenticate")


def assert_unknown_key(response):
    assert response.status_code == 401, response.content
    assert response.json() == UNKNOWN_KEY
    assert response["WWW-Authenticate"] == UNKNOWN_KEY_CHALLENGE


def oct_jwk(kid):
    return {"kty": "oct", "kid": kid, "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}


# -- no usable key: 503, one fetch per cooldown ----------------------------------------------

def _body(server, body, content_type="application/json"):
    server.body, server.content_type = body, content_type


def _huge(server, signing_key):
    # A real key first, then padding past JWKS_MAX_BYTES (100000): refused whole.
    document = {"keys": [signing_key.jwk()] + [{"kty": "none", "pad": "x" * 1000}] * 120}
    _body(server, json.dumps(document).encode())


FAULTS = {  # name: (make the server fail, the reason logged)
    "status-500": (lambda s, k: setattr(s, "status", 500), "HTTP status 500"),
    "status-502": (lambda s, k: setattr(s, "status", 502), "HTTP status 502"),
    "status-404": (lambda s, k: setattr(s, "status", 404), "HTTP status 404"),
    "invalid-json": (lambda s, k: _body(s, b'{"keys": [{"kty": "RSA",'), "not JSON"),
    "html-page": (lambda s, k: _body(s, b"<html><body>Service Unavailable</body></html>",
                                     "text/html"), "not JSON"),
    "json-array": (lambda s, k: _body(s, json.dumps([k.jwk()]).encode()), "no 'keys' array"),
    "keys-not-a-list": (lambda s, k: _body(s, json.dumps({"keys": k.jwk()}).encode()),
                        "no 'keys' array"),
    "deeply-nested-json": (lambda s, k: _body(
        s, b'{"keys": ' + b"[" * 40_000 + b"]" * 40_000 + b"}"), "not JSON"),
    "not-utf8": (lambda s, k: _body(s, b'{"keys": ["\xff\xfe"]}'), "not JSON"),
    "empty-key-set": (lambda s, k: s.serve_keys(), "no usable RSA signing key"),
    "only-ignored-keys": (lambda s, k: s.serve_keys(
        oct_jwk(k.kid), ec_jwk(k.kid), k.jwk(use="enc"), k.jwk(alg="RS512"),
        k.jwk(key_ops=["encrypt"]), k.jwk(kid=None), k.jwk(kid=7), k.jwk(d="AQAB"),
        small_rsa_jwk(k.kid)), "no usable RSA signing key"),
    "duplicate-kid": (lambda s, k: s.serve_keys(k.jwk(), SigningKey(k.kid).jwk()),
                      "no usable RSA signing key"),
    "huge-response": (_huge, "larger than 100000 bytes"),
    "gzip-bomb": (lambda s, k: (_body(s, gzip_bomb()), s.headers.update(
        {"Content-Encoding": "gzip"})), "larger than 100000 bytes"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_jwks_fault_with_no_cached_key_is_503_with_one_fetch_and_one_error_line(
        fault, tenant, signing_key, api, token, caplog):
    make_fault, reason = FAULTS[fault]
    make_fault(tenant, signing_key)
    for _ in range(3):
        assert_unavailable(api("/private", token()))
    # A failed fetch is retried a second later (FIRST_RETRY), not per request.
    assert tenant.hits == 1
    failures = [r for r in caplog.records if r.name == "auth0_jwt.jwks"
                and r.getMessage().startswith("JWKS fetch failed")]
    assert len(failures) == 1 and reason in failures[0].getMessage(), failures
    assert failures[0].levelname == "ERROR"


@pytest.fixture(scope="module")
def elsewhere():
    server = FaultyJWKSServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_jwks_redirect_to_another_host_is_not_followed(
        status, tenant, elsewhere, signing_key, api, token):
    elsewhere.reset()
    elsewhere.serve_keys(signing_key.jwk())
    tenant.status = status
    tenant.headers = {"Location": elsewhere.url}
    assert_unavailable(api("/private", token()))
    assert (tenant.hits, elsewhere.hits) == (1, 0)


def test_slow_jwks_server_is_cut_off_at_the_timeout(tenant, configure, api, token):
    configure(JWKS_TIMEOUT=0.3)
    tenant.delay = 2.0
    started = time.monotonic()
    assert_unavailable(api("/private", token()))
    assert time.monotonic() - started < 1.5
    assert tenant.hits == 1


def test_dribbling_jwks_server_is_cut_off_at_the_timeout(tenant, configure, api, token):
    # Each chunk arrives well within the per-read timeout; only a bound on the whole
    # download stops a server that would take ~20 s to send 1 KB.
    configure(JWKS_TIMEOUT=0.5)
    tenant.body = b'{"keys": [' + b" " * 1000 + b"]}"
    tenant.dribble = (10, 0.2)
    started = time.monotonic()
    assert_unavailable(api("/private", token()))
    assert time.monotonic() - started < 3.0  # about 2 x JWKS_TIMEOUT; 20 s before the fix


def test_tenant_down_at_startup_is_503_then_recovers(signing_key, configure, api, token):
    port = free_port()
    configure(JWKS_URL=f"http://127.0.0.1:{port}/.well-known/jwks.json",
              JWKS_REFETCH_COOLDOWN=0)
    assert_unavailable(api("/private", token()))
    server = FaultyJWKSServer(port).start()
    try:
        server.serve_keys(signing_key.jwk())
        response = api("/private", token())
        assert response.status_code == 200, response.content
        assert server.hits == 1
    finally:
        server.stop()


def test_failing_tenant_recovers_on_the_first_fetch_after_the_cooldown(
        tenant, configure, api, token):
    configure(JWKS_REFETCH_COOLDOWN=0)
    tenant.status = 500
    assert_unavailable(api("/private", token()))
    tenant.status = 200
    assert api("/private", token()).status_code == 200
    assert api("/private", token()).status_code == 200
    assert tenant.hits == 2  # the key is cached once fetched


# -- keys that must be ignored, next to a usable one -----------------------------------------

IGNORED = {
    "oct": lambda k: oct_jwk("ignored"),
    "ec": lambda k: ec_jwk("ignored"),
    "use-enc": lambda k: k.jwk(kid="ignored", use="enc"),
    "alg-rs512": lambda k: k.jwk(kid="ignored", alg="RS512"),
    "key-ops-encrypt": lambda k: k.jwk(kid="ignored", key_ops=["encrypt"]),
    "private-key": lambda k: k.jwk(kid="ignored", d="AQAB"),
    # RFC 7518 section 6.3.2: the other private members, each without "d".
    **{f"private-member-{member}": (lambda k, member=member: k.jwk(kid="ignored",
                                                                  **{member: "AQAB"}))
       for member in ("p", "q", "dp", "dq", "qi")},
    "private-member-oth": lambda k: k.jwk(kid="ignored", oth=[{"r": "AQAB", "d": "AQAB",
                                                               "t": "AQAB"}]),
    "rsa-1024": lambda k: small_rsa_jwk("ignored"),
}


@pytest.mark.parametrize("kind", IGNORED)
def test_key_that_must_be_ignored_never_verifies_a_token(
        kind, tenant, signing_key, other_key, api, token):
    ignored = IGNORED[kind](other_key)
    tenant.serve_keys(signing_key.jwk(), ignored)
    assert api("/private", token()).status_code == 200
    # A token naming the ignored key, signed by the matching private key where there is one.
    assert_unknown_key(api("/private", mint(other_key, header={
        "alg": "RS256", "typ": "JWT", "kid": "ignored"})))
    assert tenant.hits == 1  # the unknown kid did not refetch inside the cooldown


def test_duplicate_kid_drops_both_keys_and_keeps_the_others(
        tenant, signing_key, other_key, api, token):
    impostor = SigningKey(signing_key.kid)
    tenant.serve_keys(signing_key.jwk(), impostor.jwk(), other_key.jwk())
    assert_unknown_key(api("/private", token()))
    assert_unknown_key(api("/private", mint(impostor)))
    assert api("/private", mint(other_key)).status_code == 200


# -- cached keys keep working (client level, injectable clock) -------------------------------

def client_for(server, clock, **options):
    settings = {"timeout": 1.0, "cache_lifetime": 600, "cooldown": 30, **options}
    return JWKSClient(server.url, algorithms=("RS256",), clock=clock, **settings)


@pytest.fixture
def server(faulty_server, signing_key):
    faulty_server.reset()
    faulty_server.serve_keys(signing_key.jwk())
    yield faulty_server
    faulty_server.reset()


@pytest.mark.parametrize("fault", ["status-500", "html-page", "empty-key-set", "huge-response"])
def test_cached_key_keeps_working_while_the_refresh_fails(fault, server, signing_key):
    clock = Clock()
    client = client_for(server, clock)  # lifetime 600 s, cooldown 30 s
    key = client.get_key(signing_key.kid, "RS256")
    FAULTS[fault][0](server, signing_key)
    clock.advance(600)  # the set is stale: the next use starts a refresh, which fails
    for _ in range(70):  # one use a second for 70 s
        assert client.get_key(signing_key.kid, "RS256") is key
        assert client.wait_for_fetch(5)
        clock.advance(1)
    # Background retries back off: 1, 2, 4, 8, 16 s after each failure, then the cooldown
    # (t = 600, 601, 603, 607, 615, 631, 661), after the first fetch at t = 0.
    assert server.hits == 1 + 7
    server.reset()
    server.serve_keys(signing_key.jwk())
    clock.advance(691 - 670)  # the next retry is due: it succeeds
    assert client.get_key(signing_key.kid, "RS256") is key
    assert client.wait_for_fetch(5)
    assert server.hits == 1


def test_unknown_kid_while_the_tenant_fails_is_unavailable_not_unknown(server, signing_key):
    # The kid may belong to a key published since the last good fetch: 503, not 401.
    clock = Clock()
    client = client_for(server, clock)
    client.get_key(signing_key.kid, "RS256")
    server.status = 500
    clock.advance(30)
    with pytest.raises(SigningKeysUnavailable):
        client.get_key("rotated-in", "RS256")
    assert client.get_key(signing_key.kid, "RS256") is not None


def test_fetches_are_bounded_by_the_cooldown_under_a_flood_of_unknown_kids(server, signing_key):
    clock = Clock()
    client = client_for(server, clock, cooldown=10)
    client.get_key(signing_key.kid, "RS256")
    for step in range(100):  # 100 hostile kids over 50 s of clock time
        clock.advance(0.5)
        with pytest.raises(UnknownSigningKey):
            client.get_key(f"attacker-{step}", "RS256")
    assert server.hits == 1 + 5  # the first fetch, then at most one per 10 s


def test_process_without_keys_retries_a_second_after_each_failure_and_recovers(
        server, signing_key):
    clock = Clock()
    client = client_for(server, clock, cooldown=10)
    server.status = 503
    for _ in range(20):  # a request every quarter second for 5 s
        with pytest.raises(SigningKeysUnavailable):
            client.get_key(signing_key.kid, "RS256")
        clock.advance(0.25)
    assert server.hits == 5  # at t = 0, 1, 2, 3, 4: one a second, not one per request
    server.status = 200
    clock.advance(1)
    assert client.get_key(signing_key.kid, "RS256") is not None  # not a cooldown later
    assert server.hits == 6


def refused(message):
    return {"error": "invalid_token", "message": message}


@pytest.mark.parametrize("claims, message", [
    ({"iss": "https://other-tenant.example/"}, "Unexpected 'iss' value"),
    ({"aud": "https://other-api.example"}, "Unexpected 'aud' value"),
    ({"exp": 1}, "Token expired"),
])
def test_a_token_whose_claims_fail_is_401_not_503_while_the_keys_are_unavailable(
        tenant, signing_key, api, claims, message):
    """It can never pass: a 503 would tell its client to retry it. Nothing the unchecked
    claims say can make a token pass, only fail."""
    tenant.status = 500
    response = api("/private", mint(signing_key, **claims))
    assert (response.status_code, response.json()) == (401, refused(message))
    assert_unavailable(api("/private", mint(signing_key)))  # claims that hold: still 503


def test_a_malformed_payload_is_401_while_the_keys_are_unavailable(tenant, signing_key, api):
    tenant.status = 500
    response = api("/private", mint(signing_key, payload=b"not json"))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
