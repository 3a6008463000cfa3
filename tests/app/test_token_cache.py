"""The verified-token cache: re-checked at every hit, emptied on key change, bounded, thread-safe.

Real JWKS server on loopback, real RSA keys, injectable clocks (the verifier's wall clock and
the JWKS client's monotonic clock) instead of sleeping.
"""
import base64
import threading

import pytest
from django.core import checks

from auth0_jwt._core import errors

from auth0_jwt._ops import runtime
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.token_cache import CachingVerifier, TokenCache
from auth0_jwt._core.verification import TokenVerifier
from tests.clock import FrozenClock
from tests.keys import AUDIENCE, ISSUER, SigningKey, b64url, claims, mint
from tests.expected import and_dpop

NOW = 1_800_000_000


@pytest.fixture
def clock():
    """The verifier's clock (Unix time)."""
    return FrozenClock(NOW)


@pytest.fixture
def jwks_clock():
    """The JWKS client's monotonic clock (cache lifetime, cooldown)."""
    return FrozenClock(1000.0)


@pytest.fixture
def make_cached(jwks_server, clock, jwks_clock):
    def make(maxsize=16, prime=True, **options):
        client = JWKSClient(jwks_server.url, timeout=2, cache_lifetime=600, cooldown=30,
                            clock=jwks_clock)
        if prime:  # keys already fetched, as in a warmed process
            client.refresh()
        return CachingVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=client,
                               clock=clock, cache_size=maxsize, **options)

    return make


@pytest.fixture
def cached(make_cached):
    return make_cached()


def at(**overrides):
    """Claims valid at NOW."""
    return claims(**{"iat": NOW - 10, "exp": NOW + 600, **overrides})


def flip_signature(token):
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    return f"{head}.{payload}.{b64url(bytes(raw))}"


# -- hits ---------------------------------------------------------------------------------


def test_repeated_token_is_a_hit_with_the_same_claims(cached, signing_key):
    token = mint(signing_key, payload=at())
    first = cached.verify(token)
    second = cached.verify(token)
    assert (second.payload, second.header, second.scopes) == (
        first.payload, first.header, first.scopes)
    assert (cached.hits, cached.misses) == (1, 1)


def test_a_hit_carries_the_string_this_request_presented(cached, signing_key):
    # The authenticator passes a str subclass carrying the scheme; the error handler reads
    # request.auth.token.scheme, so a hit must not hand back an earlier request's string.
    class Presented(str):
        pass

    token = mint(signing_key, payload=at())
    cached.verify(Presented(token))
    again = Presented(token)
    verified = cached.verify(again)
    assert cached.hits == 1
    assert verified.token is again
    (key,) = cached.cache._entries
    assert type(key) is str


def test_an_equal_token_built_anew_is_a_hit(cached, signing_key):
    # Requests carry new string objects: the key is the content, not the object.
    token = mint(signing_key, payload=at())
    cached.verify(token)
    cached.verify("".join(list(token)))
    assert cached.hits == 1


def test_tokens_that_fail_are_not_remembered(cached, signing_key):
    bad = flip_signature(mint(signing_key, payload=at()))
    for _ in range(2):
        with pytest.raises(errors.InvalidSignature):
            cached.verify(bad)
    assert (cached.hits, cached.misses, len(cached.cache)) == (0, 2, 0)


def test_the_cache_holds_each_token_once_and_never_in_its_repr(cached, signing_key):
    token = mint(signing_key, payload=at())
    cached.verify(token)
    (key,) = cached.cache._entries
    assert key is cached.cache.get(key)[0].token  # the key is the cached token's string
    assert token not in repr(cached.cache)


# -- time is re-checked at every hit --------------------------------------------------------


def test_expired_at_hit_time_is_rejected_and_forgotten(cached, signing_key, clock):
    token = mint(signing_key, payload=at(exp=NOW + 60))
    cached.verify(token)
    clock.now = NOW + 60
    with pytest.raises(errors.TokenExpired, match="^Token expired$"):
        cached.verify(token)
    assert len(cached.cache) == 0


