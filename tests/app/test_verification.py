"""TokenVerifier: every check, with a real JWKS client on loopback and real RSA keys."""
import json

import pytest
from cryptography.hazmat.primitives import serialization

from auth0_jwt._core import errors
from auth0_jwt._core.jwks import JWKSClient
from tests.clock import FrozenClock
from auth0_jwt._core.verification import TokenVerifier
from tests.keys import AUDIENCE, ISSUER, b64url, claims, encode_segment, mint, mint_hmac

NOW = 1_800_000_000


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def make_verifier(jwks_server, clock):
    def make(**options):
        algorithms = options.pop("algorithms", ("RS256",))
        client = JWKSClient(jwks_server.url, algorithms=algorithms, timeout=2)
        settings = dict(issuer=ISSUER, audiences=[AUDIENCE], key_source=client,
                        algorithms=algorithms, clock=clock)
        settings.update(options)
        return TokenVerifier(**settings)

    return make


@pytest.fixture
def verifier(make_verifier):
    return make_verifier()


def at(**overrides):
    """Claims valid at NOW."""
    return claims(**{"iat": NOW - 10, "exp": NOW + 600, **overrides})


def test_valid_token_returns_payload_header_and_scopes(verifier, signing_key):
    token = mint(signing_key, payload=at(scope="read:messages openid", permissions=["admin:access"]))
    verified = verifier.verify(token)
    assert verified.token == token
    assert verified.payload["sub"] == "auth0|user-1"
    assert verified.header == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    assert verified.scopes == {"read:messages", "openid", "admin:access"}
    assert token not in repr(verified)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "RS384", "ES256", "PS256"])
def test_algorithm_outside_the_allowlist_is_rejected(verifier, signing_key, alg):
    token = f"{encode_segment({'alg': alg, 'kid': 'key-1'})}.{encode_segment(at())}."
    with pytest.raises(errors.DisallowedAlgorithm):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_rejected(verifier, signing_key):
    pem = signing_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    token = mint_hmac(pem, at(), {"alg": "HS256", "typ": "JWT", "kid": "key-1"})
    with pytest.raises(errors.DisallowedAlgorithm):
        verifier.verify(token)


def test_hs256_is_rejected_even_if_it_were_in_the_algorithm_list(make_verifier, signing_key):
    # The JWKS client only builds RSA keys, so an HMAC alg can never find a key.
    verifier = make_verifier(algorithms=("RS256", "HS256"))
    pem = signing_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    token = mint_hmac(pem, at(), {"alg": "HS256", "kid": "key-1"})
    with pytest.raises((errors.UnknownSigningKey, errors.DisallowedAlgorithm)):
        verifier.verify(token)


def test_rs384_is_accepted_when_allowlisted(make_verifier, signing_key, jwks_server):
    jwks_server.serve_keys({**signing_key.jwk(), "alg": "RS384"})
    verifier = make_verifier(algorithms=("RS256", "RS384"))
    assert verifier.verify(mint(signing_key, payload=at(), alg="RS384")).sub == "auth0|user-1"


def test_unknown_kid_is_rejected(verifier, signing_key):
    token = mint(signing_key, payload=at(), header={"alg": "RS256", "kid": "nope"})
    with pytest.raises(errors.UnknownSigningKey):
        verifier.verify(token)


def test_missing_kid_is_rejected(verifier, signing_key):
    token = mint(signing_key, payload=at(), header={"alg": "RS256"})
    with pytest.raises(errors.UnknownSigningKey, match="no 'kid'"):
        verifier.verify(token)


def test_token_signed_by_another_key_with_our_kid_is_rejected(verifier, other_key):
    token = mint(other_key, payload=at(), header={"alg": "RS256", "kid": "key-1"})
    with pytest.raises(errors.InvalidSignature):
        verifier.verify(token)


def test_tampered_payload_is_rejected(verifier, signing_key):
    header, _, signature = mint(signing_key, payload=at(scope="openid")).split(".")
    forged = encode_segment(at(scope="openid admin:access"))
    with pytest.raises(errors.InvalidSignature):
        verifier.verify(f"{header}.{forged}.{signature}")


def test_flipped_signature_byte_is_rejected(verifier, signing_key):
    token = mint(signing_key, payload=at())
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[10] != "A" else "B")
    with pytest.raises(errors.InvalidSignature):
        verifier.verify(f"{head}.{payload}.{signature[:10]}{flipped}{signature[11:]}")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "...."])
def test_wrong_segment_count_or_empty_segments_are_malformed(verifier, token):
    with pytest.raises(errors.MalformedToken):
        verifier.verify(token)


