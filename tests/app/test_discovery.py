"""Issuer metadata discovery against a real issuer server on 127.0.0.1: OIDC first, RFC 8414
next, an identical issuer or nothing, and held with the JWKS's guarantees: never waited for
once held, refreshed in the background, a bounded wait for the first fetch, a second's retry
after a failure, one error line per outage, closed with the runtime, fork-safe."""
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import caches

from auth0_jwt._core import errors
from auth0_jwt._core.discovery import DiscoveredKeySource, MetadataClient, metadata_urls
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.shared_cache import CacheEntry
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.verification import TokenVerifier
from auth0_jwt._ops import runtime
from tests.clock import FrozenClock
from tests.hostile import FaultyJWKSServer
from tests.issuer_server import JWKS_PATH, OAUTH_PATH, OIDC_PATH
from tests.keys import AUDIENCE, mint

ROOT = Path(__file__).resolve().parents[2]


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


def test_metadata_is_refreshed_in_the_background_at_80_percent_of_its_lifetime(
        issuer_server, metadata, signing_key, clock):
    check = verifier(issuer_server, key_source(metadata))
    for _ in range(3):
        check.verify(token(issuer_server, signing_key))
    clock.advance(479)
    check.verify(token(issuer_server, signing_key))
    assert metadata.wait_for_fetch(5) and issuer_server.hit_count(OIDC_PATH) == 1
    clock.advance(1)
    issuer_server.set_route(OIDC_PATH, 200, {"issuer": issuer_server.issuer,
                                             "jwks_uri": issuer_server.jwks_url})
    check.verify(token(issuer_server, signing_key))  # served from the document held
    assert metadata.wait_for_fetch(5) and issuer_server.hit_count(OIDC_PATH) == 2


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
def test_metadata_down_is_signing_keys_unavailable_and_retried_a_second_later_not_per_request(
        issuer_server, metadata, signing_key, clock, status, body):
    issuer_server.set_route(OIDC_PATH, status, body)
    issuer_server.set_route(OAUTH_PATH, status, body)
    check = verifier(issuer_server, key_source(metadata))
    for _ in range(3):
        with pytest.raises(errors.SigningKeysUnavailable):
            check.verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 1  # one attempt, not one per request
    assert issuer_server.hit_count(OAUTH_PATH) == 1  # the RFC 8414 location, within it
    clock.advance(1)
    with pytest.raises(errors.SigningKeysUnavailable):
        check.verify(token(issuer_server, signing_key))
    assert issuer_server.hit_count(OIDC_PATH) == 2


def test_a_failed_refresh_keeps_the_document_held(issuer_server, metadata, signing_key, clock):
    check = verifier(issuer_server, key_source(metadata))
    check.verify(token(issuer_server, signing_key))
    issuer_server.set_route(OIDC_PATH, 503, {})
    issuer_server.set_route(OAUTH_PATH, 503, {})
    clock.advance(601)
    assert check.verify(token(issuer_server, signing_key)).sub
    assert metadata.wait_for_fetch(5) and issuer_server.hit_count(OIDC_PATH) == 2
    assert check.verify(token(issuer_server, signing_key)).sub  # after the failed refresh
    assert metadata.current_jwks_uri() == issuer_server.jwks_url


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


def test_a_jwks_uri_change_empties_the_token_cache(issuer_server, metadata, jwks_server,
                                                   signing_key, other_key, clock):
    source = key_source(metadata)
    cached = CachingVerifier(cache_size=16, issuer=issuer_server.issuer, audiences=[AUDIENCE],
                             key_source=source)
    old = token(issuer_server, signing_key)
    cached.verify(old)  # fetched meanwhile: not remembered (token_cache.py)
    cached.verify(old)
    assert cached.verify(old) and cached.hits == 1
    # The issuer moves its keys: the new JWKS no longer holds key-1.
    jwks_server.serve_keys(other_key.jwk())
    issuer_server.set_route(OIDC_PATH, 200, {"issuer": issuer_server.issuer,
                                             "jwks_uri": jwks_server.url})
    clock.advance(480)
    cached.verify(old)  # the refresh starts in the background
    assert metadata.wait_for_fetch(5)
    # The new URI's first key download, given time on a loaded machine (a request would get a
    # 503 after its bounded wait instead; that is not what this test is about).
    assert source.ready(5)
    with pytest.raises(errors.UnknownSigningKey):
        cached.verify(old)  # not served from the cache: its keys are gone
    assert cached.verify(token(issuer_server, other_key)).sub


