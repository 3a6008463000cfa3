"""Property-based tests (hypothesis) over the header parser, the verifier and the API.

For arbitrary input the outcome is always one of the documented ones, and nothing else is
ever raised. Runs are derandomized (fixed seed, no example database), so CI is reproducible
and each test takes about a second.
"""
import math
import string
import time

import pytest
from django.test import RequestFactory
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from auth0_jwt._drf import credentials
from auth0_jwt._drf.credentials import B64TOKEN
from auth0_jwt._core.errors import InvalidRequest, TokenError
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.verification import TokenVerifier
from tests.hostile import FaultyJWKSServer, rs_signed, segment
from tests.keys import AUDIENCE, ISSUER, claims, mint
from tests.leak_guard import client, leak_guard  # noqa: F401  (every test is a leak test)

PROFILE = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])
HEADER_MESSAGES = {"Authorization header is empty", "Bearer token is missing",
                   "Bearer token must not contain spaces: send the token alone, without quotes "
                   "or line breaks",
                   "Bearer token must not contain spaces: the scheme name is written twice; "
                   "send the token alone after it",
                   "Authorization header: the Bearer scheme must be followed by a space",
                   "Bearer token contains characters that are not allowed"}
B64URL = string.ascii_letters + string.digits + "-_"
TOKENISH = B64URL + ".+/=~ \t"

json_scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


# -- the header parser -----------------------------------------------------------------------

def header_token(value):
    """The token the header source finds and the pipeline's syntax check lets through."""
    credential = credentials.header_credential(
        RequestFactory().get("/", HTTP_AUTHORIZATION=value))
    if credential is None:
        return None
    credentials.check_token_syntax(credential.token, credential.scheme)
    return credential.token


authorization_values = (st.text(max_size=60)
                        | st.builds(lambda s, t: s + t, st.sampled_from(
                            ["Bearer ", "bearer", "BEARER  ", "Bearer\t", "Basic ", " "]),
                            st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
                        | st.builds(lambda t: "Bearer " + t, st.text(TOKENISH, max_size=60)))


@PROFILE
@given(value=authorization_values)
@example(value="Bearer abc.def.ghi")  # the accepting branch runs at least once
def test_header_parser_returns_none_a_b64token_or_invalid_request(value):
    try:
        token = header_token(value)
    except InvalidRequest as exc:
        assert exc.message in HEADER_MESSAGES
        return
    if token is not None:
        assert B64TOKEN.fullmatch(token)
        assert value.split(None, 1)[0].lower() == "bearer"
        assert value.split(None, 1)[1].strip() == token
        assert value.strip(" \t")[len("bearer")] == " "  # RFC 7235: SP, nothing else


# -- the verifier (real JWKS client against the loopback server) -----------------------------

@pytest.fixture(scope="module")
def verifier(signing_key):
    server = FaultyJWKSServer().start()
    server.serve_keys(signing_key.jwk())
    client = JWKSClient(server.url, timeout=2, cooldown=3600)
    yield TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=client)
    assert server.hits <= 1, "hostile input made the client refetch inside the cooldown"
    server.stop()


def assert_rejected(verifier, token):
    """The only acceptable outcome for a token that is not a genuine valid one."""
    with pytest.raises(TokenError) as info:
        verifier.verify(token)
    assert info.value.message and "Token could not be verified" not in info.value.message


@PROFILE
@given(token=st.text(max_size=300) | st.text(TOKENISH, max_size=300)
       | st.binary(max_size=50) | st.integers() | st.none())
def test_verifier_rejects_arbitrary_input_with_a_token_error(verifier, token):
    assert_rejected(verifier, token)


@PROFILE
@given(header=json_values | st.dictionaries(
           st.sampled_from(["alg", "kid", "typ", "crit", "jku", "jwk", "x5c", "b64", "zip"]),
           json_values | st.sampled_from(["RS256", "none", "HS256", "key-1"]), max_size=5),
       payload=json_values, signature=st.binary(max_size=300))
def test_verifier_rejects_arbitrary_json_segments_with_a_token_error(verifier, header, payload,
                                                                     signature):
    assert_rejected(verifier, ".".join((segment(header), segment(payload), segment(signature))))


@PROFILE
@given(data=st.data())
def test_any_edit_of_a_valid_token_is_rejected(verifier, signing_key, data):
    token = mint(signing_key)
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    edit = data.draw(st.sampled_from(["replace", "insert", "delete"]), label="edit")
    char = data.draw(st.sampled_from(B64URL + ".=+/"), label="char")
    if edit == "replace":
        edited = token[:position] + char + token[position + 1:]
    elif edit == "insert":
        edited = token[:position] + char + token[position:]
    else:
        edited = token[:position] + token[position + 1:]
    assume(edited != token)
    assert_rejected(verifier, edited)


