"""Retry-After per cause: each 503 carries its cause's own hint (errors are data).

- a request that outwaited a key or metadata fetch that is still running (``JWKS_WAIT``
  elapsed, nothing failed): 1-2 s, the fetch's result is a retry away;
- a tenant outage (the fetch failed): ``JWKS_RETRY_AFTER`` (30 s by default);
- the DPoP replay store down: until its circuit breaker's next probe (Redis 5 s, the file 1 s);
- ``/readyz`` answers as a request would.

Real servers on 127.0.0.1 that stall or fail; no mocks.
"""
import time

import pytest

from auth0_jwt._core.discovery import DiscoveredKeySource, MetadataClient
from auth0_jwt._core.errors import SigningKeysUnavailable
from auth0_jwt._core.jwks import JWKSClient
from tests.clock import FrozenClock
from tests.dpop_client import DPoPKey
from tests.jwks_server import JWKSServer
from tests.keys import mint

UNAVAILABLE = {"error": "temporarily_unavailable",
               "message": "Signing keys are temporarily unavailable"}
REPLAY_DOWN = {"error": "temporarily_unavailable",
               "message": "Replay protection is temporarily unavailable"}
URL = "http://testserver/private"
SOON = ("1", "2")


def wait_until(probe, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    pytest.fail("condition not met in time")


@pytest.fixture
def slow_tenant(configure, jwks_server):
    """The JWKS answers after 1.5 s; a request waits 0.2 s for it."""
    jwks_server.delay = 1.5
    configure(JWKS_WAIT=0.2, JWKS_TIMEOUT=3)
    return jwks_server


# -- through the API ---------------------------------------------------------------------------

def test_a_fetch_still_running_after_the_wait_is_503_with_a_retry_of_a_second_or_two(
        api, slow_tenant, signing_key):
    token = mint(signing_key)
    response = api("/private", token)
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] in SOON
    assert not response.has_header("WWW-Authenticate")
    # The hint holds: once the fetch is done, a retry is served.
    wait_until(lambda: api("/private", token).status_code == 200, timeout=5)


@pytest.mark.parametrize("configured, expected", [(None, "30"), (17, "17")])
def test_a_tenant_outage_is_503_with_jwks_retry_after(api, configure, jwks_server, signing_key,
                                                      configured, expected):
    jwks_server.status = 500
    if configured is not None:
        configure(JWKS_RETRY_AFTER=configured)
    response = api("/private", mint(signing_key))
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response["Retry-After"] == expected


def test_readyz_while_the_fetch_is_still_running_says_retry_soon(client, slow_tenant):
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response["Retry-After"] in SOON
    wait_until(lambda: client.get("/readyz").status_code == 200, timeout=5)


def test_readyz_during_a_tenant_outage_says_jwks_retry_after(client, configure, jwks_server):
    jwks_server.status = 500
    configure(JWKS_RETRY_AFTER=23)
    response = client.get("/readyz")
    assert (response.status_code, response["Retry-After"]) == (503, "23")


@pytest.fixture
def dpop_request(client, configure, signing_key):
    key = DPoPKey()

    def send():
        token = mint(signing_key, cnf={"jkt": key.thumbprint()})
        return client.get("/private", HTTP_AUTHORIZATION=f"DPoP {token}",
                          HTTP_DPOP=key.proof(htu=URL, access_token=token))

    return send


def test_redis_replay_store_down_says_retry_at_its_next_probe(settings, configure,
                                                              dpop_request):
    from tests.processes import free_port

    settings.CACHES = {**settings.CACHES, "down": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    configure(DPOP_REPLAY_STORE="cache", DPOP_REPLAY_CACHE="down")
    first = dpop_request()
    assert (first.status_code, first.json(), first["Retry-After"]) == (503, REPLAY_DOWN, "5")
    second = dpop_request()  # the breaker is open: refused at once, until the next probe
    assert (second.status_code, second.json()) == (503, REPLAY_DOWN)
    assert second["Retry-After"] in ("4", "5")


def test_file_replay_store_down_says_retry_in_a_second(configure, dpop_request, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    configure(STATE_DIR=str(blocker / "state"))  # a folder that cannot exist
    response = dpop_request()
    assert (response.status_code, response.json(), response["Retry-After"]) == (
        503, REPLAY_DOWN, "1")


# -- the key sources' own hints ----------------------------------------------------------------

@pytest.fixture
def stalling_server():
    server = JWKSServer().start()
    yield server
    server.stop()


def test_the_jwks_client_hint_is_soon_while_fetching_and_none_after_a_failure(
        stalling_server, signing_key):
    stalling_server.serve_keys(signing_key.jwk())
    stalling_server.delay = 1.0
    client = JWKSClient(stalling_server.url, wait=0.1, timeout=3, cooldown=30)
    try:
        with pytest.raises(SigningKeysUnavailable) as raised:
            client.get_key("key-1", "RS256")
        assert raised.value.retry_after in (1, 2)
        assert client.wait_for_fetch(5)
        stalling_server.delay, stalling_server.status = 0.0, 500
        clock = FrozenClock()
        fresh = JWKSClient(stalling_server.url, wait=1.0, timeout=3, cooldown=30, clock=clock)
        with pytest.raises(SigningKeysUnavailable) as raised:
            fresh.get_key("key-1", "RS256")
        assert raised.value.retry_after is None  # an outage: the configured hint
        stalling_server.delay = 1.0  # a retry that stalls after a failure: still an outage
        clock.advance(1.1)  # the first retry after a failure is due
        with pytest.raises(SigningKeysUnavailable) as raised:
            fresh.get_key_within("key-1", "RS256", 0.1)
        assert raised.value.retry_after is None
        assert fresh.fetch_count == 2  # the stalled retry was really under way
        fresh.close()
    finally:
        client.close()


def test_discovery_hint_is_soon_while_the_metadata_fetch_is_running(stalling_server,
                                                                    signing_key):
    issuer = "https://issuer.test.example/"
    stalling_server.document = {"issuer": issuer, "jwks_uri": stalling_server.url}
    stalling_server.delay = 1.0
    metadata = MetadataClient(issuer, urls=[stalling_server.url], wait=0.1, timeout=3)
    source = DiscoveredKeySource(metadata, lambda url: JWKSClient(url, wait=0.1, timeout=3))
    try:
        with pytest.raises(SigningKeysUnavailable) as raised:
            source.get_key("key-1", "RS256")
        assert raised.value.retry_after in (1, 2)
        assert source.retry_hint() in (1, 2)
    finally:
        metadata.close()