def test_leeway_applies_at_hit_time(make_cached, signing_key, clock):
    cached = make_cached(leeway=30)
    token = mint(signing_key, payload=at(exp=NOW + 60))
    cached.verify(token)
    clock.now = NOW + 89
    assert cached.verify(token).payload["exp"] == NOW + 60
    assert cached.hits == 1
    clock.now = NOW + 90
    with pytest.raises(errors.TokenExpired):
        cached.verify(token)


def test_not_before_is_rechecked_when_the_clock_steps_back(cached, signing_key, clock):
    token = mint(signing_key, payload=at(nbf=NOW - 5))
    cached.verify(token)
    clock.now = NOW - 6  # wall clock corrected backwards (NTP)
    with pytest.raises(errors.TokenNotYetValid):
        cached.verify(token)


def test_max_age_applies_at_hit_time(make_cached, signing_key, clock):
    cached = make_cached(max_age=60)
    token = mint(signing_key, payload=at(iat=NOW))
    cached.verify(token)
    clock.now = NOW + 60
    cached.verify(token)
    assert cached.hits == 1
    clock.now = NOW + 61
    with pytest.raises(errors.TokenTooOld):
        cached.verify(token)


# -- the key set --------------------------------------------------------------------------


def test_removed_key_stops_working_as_soon_as_the_new_set_is_fetched(
        cached, signing_key, other_key, jwks_server, jwks_clock):
    old = mint(signing_key, payload=at())
    cached.verify(old)
    cached.verify(old)
    assert len(cached.cache) == 1
    jwks_server.serve_keys(other_key.jwk())  # rotation: key-1 removed
    jwks_clock.now += 30  # past the refetch cooldown
    cached.verify(mint(other_key, payload=at()))  # unknown kid: the set is fetched again
    assert len(cached.cache) == 1  # emptied, then the new token stored
    with pytest.raises(errors.UnknownSigningKey):
        cached.verify(old)
    assert jwks_server.hits == 2


def test_key_replaced_under_the_same_kid_invalidates_tokens_it_signed(cached, signing_key,
                                                                     jwks_server, jwks_clock):
    old = mint(signing_key, payload=at())
    cached.verify(old)
    cached.verify(old)
    assert len(cached.cache) == 1
    jwks_server.serve_keys(SigningKey("key-1").jwk())  # same kid, new key material
    jwks_clock.now += 600  # the set is due for refresh
    cached.verify(old)  # starts the refresh; the held set still answers meanwhile
    assert cached.key_source.wait_for_fetch(5)
    with pytest.raises(errors.InvalidSignature):
        cached.verify(old)
    assert jwks_server.hits == 2


def test_hits_keep_the_key_set_refreshed_on_schedule(cached, signing_key, jwks_server,
                                                    jwks_clock):
    token = mint(signing_key, payload=at())
    for _ in range(3):
        cached.verify(token)
    assert (jwks_server.hits, cached.hits) == (1, 2)
    jwks_clock.now += 600
    cached.verify(token)
    assert cached.key_source.wait_for_fetch(5)
    assert (jwks_server.hits, cached.hits) == (2, 3)  # same keys: still a hit


def test_a_key_set_fetched_during_verification_does_not_tag_the_token(make_cached, signing_key,
                                                                     jwks_server):
    # The first verification fetches the set (version 0 -> 1): which set signed the token is
    # not assumed, so the next request verifies again and only then remembers it.
    cached = make_cached(prime=False)
    token = mint(signing_key, payload=at())
    cached.verify(token)
    assert len(cached.cache) == 0
    cached.verify(token)
    cached.verify(token)
    assert (cached.hits, cached.misses, jwks_server.hits) == (1, 2, 1)


# -- bound --------------------------------------------------------------------------------


