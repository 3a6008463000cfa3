"""Several issuers (MultiIssuerVerifier): the unverified 'iss' selects an allowed issuer's own
verifier before any network call; each issuer's keys, cache and cooldown are its own; the
token cache answers before any routing. Real JWKS servers on 127.0.0.1, real RSA keys."""
import pytest

from auth0_jwt._core import errors
from auth0_jwt._core.issuers import IssuerNotAllowed, MultiIssuerVerifier, unverified_issuer
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.static_keys import SecretKeySource
from auth0_jwt._core.verification import TokenVerifier
from tests.clock import FrozenClock
from tests.hostile import hmac_signed, public_key_forms
from tests.keys import AUDIENCE, claims, mint

BRAND_A = "https://brand-a.example.com/"
BRAND_B = "https://brand-b.example.com/"
INTERNAL = "https://internal.example.com/"
SECRET = "internal-shared-secret-with-more-than-32-bytes"


@pytest.fixture
def servers(jwks_server, _server_b, signing_key, other_key):
    """Brand A's JWKS serves ``signing_key`` (kid key-1), brand B's ``other_key`` (key-2)."""
    _server_b.reset()
    _server_b.serve_keys(other_key.jwk())
    return jwks_server, _server_b


@pytest.fixture
def clock():
    return FrozenClock(1_800_000_000)


@pytest.fixture
def make(servers, clock):
    def build(cache_size=16, default_allowed=None, cooldown=30):
        a, b = servers
        clients = {BRAND_A: JWKSClient(a.url, timeout=2, cooldown=cooldown),
                   BRAND_B: JWKSClient(b.url, timeout=2, cooldown=cooldown)}
        verifiers = {issuer: TokenVerifier(issuer=issuer, audiences=[AUDIENCE],
                                           key_source=client, clock=clock)
                     for issuer, client in clients.items()}
        verifiers[INTERNAL] = TokenVerifier(
            issuer=INTERNAL, audiences=[AUDIENCE], algorithms=["HS256"], clock=clock,
            key_source=SecretKeySource(SECRET, ["HS256"]))
        return MultiIssuerVerifier(verifiers, cache_size=cache_size,
                                   default_allowed=default_allowed)

    return build


def at(clock, **overrides):
    return claims(**{"iat": int(clock.now) - 10, "exp": int(clock.now) + 600, **overrides})


def test_each_issuer_verifies_with_its_own_key_source(make, clock, servers, signing_key,
                                                      other_key):
    verifier = make()
    assert verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A))).sub
    assert verifier.verify(mint(other_key, payload=at(clock, iss=BRAND_B))).sub
    assert verifier.verify(hmac_signed(SECRET.encode(), {"alg": "HS256"},
                                       at(clock, iss=INTERNAL))).sub
    assert [server.hits for server in servers] == [1, 1]


@pytest.mark.parametrize("iss", ["https://evil.example/", "https://brand-a.example.com",
                                 "HTTPS://BRAND-A.EXAMPLE.COM/", "http://127.0.0.1:1/", ""])
def test_unknown_issuer_is_refused_before_any_fetch(make, clock, servers, signing_key, iss):
    with pytest.raises(IssuerNotAllowed, match="Token issuer is not allowed"):
        make().verify(mint(signing_key, payload=at(clock, iss=iss)))
    assert [server.hits for server in servers] == [0, 0]


@pytest.mark.parametrize("iss", [None, 42, ["https://brand-a.example.com/"], {"a": 1}])
def test_issuer_that_is_not_a_string_is_refused(make, clock, servers, signing_key, iss):
    with pytest.raises(IssuerNotAllowed):
        make().verify(mint(signing_key, payload={**at(clock), "iss": iss}))
    assert [server.hits for server in servers] == [0, 0]


def test_missing_or_unreadable_issuer_gets_the_precise_error(make, clock, signing_key):
    verifier = make()
    with pytest.raises(errors.MissingClaim, match="Missing required claim 'iss'"):
        verifier.verify(mint(signing_key, payload=at(clock, iss=None)))
    with pytest.raises(errors.MalformedToken, match="three dot-separated segments"):
        verifier.verify("a.b")
    with pytest.raises(errors.MalformedToken, match="payload is not valid JSON"):
        verifier.verify("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")
    with pytest.raises(errors.TokenTooLarge):
        verifier.verify("a" * 20000)


def test_token_of_one_issuer_signed_by_the_other_issuers_key_is_refused(make, clock, servers,
                                                                        other_key):
    # 'iss' says brand A, the key is brand B's (kid key-2): only A's keys are ever consulted.
    with pytest.raises(errors.UnknownSigningKey):
        make().verify(mint(other_key, payload=at(clock, iss=BRAND_A)))
    assert [server.hits for server in servers] == [1, 0]


