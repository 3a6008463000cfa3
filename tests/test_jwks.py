"""JWKSClient against a real JWKS server on loopback: caching, rotation, storms, outages."""
import threading

import pytest
from jose.backends.base import Key

from auth0_jwt._core import errors
from auth0_jwt._core.jwks import JWKSClient
from tests.clock import FrozenClock
from tests.keys import SigningKey, mint


@pytest.fixture
def clock():
    return FrozenClock(1000.0)


@pytest.fixture
def make_client(jwks_server, clock):
    def make(**options):
        settings = dict(timeout=1, cache_lifetime=600, cooldown=30, clock=clock)
        settings.update(options)
        return JWKSClient(jwks_server.url, **settings)

    return make


def test_keys_are_fetched_once_for_many_lookups(make_client, jwks_server):
    client = make_client()
    keys = {id(client.get_key("key-1", "RS256")) for _ in range(50)}
    assert jwks_server.hits == 1
    assert len(keys) == 1  # the same key object, built once per fetch
    assert isinstance(keys and client.get_key("key-1", "RS256"), Key)


def test_many_requests_through_the_api_fetch_the_jwks_once(api, token, jwks_server):
    for _ in range(20):
        assert api("/api/private", token()).status_code == 200
    assert jwks_server.hits == 1


def test_rotation_picks_up_a_new_key_on_unknown_kid(make_client, jwks_server, signing_key,
                                                    other_key, clock):
    client = make_client()
    client.get_key("key-1", "RS256")
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    clock.now += 31  # past the cooldown
    assert client.get_key("key-2", "RS256")
    assert jwks_server.hits == 2


def test_rotation_through_the_api(api, jwks_server, signing_key, other_key, configure):
    configure(JWKS_REFETCH_COOLDOWN=0)
    assert api("/api/private", mint(signing_key)).status_code == 200
    jwks_server.serve_keys(other_key.jwk())
    assert api("/api/private", mint(other_key)).status_code == 200
    assert jwks_server.hits == 2


def test_unknown_kid_storm_causes_at_most_one_fetch_per_cooldown(make_client, jwks_server, clock,
                                                                 caplog):
    client = make_client()
    client.get_key("key-1", "RS256")
    clock.now += 31
    outcomes = []

    def attempt(i):
        try:
            client.get_key(f"forged-{i}", "RS256")
        except errors.UnknownSigningKey:
            outcomes.append("unknown")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["unknown"] * 40
    assert jwks_server.hits == 2  # the initial fetch + one refetch for the whole storm
    suppressed = [r for r in caplog.records if "suppressed" in r.getMessage()]
    assert len(suppressed) == 1  # logged once per cooldown window, not once per request
    clock.now += 31
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("forged-again", "RS256")
    assert jwks_server.hits == 3


def test_concurrent_first_requests_share_one_fetch(make_client, jwks_server):
    jwks_server.delay = 0.2
    client = make_client()
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.get_key("key-1", "RS256")))
               for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10
    assert jwks_server.hits == 1


def test_expired_cache_is_refreshed(make_client, jwks_server, clock):
    client = make_client(cache_lifetime=60)
    client.get_key("key-1", "RS256")
    clock.now += 61
    client.get_key("key-1", "RS256")
    assert jwks_server.hits == 2


def test_server_down_with_cached_key_still_verifies(make_client, jwks_server, clock, caplog):
    client = make_client(cache_lifetime=60)
    key = client.get_key("key-1", "RS256")
    jwks_server.status = 503
    clock.now += 61
    assert client.get_key("key-1", "RS256") is key
    assert jwks_server.hits == 2
    assert "serving cached keys" in caplog.text


def test_server_down_with_no_key_is_unavailable(make_client, jwks_server):
    jwks_server.status = 500
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_down_then_back_recovers_after_the_cooldown(make_client, jwks_server, clock):
    client = make_client()
    jwks_server.status = 500
    with pytest.raises(errors.SigningKeysUnavailable):
        client.get_key("key-1", "RS256")
    jwks_server.status = 200
    with pytest.raises(errors.SigningKeysUnavailable):
        client.get_key("key-1", "RS256")  # still within the cooldown: no new fetch
    assert jwks_server.hits == 1
    clock.now += 31
    assert client.get_key("key-1", "RS256")
    assert jwks_server.hits == 2


def test_server_down_through_the_api_keeps_serving_cached_keys(api, token, jwks_server,
                                                               configure):
    configure(JWKS_CACHE_LIFETIME=0, JWKS_REFETCH_COOLDOWN=0)  # every request tries a refresh
    assert api("/api/private", token()).status_code == 200
    jwks_server.status = 500
    for _ in range(3):
        assert api("/api/private", token()).status_code == 200
    assert jwks_server.hits == 4


def test_slow_server_times_out(make_client, jwks_server):
    jwks_server.delay = 1.5
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client(timeout=0.3).get_key("key-1", "RS256")


def test_response_over_the_size_cap_is_refused(make_client, jwks_server, signing_key):
    jwks_server.serve_keys(signing_key.jwk(padding="x" * 200_000))
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client(max_bytes=100_000).get_key("key-1", "RS256")


@pytest.mark.parametrize("body", [b"<html>login</html>", b"{not json", b"[]", b'{"keys": {}}',
                                  b'{"keys": []}'])
def test_unusable_documents_leave_no_keys(make_client, jwks_server, body):
    jwks_server.body = body
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_redirects_are_not_followed(make_client, jwks_server):
    jwks_server.status = 302
    jwks_server.headers = {"Location": "http://127.0.0.1:1/jwks.json"}
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")
    assert jwks_server.hits == 1


@pytest.mark.parametrize("jwk_change", [
    {"kty": "oct", "k": "c2VjcmV0"},
    {"kty": "EC"},
    {"use": "enc"},
    {"alg": "RS512"},
    {"key_ops": ["encrypt"]},
    {"d": "AQAB"},
    {"kid": 7},
    {"n": 12345},
])
def test_keys_that_are_not_rsa_signing_keys_are_ignored(make_client, jwks_server, signing_key,
                                                        jwk_change):
    jwks_server.serve_keys({**signing_key.jwk(), **jwk_change})
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_rsa_keys_under_2048_bits_are_ignored(make_client, jwks_server):
    weak = SigningKey("weak", bits=1024)
    jwks_server.serve_keys(weak.jwk())
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("weak", "RS256")


def test_duplicate_kids_are_both_dropped(make_client, jwks_server, signing_key, other_key):
    jwks_server.serve_keys(signing_key.jwk(), {**other_key.jwk(), "kid": "key-1"},
                           other_key.jwk(kid="key-3"))
    client = make_client()
    assert client.get_key("key-3", "RS256")
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("key-1", "RS256")


def test_version_changes_only_when_the_key_set_changes(make_client, jwks_server, clock,
                                                       signing_key, other_key):
    client = make_client(cooldown=0, cache_lifetime=10)
    client.get_key("key-1", "RS256")
    first = client.version
    clock.now += 11
    client.get_key("key-1", "RS256")
    assert client.version == first
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    clock.now += 11
    client.get_key("key-1", "RS256")
    assert client.version == first + 1


def test_removed_key_stops_working_after_refresh(make_client, jwks_server, clock, other_key):
    client = make_client(cooldown=0, cache_lifetime=10)
    client.get_key("key-1", "RS256")
    jwks_server.serve_keys(other_key.jwk())
    clock.now += 11
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("key-1", "RS256")