def _is_number(value):
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value))


claim_values = st.one_of(json_values, st.sampled_from([
    AUDIENCE, ISSUER, [AUDIENCE], ["other", AUDIENCE], "auth0|user-1", "read:messages"]),
    st.integers(0, 2 ** 40), st.floats(0, 2.0 ** 40))


@PROFILE
@given(overrides=st.dictionaries(
    st.sampled_from(["exp", "nbf", "iat", "aud", "iss", "sub", "scope", "permissions"]),
    claim_values | st.just(None), max_size=4), drop=st.sets(st.sampled_from(
        ["exp", "aud", "iss", "sub"]), max_size=1))
@example(overrides={}, drop=set())  # the accepting branch (and its oracle) runs at least once
@example(overrides={"aud": ["other", AUDIENCE], "exp": 2.0 ** 40}, drop=set())
def test_genuinely_signed_claims_are_accepted_only_when_every_rule_holds(
        verifier, signing_key, overrides, drop):
    body = {**claims(), **overrides}
    for name in drop:
        body.pop(name, None)
    token = rs_signed(signing_key, {"alg": "RS256", "typ": "JWT", "kid": signing_key.kid}, body)
    try:
        verified = verifier.verify(token)
    except TokenError:
        return
    now = time.time()
    # The oracle: what RFC 7519 and our rules require of an accepted token.
    assert _is_number(body["exp"]) and body["exp"] > now
    assert "nbf" not in body or (_is_number(body["nbf"]) and body["nbf"] <= now)
    assert "iat" not in body or (_is_number(body["iat"]) and body["iat"] <= now)
    assert body["iss"] == ISSUER
    assert body["aud"] == AUDIENCE or (isinstance(body["aud"], list) and AUDIENCE in body["aud"]
                                       and all(isinstance(a, str) for a in body["aud"]))
    assert isinstance(body["sub"], str) and body["sub"]
    assert "scope" not in body or isinstance(body["scope"], str)
    assert "permissions" not in body or (isinstance(body["permissions"], list) and all(
        isinstance(p, str) for p in body["permissions"]))
    assert verified.payload == body


# -- the whole API ---------------------------------------------------------------------------

DOCUMENTED = {400: "invalid_request", 401: {"invalid_token", "unauthorized"}}


@PROFILE
@given(value=authorization_values | st.builds(
    lambda t: "Bearer " + t, st.text(B64URL + ".", min_size=10, max_size=400)))
def test_api_answers_any_authorization_header_with_a_documented_error(api, value):
    response = api("/private", HTTP_AUTHORIZATION=value)
    assert response.status_code in DOCUMENTED, (value, response.content)
    body = response.json()
    assert body["error"] in DOCUMENTED[response.status_code]
    assert set(body) == {"error", "message"}
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')


FALLBACK_MESSAGES = {"Token could not be verified", "DPoP proof could not be verified"}
DPOP_DOCUMENTED = {400: {"invalid_request"},
                   401: {"invalid_token", "invalid_dpop_proof", "unauthorized"}}
proof_headers = st.dictionaries(
    st.sampled_from(["typ", "alg", "jwk", "kid", "crit"]),
    json_values | st.sampled_from(["dpop+jwt", "ES256", "RS256", "none"])
    | st.fixed_dictionaries({"kty": st.sampled_from(["EC", "RSA", "oct"])},
                            optional={"crv": st.just("P-256"), "x": st.text(B64URL, max_size=43),
                                      "y": st.text(B64URL, max_size=43),
                                      "n": st.text(B64URL, max_size=50), "e": st.just("AQAB")}),
    max_size=4)
proof_payloads = st.dictionaries(st.sampled_from(["htm", "htu", "iat", "jti", "ath", "nonce"]),
                                 json_values, max_size=6)


@pytest.fixture
def dpop_allowed(configure, token):
    """DPoP_MODE "allowed", set once per test (not per example); returns a Bearer token."""
    configure(DPOP_MODE="allowed")
    return token()


@PROFILE
@given(proof=st.text(max_size=200) | st.builds(
    lambda h, p, s: ".".join((segment(h), segment(p), segment(s))),
    proof_headers, proof_payloads, st.binary(max_size=80)))
def test_api_answers_any_dpop_proof_with_a_documented_error(api, dpop_allowed, proof):
    """DPoP on (attacked here too): a Bearer token presented under
    the DPoP scheme with any proof is never accepted, never a 500, never the fail-closed path."""
    response = api("/private", HTTP_AUTHORIZATION=f"DPoP {dpop_allowed}", HTTP_DPOP=proof)
    assert response.status_code in DPOP_DOCUMENTED, (proof, response.content)
    body = response.json()
    assert body["error"] in DPOP_DOCUMENTED[response.status_code]
    assert body["message"] not in FALLBACK_MESSAGES