@pytest.mark.parametrize("form", ["pem-spki", "der-spki", "jwk-json"])
def test_hs256_keyed_with_an_rsa_issuers_public_key_is_refused(make, clock, signing_key, form):
    token = hmac_signed(public_key_forms(signing_key)[form], {"alg": "HS256", "kid": "key-1"},
                        at(clock, iss=BRAND_A))
    with pytest.raises(errors.DisallowedAlgorithm):
        make().verify(token)


def test_rs256_token_under_the_secret_issuers_name_is_refused(make, clock, signing_key):
    with pytest.raises(errors.DisallowedAlgorithm):
        make().verify(mint(signing_key, payload=at(clock, iss=INTERNAL)))


def test_allowed_narrows_the_issuers_per_call(make, clock, servers, signing_key, other_key):
    verifier = make()
    token_b = mint(other_key, payload=at(clock, iss=BRAND_B))
    with pytest.raises(IssuerNotAllowed):
        verifier.verify(token_b, frozenset({BRAND_A}))
    assert [server.hits for server in servers] == [0, 0]
    assert verifier.verify(token_b, frozenset({BRAND_B})).sub


def test_a_resolver_configuration_allows_nothing_to_a_caller_that_does_not_ask_it(make, clock,
                                                                                 signing_key):
    verifier = make(default_allowed=frozenset())
    token = mint(signing_key, payload=at(clock, iss=BRAND_A))
    with pytest.raises(IssuerNotAllowed):
        verifier.verify(token)
    assert verifier.verify(token, frozenset({BRAND_A})).sub


def test_cache_answers_before_routing_and_respects_the_allowed_issuers(make, clock, servers,
                                                                       signing_key):
    verifier = make()
    verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A, sub="first")))
    # (a token verified while its key set was being fetched is not remembered: token_cache.py)
    token = mint(signing_key, payload=at(clock, iss=BRAND_A))
    first = verifier.verify(token)
    again = verifier.verify(token)
    assert (verifier.misses, verifier.hits) == (2, 1)
    assert again.payload is first.payload and again.token == token
    with pytest.raises(IssuerNotAllowed):  # cached, but not allowed on this request
        verifier.verify(token, frozenset({BRAND_B}))
    assert verifier.verify(token, frozenset({BRAND_A})).sub
    assert verifier.hits == 2


def test_cached_token_expires_on_time(make, clock, signing_key):
    verifier = make()
    verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A, sub="first")))
    token = mint(signing_key, payload=at(clock, iss=BRAND_A))
    verifier.verify(token)
    verifier.verify(token)
    assert verifier.hits == 1
    clock.advance(600)
    with pytest.raises(errors.TokenExpired):
        verifier.verify(token)


def test_cached_token_stops_working_when_its_key_is_rotated_out(make, clock, servers,
                                                                signing_key, other_key):
    verifier = make(cooldown=0)
    verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A, sub="first")))
    token = mint(signing_key, payload=at(clock, iss=BRAND_A))
    verifier.verify(token)
    verifier.verify(token)
    assert verifier.hits == 1
    servers[0].serve_keys(other_key.jwk(kid="key-3"))
    verifier.verifiers[BRAND_A].key_source.refresh()
    with pytest.raises(errors.UnknownSigningKey):
        verifier.verify(token)


def test_each_issuers_cooldown_is_its_own(make, clock, servers, signing_key, other_key):
    verifier = make()
    with pytest.raises(errors.UnknownSigningKey):  # forged kid on A: A fetches, then cools down
        verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A),
                             header={"alg": "RS256", "kid": "forged"}))
    with pytest.raises(errors.UnknownSigningKey):
        verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A),
                             header={"alg": "RS256", "kid": "forged-2"}))
    assert verifier.verify(mint(other_key, payload=at(clock, iss=BRAND_B))).sub
    assert [server.hits for server in servers] == [1, 1]


def test_one_issuer_down_does_not_touch_the_other(make, clock, servers, signing_key, other_key):
    servers[0].status = 503
    verifier = make()
    with pytest.raises(errors.SigningKeysUnavailable):
        verifier.verify(mint(signing_key, payload=at(clock, iss=BRAND_A)))
    assert verifier.verify(mint(other_key, payload=at(clock, iss=BRAND_B))).sub


def test_unverified_issuer_is_only_read_never_trusted():
    token = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2JyYW5kLWEuZXhhbXBsZS5jb20vIn0."
    assert unverified_issuer(token) == BRAND_A


def test_key_sources_lists_each_source_once(make):
    assert len(make().key_sources()) == 3