def test_a_shared_copy_spares_a_second_process_the_metadata_download(issuer_server, clock):
    cache = caches["default"]
    shared = CacheEntry(cache, "test:metadata:shared")
    cache.delete_many([shared.key, shared.claim_key])
    try:
        first, second = (MetadataClient(issuer_server.issuer, timeout=2, clock=clock,
                                        wall_clock=clock, shared_store=shared)
                         for _ in range(2))
        assert first.jwks_uri() == second.jwks_uri() == issuer_server.jwks_url
        assert issuer_server.hit_count(OIDC_PATH) == 1
        assert (first.fetch_count, second.fetch_count, second.shared_loads) == (1, 0, 1)
    finally:
        cache.delete_many([shared.key, shared.claim_key])


# -- never on a request's path: bounded waits, retries, logs (injectable clock) ---------------


@pytest.fixture
def endpoint(jwks_server):
    """A metadata endpoint with fault knobs (hang, dribbled headers, status, delay): its
    document, at every path, names the loopback JWKS; its issuer is its own base URL."""
    server = FaultyJWKSServer().start()
    server.issuer = server.url.split("/.well-known")[0] + "/"
    server.document = {"issuer": server.issuer, "jwks_uri": jwks_server.url}
    yield server
    server.stop()


def metadata_of(endpoint, clock, **options):
    settings = dict(timeout=1, wait=0.5, cooldown=30, cache_lifetime=600, clock=clock)
    settings.update(options)
    return MetadataClient(endpoint.issuer, **settings)


def timed(call):
    """(outcome, seconds): the value returned, or the exception raised."""
    started = time.monotonic()
    try:
        outcome = call()
    except Exception as exc:
        outcome = exc
    return outcome, time.monotonic() - started


def test_a_hanging_metadata_endpoint_costs_a_request_the_bounded_wait_then_503(endpoint,
                                                                              clock):
    metadata = metadata_of(endpoint, clock, timeout=5, wait=0.5)
    source = key_source(metadata)
    endpoint.hang = True
    outcome, seconds = timed(lambda: source.get_key("key-1", "RS256"))
    assert isinstance(outcome, errors.SigningKeysUnavailable)
    assert 0.4 < seconds < 1.5  # the bound, not the 5 s timeout
    assert not metadata.wait_for_fetch(0)  # the fetch goes on in the background
    endpoint.hang = False  # the hung connection now answers: the fetch completes
    assert metadata.wait_for_fetch(5)
    assert source.get_key("key-1", "RS256") is not None


def test_a_hanging_metadata_endpoint_costs_one_bounded_wait_not_one_per_request(endpoint,
                                                                                clock):
    source = key_source(metadata_of(endpoint, clock, timeout=1.0, wait=0.5))
    endpoint.hang = True
    waits = []
    for _ in range(4):  # through the first fetch (cut off at 1 s) and three retries
        for _ in range(5):
            outcome, seconds = timed(lambda: source.get_key("key-1", "RS256"))
            assert isinstance(outcome, errors.SigningKeysUnavailable)
            waits.append(seconds)
        source.metadata.wait_for_fetch(5)
        clock.advance(1)  # a failed fetch is retried a second later
    assert waits[0] > 0.4
    assert max(waits[1:]) < 0.3  # nobody waits for a fetch of an endpoint known to hang
    assert len(endpoint.hit_times) == 4


def test_the_waits_for_metadata_and_for_keys_add_up_to_one_bounded_wait(endpoint, clock):
    keys = FaultyJWKSServer().start()  # the JWKS the metadata names hangs
    keys.hang = True
    endpoint.document = {"issuer": endpoint.issuer, "jwks_uri": keys.url}
    endpoint.delay = 1.2  # the metadata comes, slowly but within the wait
    metadata = metadata_of(endpoint, clock, timeout=5, wait=2.0)
    jwks = JWKSClient(keys.url, timeout=5, wait=2.0)
    try:
        outcome, seconds = timed(
            lambda: DiscoveredKeySource(metadata, lambda url: jwks).get_key("key-1", "RS256"))
        assert isinstance(outcome, errors.SigningKeysUnavailable)
        assert metadata.current_jwks_uri() == keys.url
        assert 1.1 < seconds < 2.8  # 2 s in all; 3.2 s if each wait had its own 2 s
    finally:
        jwks.close()
        keys.stop()


def test_dribbled_metadata_headers_are_cut_off_at_the_timeout(endpoint, clock, caplog):
    endpoint.dribble_headers = 0.05  # 4 KB of headers: about 200 s at this pace
    metadata = metadata_of(endpoint, clock, timeout=1.0, wait=0.2)
    started = time.monotonic()
    with pytest.raises(errors.SigningKeysUnavailable):
        metadata.jwks_uri()
    assert metadata.wait_for_fetch(5)
    assert time.monotonic() - started < 2.5  # 1 s; each byte came within any read timeout
    assert "no complete response within 1 s" in caplog.text


