"""End to end through gunicorn (DEBUG off, configured from the environment as a deployer
does): several issuers found by discovery and chosen per host, a validator, an authentication
class with its own audience, a shared secret, a static public key, and their failure modes
(metadata down, metadata for another issuer, unknown issuer, secret too short). Real issuer
servers on 127.0.0.1; one gunicorn worker each, so fetch counts are exact."""
import json
import time

import pytest
import requests

from tests.expected import and_dpop
from tests.gunicorn_server import GunicornServer, production_environ
from tests.hostile import hmac_signed, public_key_forms
from tests.issuer_server import JWKS_PATH, OAUTH_PATH, OIDC_PATH, IssuerServer
from tests.keys import AUDIENCE, ISSUER, claims, mint

PARTNER_AUDIENCE = "https://partner-api.test.example"
SECRET = "an-hs256-secret-of-more-than-thirty-two-bytes"
UNAVAILABLE = {"error": "temporarily_unavailable",
               "message": "Signing keys are temporarily unavailable"}


def invalid_token(message):
    return {"error": "invalid_token", "message": message}


def get(server, token=None, path="/api/private", host=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if host:
        headers["Host"] = host
    return requests.get(server.url(path), headers=headers, timeout=10)


@pytest.fixture(scope="module")
def issuers(signing_key, other_key):
    """A and B: working issuers with their own keys; C: metadata down; D: metadata naming
    another issuer; E: an issuer nobody listed (an attacker's)."""
    servers = {name: IssuerServer().start() for name in "ABCDE"}
    servers["A"].publish(signing_key.jwk())
    servers["B"].publish(other_key.jwk())
    servers["D"].publish(signing_key.jwk(), issuer="https://evil.example/")
    servers["E"].publish(signing_key.jwk())
    yield servers
    for server in servers.values():
        server.stop()


def start(tmp_path_factory, name, **env):
    log_dir = tmp_path_factory.mktemp(name)
    return GunicornServer(production_environ(
        log_dir / "static", WEB_CONCURRENCY="1", AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_TIMEOUT="2", **env), log_dir).start(timeout=60)


@pytest.fixture(scope="module")
def tenants(issuers, tmp_path_factory):
    """ISSUERS (A, B, C, D) by discovery from the environment; the resolver allows A, C and
    D on a.test and B on b.test (tests/demo/sdk_settings.py)."""
    listed = [issuers[name].issuer for name in "ABCD"]
    hosts = {"a.test": [issuers[n].issuer for n in "ACD"], "b.test": [issuers["B"].issuer]}
    server = start(tmp_path_factory, "tenants", DJANGO_SETTINGS_MODULE="tests.demo.sdk_settings",
                   AUTH0_ISSUERS=",".join(listed), AUTH0_DISCOVERY="true",
                   SDK_TEST_TENANT_HOSTS=json.dumps(hosts),
                   SDK_TEST_PARTNER_AUDIENCE=PARTNER_AUDIENCE)
    yield server
    server.stop()


def test_each_host_accepts_its_tenants_issuer_with_that_issuers_keys(tenants, issuers,
                                                                     signing_key, other_key):
    token_a = mint(signing_key, iss=issuers["A"].issuer, sub="a|1")
    token_b = mint(other_key, iss=issuers["B"].issuer, sub="b|1")
    for _ in range(3):
        assert get(tenants, token_a, host="a.test").json()["user"] == "a|1"
        assert get(tenants, token_b, host="b.test").json()["user"] == "b|1"
    for name in "AB":  # discovered and fetched once each, then cached
        assert issuers[name].hit_count(OIDC_PATH) == 1
        assert issuers[name].hit_count(JWKS_PATH) == 1


def test_a_tenants_issuer_is_refused_on_another_tenants_host(tenants, issuers, other_key):
    token_b = mint(other_key, iss=issuers["B"].issuer)
    response = get(tenants, token_b, host="a.test")
    assert response.status_code == 401
    assert response.json() == invalid_token("Token issuer is not allowed")
    assert response.headers["WWW-Authenticate"] == (
        and_dpop('Bearer realm="api", error="invalid_token", error_description="Token issuer is not '
        'allowed"'))


def test_an_unlisted_issuer_is_refused_without_any_fetch(tenants, issuers, signing_key):
    response = get(tenants, mint(signing_key, iss=issuers["E"].issuer), host="a.test")
    assert response.json() == invalid_token("Token issuer is not allowed")
    assert issuers["E"].hit_count() == 0


def test_metadata_down_is_503_and_asked_at_most_once_a_second(tenants, issuers, signing_key):
    token = mint(signing_key, iss=issuers["C"].issuer)
    started = time.monotonic()
    for _ in range(3):
        response = get(tenants, token, host="a.test")
        assert response.status_code == 503
        assert response.json() == UNAVAILABLE
        assert response.headers["Retry-After"] == "30"
    # Both locations tried (OIDC, then RFC 8414) per attempt; a failed attempt is retried a
    # second later, not per request.
    attempts = issuers["C"].hit_count(OIDC_PATH)
    assert 1 <= attempts <= 1 + int(time.monotonic() - started)
    assert issuers["C"].hit_count(OAUTH_PATH) == attempts


def test_metadata_naming_another_issuer_is_503_and_its_keys_never_fetched(tenants, issuers,
                                                                          signing_key):
    response = get(tenants, mint(signing_key, iss=issuers["D"].issuer), host="a.test")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert issuers["D"].hit_count(JWKS_PATH) == 0
    tenants.wait_for_log("is not the configured issuer")


def test_a_validator_in_the_settings_refuses_what_it_names(tenants, issuers, signing_key):
    response = get(tenants, mint(signing_key, iss=issuers["A"].issuer, sub="anon@123"),
                   host="a.test")
    assert response.status_code == 401
    assert response.json() == invalid_token("Unexpected 'sub' value")


def test_a_class_with_its_own_audience_beside_the_projects(tenants, issuers, signing_key):
    partner = mint(signing_key, iss=issuers["A"].issuer, aud=PARTNER_AUDIENCE, sub="p|1")
    project = mint(signing_key, iss=issuers["A"].issuer, sub="u|1")
    assert get(tenants, partner, "/partner", host="a.test").json() == {"partner": "p|1"}
    assert get(tenants, project, "/partner", host="a.test").json() == invalid_token(
        "Unexpected 'aud' value")
    assert get(tenants, partner, host="a.test").json() == invalid_token(
        "Unexpected 'aud' value")
    assert get(tenants, project, host="a.test").status_code == 200
    # The partner class inherits the project's issuers and resolver: other hosts, other rules.
    assert get(tenants, partner, "/partner", host="b.test").json() == invalid_token(
        "Token issuer is not allowed")


# -- a shared secret, a static public key ---------------------------------------------------

@pytest.fixture(scope="module")
def secret_server(tmp_path_factory):
    server = start(tmp_path_factory, "secret", AUTH0_ISSUER=ISSUER, AUTH0_SIGNING_SECRET=SECRET,
                   AUTH0_ALGORITHMS="HS256")
    yield server
    server.stop()


def hs256(secret, **overrides):
    return hmac_signed(secret, {"alg": "HS256", "typ": "JWT"}, claims(**overrides))


def test_secret_from_the_environment_verifies_hs256_tokens(secret_server, signing_key):
    assert get(secret_server, hs256(SECRET.encode(), sub="m2m|1")).json()["user"] == "m2m|1"
    assert get(secret_server, hs256(b"another-secret-of-more-than-32-bytes!!")).json() == (
        invalid_token("Invalid token signature"))
    assert get(secret_server, mint(signing_key)).json() == invalid_token(
        "Token algorithm is not allowed")


@pytest.mark.parametrize("form", ["pem-spki", "der-spki", "jwk-json"])
def test_hs256_keyed_with_a_public_key_is_refused_by_the_secret_and_static_key_servers(
        secret_server, static_key_server, signing_key, form):
    token = hs256(public_key_forms(signing_key)[form])
    assert get(secret_server, token).json() == invalid_token("Invalid token signature")
    assert get(static_key_server, token).json() == invalid_token("Token algorithm is not allowed")


def test_a_secret_too_short_stops_the_server_at_startup(tmp_path_factory):
    short = "only-20-bytes-secret"
    with pytest.raises(RuntimeError) as failed:
        start(tmp_path_factory, "short-secret", AUTH0_ISSUER=ISSUER, AUTH0_SIGNING_SECRET=short,
              AUTH0_ALGORITHMS="HS256")
    log = str(failed.value)
    assert "gunicorn exited" in log
    assert "AUTH0_JWT['SECRET'] is shorter than 32 bytes, the hash size of HS256" in log
    assert "AUTH0_SIGNING_SECRET=" in log
    assert short not in log


@pytest.fixture(scope="module")
def static_key_server(tmp_path_factory, signing_key):
    # One line with "\n" escapes, as a deployer writes a PEM into a .env file.
    pem = public_key_forms(signing_key)["pem-spki"].decode().strip().replace("\n", "\\n")
    server = start(tmp_path_factory, "static-key", AUTH0_ISSUER=ISSUER, AUTH0_PUBLIC_KEY=pem)
    yield server
    server.stop()


def test_static_public_key_from_the_environment_verifies_with_nothing_to_fetch(
        static_key_server, signing_key, other_key):
    # No JWKS server exists for this issuer at all: the key is in the settings.
    assert get(static_key_server, mint(signing_key)).status_code == 200
    assert get(static_key_server, mint(other_key, header={"alg": "RS256", "kid": "key-1"})
               ).json() == invalid_token("Invalid token signature")
    assert requests.get(static_key_server.url("/readyz"), timeout=10).json() == {"status": "ok"}
