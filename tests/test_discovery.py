"""Issuer metadata discovery against a real issuer server on 127.0.0.1: OIDC first, RFC 8414
next, an identical issuer or nothing, cached like the JWKS, and a 503 when it is down."""
import logging

import pytest

from auth0_jwt._core import errors
from auth0_jwt._core.discovery import DiscoveredKeySource, MetadataClient, metadata_urls
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.verification import TokenVerifier
from tests.clock import FrozenClock
from tests.issuer_server import JWKS_PATH, OAUTH_PATH, OIDC_PATH, IssuerServer
from tests.keys import AUDIENCE, mint


@pytest.fixture(scope="module")
def _issuer_server():
    server = IssuerServer().start()
    yield server
    server.stop()


@pytest.fixture
def issuer_server(_issuer_server, signing_key):
    _issuer_server.publish(signing_key.jwk())
    return _issuer_server


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def metadata(issuer_server, clock):
    return MetadataClient(issuer_server.issuer, timeout=2, cache_lifetime=600, cooldown=30,
                          clock=clock)


def key_source(metadata):
    clients = {}
    return DiscoveredKeySource(metadata, lambda url: clients.setdefault(
        url, JWKSClient(url, timeout=2)))


def verifier(issuer_server, source):
    return TokenVerifier(issuer=issuer_server.issuer, audiences=[AUDIENCE], key_source=source)


def token(issuer_server, key):
    return mint(key, iss=issuer_server.issuer)


def test_metadata_urls_follow_oidc_then_rfc8414_path_insertion():
    assert metadata_urls("https://tenant.example.com/") == (
        "https://tenant.example.com/.well-known/openid-configuration",
        "https://tenant.example.com/.well-known/oauth-authorization-server")
    assert metadata_urls("https://idp.example.com/realms/acme") == (
        "https://idp.example.com/realms/acme/.well-known/openid-configuration",
        "https://idp.example.com/.well-known/oauth-authorization-server/realms/acme")


def test_discovered_jwks_verifies_tokens(issuer_server, metadata, signing_key):
    assert verifier(issuer_server, key_source(metadata)).verify(
        token(issuer_server, signing_key)).sub == "auth0|user-1"
    assert issuer_server.hit_count(OIDC_PATH) == 1 and issuer_server.hit_count(JWKS_PATH) == 1


def test_metadata_is_cached_for_its_lifetime(issuer_server, metadata, signing_key, clock):
    check = verifier(issuer_server, key_source(metadata))
    for _ in range(3):
        check.verify(token(issuer_server, signing_key))
    clock.advance(599)
    check.verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 1
    clock.advance(2)
    check.verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 2


def test_rfc8414_metadata_is_used_when_there_is_no_oidc_document(issuer_server, metadata,
                                                                 signing_key):
    issuer_server.publish(signing_key.jwk(), metadata_path=OAUTH_PATH)
    assert verifier(issuer_server, key_source(metadata)).verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 1  # 404 first
    assert issuer_server.hit_count(OAUTH_PATH) == 1


@pytest.mark.parametrize("claimed", ["https://evil.example/", "{base}", "{base}//", None, 42])
def test_metadata_naming_another_issuer_is_refused(issuer_server, metadata, signing_key, caplog,
                                                   claimed):
    # RFC 8414 section 3.3: identical, or not used at all (not even minus a trailing slash).
    claimed = claimed.format(base=issuer_server.base) if isinstance(claimed, str) else claimed
    issuer_server.publish(signing_key.jwk(), issuer=claimed)
    if claimed is None:
        issuer_server.set_route(OIDC_PATH, 200, {"jwks_uri": issuer_server.jwks_url})
    with caplog.at_level(logging.WARNING, logger="auth0_jwt.discovery"):
        with pytest.raises(errors.SigningKeysUnavailable):
            verifier(issuer_server, key_source(metadata)).verify(
                token(issuer_server, signing_key))
    assert "is not the configured issuer" in caplog.text
    assert issuer_server.hit_count(JWKS_PATH) == 0  # the keys it names are never fetched


@pytest.mark.parametrize("jwks_uri", ["ftp://127.0.0.1/jwks", "http://keys.example.com/jwks",
                                      "", 7, "https://"])
def test_metadata_with_an_unusable_jwks_uri_is_refused(issuer_server, metadata, signing_key,
                                                       jwks_uri):
    issuer_server.set_route(OIDC_PATH, 200, {"issuer": issuer_server.issuer,
                                             "jwks_uri": jwks_uri})
    with pytest.raises(errors.SigningKeysUnavailable):
        verifier(issuer_server, key_source(metadata)).verify(token(issuer_server, signing_key))


@pytest.mark.parametrize("status, body", [(500, {}), (200, b"not json"), (200, b"[1]"),
                                          (302, {})])
def test_metadata_down_is_signing_keys_unavailable_within_the_cooldown(
        issuer_server, metadata, signing_key, status, body):
    issuer_server.set_route(OIDC_PATH, status, body)
    issuer_server.set_route(OAUTH_PATH, status, body)
    check = verifier(issuer_server, key_source(metadata))
    for _ in range(3):
        with pytest.raises(errors.SigningKeysUnavailable):
            check.verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 1  # one attempt per cooldown


def test_a_failed_refresh_keeps_the_document_held(issuer_server, metadata, signing_key, clock):
    check = verifier(issuer_server, key_source(metadata))
    check.verify(token(issuer_server, signing_key))
    issuer_server.set_route(OIDC_PATH, 503, {})
    issuer_server.set_route(OAUTH_PATH, 503, {})
    clock.advance(601)
    assert check.verify(token(issuer_server, signing_key)).sub
    assert issuer_server.hit_count(OIDC_PATH) == 2


def test_oversized_metadata_is_refused(issuer_server, signing_key, clock):
    small = MetadataClient(issuer_server.issuer, timeout=2, max_bytes=100, clock=clock)
    with pytest.raises(errors.SigningKeysUnavailable):
        verifier(issuer_server, key_source(small)).verify(token(issuer_server, signing_key))


def test_key_source_version_follows_the_jwks_and_never_fetches(issuer_server, metadata,
                                                               signing_key):
    source = key_source(metadata)
    assert source.version is None and source.has_keys() is False
    assert issuer_server.hit_count() == 0
    source.refresh()
    assert source.has_keys() is True
    assert source.version == (issuer_server.jwks_url, 1)