def test_metadata_down_then_back_is_served_a_second_after_the_failure_not_a_cooldown(
        endpoint, clock):
    source = key_source(metadata_of(endpoint, clock))  # cooldown 30 s
    endpoint.status = 500
    with pytest.raises(errors.SigningKeysUnavailable):
        source.get_key("key-1", "RS256")
    endpoint.status = 200
    clock.advance(0.5)
    with pytest.raises(errors.SigningKeysUnavailable):
        source.get_key("key-1", "RS256")  # within a second of the failure: no new fetch
    assert endpoint.hits == 2  # the OIDC location, then the RFC 8414 one
    clock.advance(0.5)
    assert source.get_key("key-1", "RS256") is not None  # the retry is waited for
    assert endpoint.hits == 3


def test_a_metadata_outage_logs_one_error_not_one_line_per_request(endpoint, clock, caplog):
    metadata = metadata_of(endpoint, clock, log_summary_every=60)
    endpoint.status = 500
    for _ in range(120):  # two minutes, 10 requests a second
        for _ in range(10):
            with pytest.raises(errors.SigningKeysUnavailable):
                metadata.jwks_uri()
        clock.advance(1)
    endpoint.status = 200
    assert metadata.jwks_uri() is not None
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if r.name == "auth0_jwt.discovery"]
    oidc, oauth = metadata.urls
    assert lines == [
        ("ERROR", f"Issuer metadata fetch failed: {oidc}: HTTP status 500; {oauth}: HTTP "
                  "status 500; no metadata document known"),
        ("WARNING", "Issuer metadata endpoint still unreachable after 60 s: 60 failed "
                    "attempt(s), 600 request(s) answered 503 in the last 60 s"),
        ("WARNING", "Issuer metadata endpoint reachable again after 120 s: 120 failed "
                    "attempt(s), 1200 request(s) answered 503 meanwhile"),
        ("INFO", lines[-1][1]),
    ]
    jwks_uri = endpoint.document["jwks_uri"]
    assert lines[-1][1].startswith(f"Issuer metadata fetched: jwks_uri {jwks_uri} in ")


def test_close_cuts_a_metadata_fetch_in_flight_short_and_starts_no_more(endpoint, clock):
    metadata = metadata_of(endpoint, clock, timeout=30, wait=0.1)
    endpoint.hang = True
    timed(metadata.jwks_uri)
    assert not metadata.wait_for_fetch(0)
    metadata.close()
    assert metadata.wait_for_fetch(1.0)  # not 30 s
    clock.advance(60)
    with pytest.raises(errors.SigningKeysUnavailable):
        metadata.jwks_uri()
    assert len(endpoint.hit_times) == 1


def metadata_threads():
    return [t for t in threading.enumerate()
            if t.name == "auth0_jwt-metadata-fetch" and t.is_alive()]


def test_runtime_reset_closes_the_metadata_clients(endpoint, settings, client, signing_key):
    settings.AUTH0_JWT = {"ISSUER": endpoint.issuer, "AUDIENCE": [AUDIENCE],
                          "DISCOVERY": True, "JWKS_TIMEOUT": 30, "JWKS_WAIT": 0.05}
    endpoint.hang = True  # every metadata fetch hangs for longer than this test
    response = client.get("/private",
                          HTTP_AUTHORIZATION=f"Bearer {mint(signing_key, iss=endpoint.issuer)}")
    assert response.status_code == 503
    assert len(metadata_threads()) == 1
    runtime.reset()
    deadline = time.monotonic() + 2
    while metadata_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert metadata_threads() == []


FORK_PROBE = r"""
import os, sys, time
sys.path.insert(0, ".")
from auth0_jwt._core.discovery import MetadataClient
from tests.hostile import FaultyJWKSServer
server = FaultyJWKSServer().start()
issuer = server.url.split("/.well-known")[0] + "/"
server.document = {"issuer": issuer, "jwks_uri": "https://keys.example.com/jwks.json"}
server.hang = True
client = MetadataClient(issuer, timeout=60, wait=0.1, cooldown=0)
try:
    client.jwks_uri()  # the parent's fetch hangs, in a thread
except Exception:
    pass
pid = os.fork()
if pid == 0:
    # The child: the parent's fetch thread does not exist here.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.jwks_uri()
            os._exit(0)
        except Exception:
            time.sleep(0.1)
    os._exit(1)
server.hang = False  # the parent's server answers the child's new fetch
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status), flush=True)
"""


def test_a_forked_child_fetches_the_metadata_for_itself():
    completed = subprocess.run([sys.executable, "-c", FORK_PROBE], cwd=ROOT, timeout=60,
                               capture_output=True, text=True)
    assert completed.stdout.strip() == "child 0", completed.stderr[-2000:]