def test_jwe_shaped_token_is_malformed(verifier):
    token = ".".join([encode_segment({"alg": "RSA-OAEP", "enc": "A256GCM"}), "a", "b", "c", "d"])
    with pytest.raises(errors.MalformedToken, match="three"):
        verifier.verify(token)


@pytest.mark.parametrize("header", [b"not json", b"[1,2]", b"\xff\xfe", b'"alg"'])
def test_non_object_header_is_malformed(verifier, header):
    with pytest.raises(errors.MalformedToken):
        verifier.verify(f"{b64url(header)}.{encode_segment(at())}.AAAA")


def test_non_json_payload_is_malformed_after_the_signature_check(verifier, signing_key):
    token = mint(signing_key, payload=b"this is not json", header={"alg": "RS256", "kid": "key-1"})
    with pytest.raises(errors.MalformedToken, match="payload"):
        verifier.verify(token)


def test_too_long_token_is_rejected_before_any_key_lookup(verifier, jwks_server):
    with pytest.raises(errors.TokenTooLarge):
        verifier.verify("a" * 50_000 + "." + "b" * 50_000 + ".c")
    assert jwks_server.hits == 0


def test_expired_token_is_rejected(verifier, signing_key):
    with pytest.raises(errors.TokenExpired):
        verifier.verify(mint(signing_key, payload=claims(iat=NOW - 100, exp=NOW)))


def test_leeway_tolerates_clock_skew(make_verifier, signing_key):
    token = mint(signing_key, payload=claims(iat=NOW - 100, exp=NOW - 20))
    assert make_verifier(leeway=30).verify(token)
    with pytest.raises(errors.TokenExpired):
        make_verifier(leeway=10).verify(token)


def test_missing_exp_is_rejected(verifier, signing_key):
    payload = at()
    del payload["exp"]
    with pytest.raises(errors.MissingClaim, match="'exp'"):
        verifier.verify(mint(signing_key, payload=payload))


def test_not_yet_valid_token_is_rejected(verifier, signing_key):
    with pytest.raises(errors.TokenNotYetValid):
        verifier.verify(mint(signing_key, payload=at(nbf=NOW + 60)))


def test_nbf_within_leeway_is_accepted(make_verifier, signing_key):
    assert make_verifier(leeway=60).verify(mint(signing_key, payload=at(nbf=NOW + 30)))


def test_iat_in_the_future_is_rejected(verifier, signing_key):
    with pytest.raises(errors.TokenIssuedInFuture):
        verifier.verify(mint(signing_key, payload=at(iat=NOW + 120)))


def test_max_age_rejects_old_tokens_and_requires_iat(make_verifier, signing_key):
    verifier = make_verifier(max_age=300)
    assert verifier.verify(mint(signing_key, payload=at(iat=NOW - 299)))
    with pytest.raises(errors.TokenTooOld):
        verifier.verify(mint(signing_key, payload=at(iat=NOW - 301)))
    payload = at()
    del payload["iat"]
    with pytest.raises(errors.MissingClaim, match="'iat'"):
        verifier.verify(mint(signing_key, payload=payload))


@pytest.mark.parametrize("value", ["1800000600", True, None, [1], float("nan")])
def test_non_numeric_exp_is_rejected(verifier, signing_key, value):
    payload = json.dumps({**at(), "exp": value}).encode()  # NaN is emitted as NaN: not JSON
    with pytest.raises((errors.InvalidClaim, errors.MalformedToken)):
        verifier.verify(mint(signing_key, payload=payload))


def test_huge_exp_is_a_number_and_accepted(verifier, signing_key):
    assert verifier.verify(mint(signing_key, payload=at(exp=10**30)))


@pytest.mark.parametrize("iss", ["https://tenant.test.example", "https://evil.example/",
                                 "HTTPS://TENANT.TEST.EXAMPLE/", ["https://tenant.test.example/"]])
def test_issuer_must_match_exactly(verifier, signing_key, iss):
    with pytest.raises(errors.InvalidIssuer):
        verifier.verify(mint(signing_key, payload=at(iss=iss)))


def test_missing_issuer_is_rejected(verifier, signing_key):
    payload = at()
    del payload["iss"]
    with pytest.raises(errors.MissingClaim):
        verifier.verify(mint(signing_key, payload=payload))


@pytest.mark.parametrize("aud", [AUDIENCE, [AUDIENCE], ["https://other", AUDIENCE]])
def test_audience_string_or_array_containing_ours_is_accepted(verifier, signing_key, aud):
    assert verifier.verify(mint(signing_key, payload=at(aud=aud)))