def test_size_is_bounded_and_least_recently_used_is_evicted(make_cached, signing_key):
    cached = make_cached(maxsize=3)
    tokens = [mint(signing_key, payload=at(sub=f"user-{i}")) for i in range(5)]
    for token in tokens[:3]:
        cached.verify(token)
    cached.verify(tokens[0])  # hit: now the most recently used
    cached.verify(tokens[3])  # evicts tokens[1]
    assert len(cached.cache) == 3
    hits = cached.hits
    cached.verify(tokens[0])
    assert cached.hits == hits + 1
    cached.verify(tokens[1])
    assert cached.hits == hits + 1  # it was evicted: a miss
    for token in tokens:
        cached.verify(token)
    assert len(cached.cache) == 3


def test_cache_of_size_zero_is_refused():
    with pytest.raises(ValueError):
        TokenCache(0)


# -- threads ------------------------------------------------------------------------------


def test_concurrent_verifications_stay_correct_and_bounded(make_cached, signing_key):
    cached = make_cached(maxsize=8)
    tokens = [mint(signing_key, payload=at(sub=f"user-{i}")) for i in range(20)]
    failures = []

    def work(offset):
        try:
            for i in range(150):
                index = (i * 7 + offset) % len(tokens)
                if cached.verify(tokens[index]).payload["sub"] != f"user-{index}":
                    failures.append(index)
        except Exception as exc:  # noqa: BLE001  (any exception fails the test)
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(cached.cache) <= 8
    assert cached.hits > 0


def test_concurrent_puts_gets_and_clears_keep_the_bound():
    cache = TokenCache(16)
    errors_seen = []

    def work(seed):
        try:
            for i in range(3000):
                key = bytes([seed, i % 40])
                cache.put(key, i)
                cache.get(bytes([seed ^ 1, i % 40]))
                if i % 500 == 0:
                    cache.clear()
        except Exception as exc:  # noqa: BLE001
            errors_seen.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors_seen == []
    assert len(cache) <= 16


# -- settings and the API -----------------------------------------------------------------


def test_the_api_serves_a_repeated_token_from_the_cache(api, signing_key, jwks_server):
    token = mint(signing_key)
    assert api("/private", token).status_code == 200  # fetches the keys
    for _ in range(3):
        assert api("/private", token).status_code == 200
    verifier = runtime.get_verifier()
    assert (verifier.hits, verifier.misses) == (2, 2)
    assert jwks_server.hits == 1


def test_the_api_rejects_a_cached_token_once_its_key_is_removed(api, configure, signing_key,
                                                                other_key, jwks_server):
    configure(JWKS_REFETCH_COOLDOWN=0)
    token = mint(signing_key)
    for _ in range(2):
        assert api("/private", token).status_code == 200
    jwks_server.serve_keys(other_key.jwk())
    assert api("/private", mint(other_key)).status_code == 200  # refetch: key-1 is gone
    response = api("/private", token)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token signing key is not known"}
    assert response["WWW-Authenticate"] == (and_dpop('Bearer realm="api", error="invalid_token", '
                                            'error_description="Token signing key is not known"'))


def test_cache_size_zero_disables_the_cache(configure):
    configure(TOKEN_CACHE_SIZE=0)
    assert type(runtime.get_verifier()) is TokenVerifier


def test_cache_size_comes_from_the_settings(configure):
    configure(TOKEN_CACHE_SIZE=7)
    verifier = runtime.get_verifier()
    assert isinstance(verifier, CachingVerifier)
    assert verifier.cache.maxsize == 7
    assert verifier.issuer == ISSUER  # a TokenVerifier with the configured options


@pytest.mark.parametrize("size", [-1, 1.5, "1024", True, None])
def test_invalid_cache_size_stops_startup_with_an_example(settings, size):
    settings.AUTH0_JWT = {"DOMAIN": "dev-abc123.us.auth0.com",
                          "AUDIENCE": "https://api.example.com", "TOKEN_CACHE_SIZE": size}
    found = [m for m in checks.run_checks() if m.id == "auth0_jwt.E021"]
    assert len(found) == 1
    assert found[0].msg.startswith("AUTH0_JWT['TOKEN_CACHE_SIZE'] must be a whole number")
    assert found[0].hint == "Example: AUTH0_TOKEN_CACHE_SIZE=1024"