@pytest.mark.parametrize("aud", ["https://other", ["https://other"], [], 42, [AUDIENCE, 1], None])
def test_audience_without_ours_or_of_wrong_type_is_rejected(verifier, signing_key, aud):
    payload = at(aud=aud) if aud is not None else {k: v for k, v in at().items() if k != "aud"}
    with pytest.raises(errors.InvalidClaim):
        verifier.verify(mint(signing_key, payload=payload))


def test_any_of_several_configured_audiences_is_accepted(make_verifier, signing_key):
    verifier = make_verifier(audiences=["https://one", AUDIENCE])
    assert verifier.verify(mint(signing_key, payload=at(aud="https://one")))


@pytest.mark.parametrize("overrides,match", [
    ({"sub": 42}, "'sub'"), ({"sub": ""}, "'sub'"), ({"scope": ["a"]}, "'scope'"),
    ({"permissions": "admin:access"}, "'permissions'"), ({"permissions": [1]}, "'permissions'"),
    ({"jti": 42}, "'jti' must be a string"), ({"jti": ["a"]}, "'jti' must be a string"),
    ({"client_id": 7}, "'client_id' must be a string"),
    ({"client_id": {"id": "c"}}, "'client_id' must be a string"),
])
def test_claims_of_the_wrong_type_are_rejected(verifier, signing_key, overrides, match):
    with pytest.raises(errors.InvalidClaim, match=match):
        verifier.verify(mint(signing_key, payload=at(**overrides)))


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "x5c"])
def test_headers_naming_a_key_are_rejected(verifier, signing_key, name):
    token = mint(signing_key, payload=at(),
                 header={"alg": "RS256", "kid": "key-1", name: "https://evil.example/keys"})
    with pytest.raises(errors.DisallowedHeader):
        verifier.verify(token)


def test_crit_header_is_rejected(verifier, signing_key):
    token = mint(signing_key, payload=at(), header={"alg": "RS256", "kid": "key-1", "crit": ["exp"]})
    with pytest.raises(errors.DisallowedHeader, match="crit"):
        verifier.verify(token)


class TestStrictRFC9068:
    def strict_claims(self, **overrides):
        return at(jti="id-1", client_id="client-1", **overrides)

    @pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT"])
    def test_at_jwt_type_is_accepted(self, make_verifier, signing_key, typ):
        token = mint(signing_key, payload=self.strict_claims(),
                     header={"alg": "RS256", "kid": "key-1", "typ": typ})
        assert make_verifier(strict_rfc9068=True).verify(token)

    @pytest.mark.parametrize("typ", ["JWT", None, "dpop+jwt"])
    def test_other_types_are_rejected(self, make_verifier, signing_key, typ):
        header = {"alg": "RS256", "kid": "key-1"}
        if typ:
            header["typ"] = typ
        token = mint(signing_key, payload=self.strict_claims(), header=header)
        with pytest.raises(errors.InvalidTokenType):
            make_verifier(strict_rfc9068=True).verify(token)

    @pytest.mark.parametrize("claim", ["jti", "client_id", "iat"])
    def test_rfc9068_claims_are_required(self, make_verifier, signing_key, claim):
        payload = self.strict_claims()
        del payload[claim]
        token = mint(signing_key, payload=payload,
                     header={"alg": "RS256", "kid": "key-1", "typ": "at+jwt"})
        with pytest.raises(errors.MissingClaim, match=claim):
            make_verifier(strict_rfc9068=True).verify(token)

    def test_without_strict_mode_a_jwt_type_is_accepted(self, verifier, signing_key):
        assert verifier.verify(mint(signing_key, payload=at()))


def test_string_jti_and_client_id_are_accepted_without_strict_mode(verifier, signing_key):
    assert verifier.verify(mint(signing_key, payload=at(jti="a1", client_id="c1")))


def test_scope_is_split_on_spaces_only(verifier, signing_key):
    # RFC 6749 section 3.3: a tab or line break is part of a scope token, not a separator.
    token = mint(signing_key, payload=at(scope="read:messages\twrite  admin:access\nx "))
    assert verifier.verify(token).scopes == {"read:messages\twrite", "admin:access\nx"}


def test_lone_surrogate_in_a_genuinely_signed_payload_is_malformed(verifier, signing_key):
    raw = json.dumps(at(sub=None)).encode()[:-1] + b',"sub":"\\ud800"}'
    with pytest.raises(errors.MalformedToken, match="not valid Unicode"):
        verifier.verify(mint(signing_key, payload=raw))
