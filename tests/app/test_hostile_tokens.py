"""Hostile tokens through the real API: each gets the documented 401 (or 400 when the header
itself is malformed), never a 200 or a 500.

Classes from RFC 8725 (JWT BCP) and the known library CVEs; every token is assembled byte by
byte in ``tests/hostile.py``, independent of the code under test. The expected messages are
the fixed texts of ``auth0_jwt/_core/errors.py``: a wrong message means a check ran in the wrong
order or did not run at all.
"""
import re
import time

import pytest
from jose import jwt as jose_jwt

from tests.hostile import (PUBLIC_KEY_FORMS, FaultyJWKSServer, Verbatim, eddsa_signed, es256_signed,
                           hmac_signed, nested, ps256_signed, public_key_forms, respell,
                           rs_signed, unsigned)
from tests.keys import AUDIENCE, ISSUER, b64url, claims
from tests.leak_guard import client, leak_guard  # noqa: F401  (every test is a leak test)
from tests.expected import and_dpop

ALG = "Token algorithm is not allowed"
SIGNATURE = "Invalid token signature"
UNKNOWN_KEY = "Token signing key is not known"
NO_KID = "Token header has no 'kid'"
BAD_KID = "Token header 'kid' must be a non-empty string"
OWN_KEY = "Token header names its own key; keys come only from the JWKS"
CRIT = "Token header has a 'crit' parameter that is not supported"
SEGMENTS = "Malformed token: expected three dot-separated segments"
NOT_B64 = "Malformed token: segment is not base64url"
NOT_CANONICAL = "Malformed token: segment is not canonical base64url"
HEADER_JSON = "Malformed token: header is not valid JSON"
HEADER_OBJECT = "Malformed token: header is not a JSON object"
PAYLOAD_JSON = "Malformed token: payload is not valid JSON"
PAYLOAD_OBJECT = "Malformed token: payload is not a JSON object"
TOO_LARGE = "Token exceeds the maximum length"
BAD_CHARS = "Bearer token contains characters that are not allowed"
SPACES = ("Bearer token must not contain spaces: send the token alone, without quotes or "
          "line breaks")

KID = "key-1"  # the kid of the ``signing_key`` fixture
ALL_HMAC = ("HS256", "HS384", "HS512")


def header(**changes):
    """The genuine header with ``changes``; a value of ``...`` removes the parameter."""
    value = {"alg": "RS256", "typ": "JWT", "kid": KID, **changes}
    return {k: v for k, v in value.items() if v is not ...}


def payload(**changes):
    """Valid claims with ``changes`` (None is kept as JSON null); ``...`` removes a claim."""
    value = {**claims(), **changes}
    return {k: v for k, v in value.items() if v is not ...}


def signed(key, hdr=None, body=None):
    return rs_signed(key, header() if hdr is None else hdr, payload() if body is None else body)


def invalid_token(message):
    return 401, "invalid_token", message


def invalid_request(message):
    return 400, "invalid_request", message


def assert_documented(response, status, code, message):
    assert response.status_code == status, response.content
    assert response.json() == {"error": code, "message": message}
    assert response["WWW-Authenticate"] == (
        and_dpop(f'Bearer realm="api", error="{code}", error_description="{message}"'))


def check(api, token, expected):
    assert_documented(api("/private", token), *expected)


# -- algorithm -------------------------------------------------------------------------------

NONE_SPELLINGS = ["none", "None", "NONE", "nOnE"]


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
def test_alg_none_is_rejected(alg, api, jwks_server):
    check(api, unsigned(header(alg=alg), payload()), invalid_token(ALG))
    assert jwks_server.hits == 0  # refused before any key is looked up


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
def test_alg_none_with_a_genuine_signature_kept_is_rejected(alg, api, signing_key):
    genuine = signed(signing_key).split(".")
    forged = ".".join([unsigned(header(alg=alg), {}).split(".")[0], *genuine[1:]])
    check(api, forged, invalid_token(ALG))


@pytest.mark.parametrize("alg", ALL_HMAC)
@pytest.mark.parametrize("form", PUBLIC_KEY_FORMS)
def test_hmac_keyed_with_the_real_public_key_is_rejected(form, alg, api, signing_key,
                                                         jwks_server):
    # CVE-2024-33663 / RFC 8725 2.1: the public key used as an HMAC secret. PEM, DER and the
    # JWK (JSON and 'n') of the key the JWKS actually serves.
    secret = public_key_forms(signing_key)[form]
    check(api, hmac_signed(secret, header(alg=alg), payload(), alg), invalid_token(ALG))
    assert jwks_server.hits == 0


def test_python_jose_alone_accepts_hs256_keyed_with_the_der_public_key(signing_key):
    """Why the wrapper never lets the token pick HMAC: python-jose 3.5's CVE-2024-33663 fix
    refuses PEM-shaped secrets only; DER bytes of the same public key still verify."""
    secret = public_key_forms(signing_key)["der-spki"]
    token = hmac_signed(secret, header(alg="HS256"), payload())
    assert jose_jwt.decode(token, secret, algorithms=None, audience=AUDIENCE)["sub"]


def test_python_jose_alone_accepts_no_exp_no_aud_and_a_future_iat(signing_key):
    """python-jose's defaults: exp and aud are optional and iat is not checked."""
    pem = public_key_forms(signing_key)["pem-spki"]
    token = signed(signing_key, body={"sub": "x", "iat": int(time.time()) + 10 ** 6})
    assert jose_jwt.decode(token, pem, algorithms=["RS256"])["sub"] == "x"


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
def test_genuine_signature_with_an_rsa_algorithm_outside_the_allowlist_is_rejected(
        alg, api, signing_key):
    check(api, rs_signed(signing_key, header(alg=alg), payload(), alg), invalid_token(ALG))


def test_genuine_ps256_signature_by_the_real_key_is_rejected(api, signing_key):
    check(api, ps256_signed(signing_key, header(alg="PS256"), payload()), invalid_token(ALG))


@pytest.mark.parametrize("alg, sign", [("ES256", es256_signed), ("EdDSA", eddsa_signed)])
def test_genuine_signature_with_a_non_rsa_algorithm_is_rejected(alg, sign, api):
    check(api, sign(header(alg=alg), payload()), invalid_token(ALG))


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": True}, 256, True, None, ..., "rs256",
                                 "RS256 ", " RS256", "RS256\u0000", "RS256\u200b", ""])
def test_alg_that_is_not_exactly_an_allowed_string_is_rejected(alg, api, signing_key):
    check(api, signed(signing_key, header(alg=alg)), invalid_token(ALG))


# -- keys ------------------------------------------------------------------------------------

def test_missing_kid_is_rejected(api, signing_key):
    check(api, signed(signing_key, header(kid=...)), invalid_token(NO_KID))


@pytest.mark.parametrize("kid", [1, 0, 1.5, True, {"kid": KID}, [KID], ""])
def test_kid_that_is_not_a_non_empty_string_is_rejected(kid, api, signing_key):
    check(api, signed(signing_key, header(kid=kid)), invalid_token(BAD_KID))


@pytest.mark.parametrize("kid", [
    "key-999", "KEY-1", "key-1 ", " key-1", "key-1\u0000", "../../../../etc/passwd",
    "/dev/null", "file:///etc/passwd", "key-1/../key-1", "key-1' OR '1'='1",
    "key-1\"; DROP TABLE keys;--", "%", "*", "\\", "key-1\r\nX-Injected: yes", "é", "k" * 5000])
def test_unknown_or_hostile_kid_is_rejected_with_at_most_one_fetch(kid, api, signing_key,
                                                                   jwks_server, caplog):
    check(api, signed(signing_key, header(kid=kid)), invalid_token(UNKNOWN_KEY))
    assert jwks_server.hits == 1
    # The attacker's kid reaches the security log only as short printable text (no CR/LF
    # log injection, no 5000-character lines): 64 characters, then "...".
    logged = [str(r.kid) for r in caplog.records if hasattr(r, "kid")]
    assert logged and all(re.fullmatch(r"[\x21-\x7e]{0,67}", value) for value in logged)


def test_token_signed_by_another_key_under_our_kid_is_rejected(api, other_key):
    check(api, rs_signed(other_key, header(), payload()), invalid_token(SIGNATURE))


@pytest.fixture(scope="module")
def attacker_jwks(other_key):
    """A JWKS the attacker controls (on loopback); our API must never fetch it."""
    server = FaultyJWKSServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", ["jku", "x5u"])
def test_header_url_to_the_attackers_keys_is_never_followed(name, api, other_key,
                                                            attacker_jwks, jwks_server):
    attacker_jwks.reset()
    attacker_jwks.serve_keys(other_key.jwk(kid=KID))
    token = rs_signed(other_key, header(**{name: attacker_jwks.url}), payload())
    check(api, token, invalid_token(OWN_KEY))
    assert (attacker_jwks.hits, jwks_server.hits) == (0, 0)


def test_embedded_jwk_of_the_attackers_key_is_rejected(api, other_key):
    token = rs_signed(other_key, header(jwk=other_key.jwk(kid=KID)), payload())
    check(api, token, invalid_token(OWN_KEY))


def test_embedded_jwk_of_our_own_key_is_rejected_too(api, signing_key):
    check(api, signed(signing_key, header(jwk=signing_key.jwk())), invalid_token(OWN_KEY))


def test_x5c_certificate_chain_is_rejected(api, other_key):
    token = rs_signed(other_key, header(x5c=[b64url(b"\x30\x82" + b"\x00" * 64)]), payload())
    check(api, token, invalid_token(OWN_KEY))


@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "b64", None])
def test_crit_header_is_rejected(crit, api, signing_key):
    hdr = header(crit=crit, **({"b64": False} if crit == ["b64"] else {}))
    check(api, signed(signing_key, hdr), invalid_token(CRIT))


# -- encoding: exactly one valid spelling ----------------------------------------------------

def segments(token):
    return token.split(".")


def with_segment(token, index, value):
    parts = segments(token)
    parts[index] = value
    return ".".join(parts)


def header_with_spare_bits(key):
    """A genuine token whose header segment length is 2 or 3 mod 4 (so it can be respelled)."""
    for pad in range(4):
        token = signed(key, header(x="a" * pad))
        if len(segments(token)[0]) % 4 in (2, 3):
            return token
    raise AssertionError("unreachable")


def test_respelled_signature_is_rejected_as_not_canonical(api, signing_key):
    token = signed(signing_key)
    check(api, with_segment(token, 2, respell(segments(token)[2])), invalid_token(NOT_CANONICAL))


def test_respelled_header_is_rejected_as_not_canonical(api, signing_key):
    token = header_with_spare_bits(signing_key)
    check(api, with_segment(token, 0, respell(segments(token)[0])), invalid_token(NOT_CANONICAL))


def test_respelled_payload_fails_the_signature(api, signing_key):
    for pad in range(4):
        token = signed(signing_key, body=payload(x="a" * pad))
        if len(segments(token)[1]) % 4 in (2, 3):
            break
    check(api, with_segment(token, 1, respell(segments(token)[1])), invalid_token(SIGNATURE))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_standard_alphabet_in_any_segment_is_rejected(index, api, signing_key):
    token = signed(signing_key)
    value = segments(token)[index].replace("-", "+").replace("_", "/")
    if value == segments(token)[index]:
        value = value[:-1] + "+"  # no - or _ in this segment: force one standard character
    expected = NOT_B64 if index != 1 else SIGNATURE
    check(api, with_segment(token, index, value), invalid_token(expected))


def test_padding_on_the_signature_is_rejected(api, signing_key):
    check(api, signed(signing_key) + "==", invalid_token(NOT_B64))


@pytest.mark.parametrize("index", [0, 1])
def test_padding_inside_the_token_is_a_malformed_header(index, api, signing_key):
    token = signed(signing_key)
    check(api, with_segment(token, index, segments(token)[index] + "=="),
          invalid_request(BAD_CHARS))


@pytest.mark.parametrize("junk, expected", [
    (".", invalid_token(SEGMENTS)),
    (".e30", invalid_token(SEGMENTS)),
    ("A", invalid_token(SIGNATURE)),
    ("AA", invalid_token(SIGNATURE)),
    ("AAA", invalid_token(NOT_B64)),
    ("~", invalid_token(NOT_B64)),
    ("!", invalid_request(BAD_CHARS)),
    ("\u00e9", invalid_request(BAD_CHARS)),
    ("%00", invalid_request(BAD_CHARS)),
    (" junk", invalid_request(SPACES)),
    ("\tjunk", invalid_request(SPACES)),
])
def test_trailing_junk_is_rejected(junk, expected, api, signing_key):
    check(api, signed(signing_key) + junk, expected)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_whitespace_inside_a_segment_is_a_malformed_header(index, api, signing_key):
    token = signed(signing_key)
    value = segments(token)[index]
    check(api, with_segment(token, index, value[:5] + " " + value[5:]), invalid_request(SPACES))


@pytest.mark.parametrize("raw_header, expected", [
    (b"not json", HEADER_JSON),
    (b"", HEADER_JSON),
    (b'["RS256"]', HEADER_OBJECT),
    (b'"RS256"', HEADER_OBJECT),
    (b"null", HEADER_OBJECT),
    (b'{"alg":"none","alg":"RS256","kid":"key-1"}', HEADER_JSON),
    (b'{"alg":"RS256","kid":"key-1","kid":"key-2"}', HEADER_JSON),
    (b'{"alg":"RS256","kid":"key-1","x":NaN}', HEADER_JSON),
    (b'{"alg":"RS256","kid":"key-1","x":Infinity}', HEADER_JSON),
    (b'\xef\xbb\xbf{"alg":"RS256","kid":"key-1"}', HEADER_JSON),
    (b'{"alg":"RS256","kid":"\xff"}', HEADER_JSON),
    (b'{"alg":"RS256","kid":"key-1"} trailing', HEADER_JSON),
    (nested(4000), HEADER_JSON),
    (b'{"alg":"RS256","kid":"key-1","x":' + nested(4000) + b"}", HEADER_JSON),
])
def test_header_that_is_not_one_json_object_is_rejected(raw_header, expected, api,
                                                        signing_key, jwks_server):
    # Signed with the real key, so only the header's shape can be what is refused.
    check(api, rs_signed(signing_key, raw_header, payload()), invalid_token(expected))
    assert jwks_server.hits == 0


@pytest.mark.parametrize("raw_payload, expected", [
    (b"not json", PAYLOAD_JSON),
    (b"", PAYLOAD_JSON),
    (b"[]", PAYLOAD_OBJECT),
    (b'"sub"', PAYLOAD_OBJECT),
    (b"1e400", PAYLOAD_OBJECT),
    (b'{"sub":"auth0|user-1","sub":"admin"}', PAYLOAD_JSON),
    (b'{"exp":NaN}', PAYLOAD_JSON),
    (b'{"exp":' + b"9" * 5000 + b"}", PAYLOAD_JSON),  # beyond int_max_str_digits
    (b'{"sub":"\xff"}', PAYLOAD_JSON),
    (b'{"a":' * 1500 + b"1" + b"}" * 1500, PAYLOAD_JSON),
])
def test_genuinely_signed_payload_that_is_not_one_json_object_is_rejected(
        raw_payload, expected, api, signing_key):
    check(api, rs_signed(signing_key, header(), raw_payload), invalid_token(expected))


@pytest.mark.parametrize("token", [
    "e30", "e30.e30", "e30.e30.e30.e30", "e30.e30.e30.e30.e30", "a.b.c.d.e.f", ".", "....",
])
def test_wrong_number_of_segments_is_rejected(token, api):
    check(api, token, invalid_token(SEGMENTS))


def test_jwe_shaped_token_is_rejected(api, signing_key):
    jwe_header = {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": KID, "zip": "DEF"}
    token = ".".join([unsigned(jwe_header, {}).split(".")[0], b64url(b"k" * 256),
                      b64url(b"iv" * 6), b64url(b"\x00" * 1000), b64url(b"t" * 16)])
    check(api, token, invalid_token(SEGMENTS))


@pytest.mark.parametrize("build, expected", [
    (lambda key: "..", HEADER_JSON),
    (lambda key: "." + segments(signed(key))[1] + "." + segments(signed(key))[2], HEADER_JSON),
    (lambda key: with_segment(signed(key), 2, ""), SIGNATURE),
    (lambda key: with_segment(signed(key), 1, ""), SIGNATURE),
    (lambda key: rs_signed(key, header(), Verbatim("")), PAYLOAD_JSON),
])
def test_empty_segments_are_rejected(build, expected, api, signing_key):
    check(api, build(signing_key), invalid_token(expected))


@pytest.mark.parametrize("signature", [b"", b"\x00", b"\x00" * 256, b"\xff" * 256,
                                       b"\x00" * 257, b"\x01" * 512])
def test_garbage_signature_is_rejected(signature, api, signing_key):
    token = signed(signing_key)
    check(api, with_segment(token, 2, b64url(signature)), invalid_token(SIGNATURE))


def test_signature_of_another_token_is_rejected(api, signing_key):
    donor = signed(signing_key, body=payload(sub="someone-else"))
    token = with_segment(signed(signing_key, body=payload(sub="admin")), 2, segments(donor)[2])
    check(api, token, invalid_token(SIGNATURE))


# -- claims ----------------------------------------------------------------------------------

def now():
    return int(time.time())


def claim_case(name, value, message):
    return pytest.param(name, value, message, id=f"{name}={value!r}"[:60])


NOT_A_NUMBER = "Claim '{}' must be a number"
CLAIM_CASES = [
    *(claim_case(name, value, NOT_A_NUMBER.format(name))
      for name in ("exp", "nbf", "iat")
      for value in ("1700000000", "soon", True, False, None, [1], {"t": 1})),
    claim_case("exp", ..., "Missing required claim 'exp'"),
    claim_case("exp", 0, "Token expired"),
    claim_case("exp", -1, "Token expired"),
    claim_case("exp", 1_000_000_000.5, "Token expired"),
    claim_case("nbf", 10 ** 30, "Token not yet valid"),
    claim_case("nbf", 4_000_000_000.5, "Token not yet valid"),
    claim_case("iat", 10 ** 30, "Token issued in the future"),
    claim_case("iat", 4_000_000_000, "Token issued in the future"),
    *(claim_case("aud", value, "Claim 'aud' must be a string or an array of strings")
      for value in (123, None, True, {"aud": AUDIENCE}, [AUDIENCE, 5], [[AUDIENCE]])),
    claim_case("aud", ..., "Missing required claim 'aud'"),
    *(claim_case("aud", value, "Unexpected 'aud' value")
      for value in ([], ["https://other.example"], AUDIENCE + "/", AUDIENCE.upper(), "")),
    *(claim_case("iss", value, "Unexpected 'iss' value")
      for value in (123, None, [ISSUER], {"iss": ISSUER}, ISSUER.rstrip("/"),
                    ISSUER.upper(), ISSUER + " ", "")),
    claim_case("iss", ..., "Missing required claim 'iss'"),
    *(claim_case("sub", value, "Claim 'sub' must be a non-empty string")
      for value in (123, None, "", ["auth0|user-1"], {"id": 1}, True)),
    claim_case("sub", ..., "Missing required claim 'sub'"),
    *(claim_case("scope", value, "Claim 'scope' must be a space-separated string")
      for value in (["read:messages"], 1, None, {"read:messages": True})),
    *(claim_case("permissions", value, "Claim 'permissions' must be an array of strings")
      for value in ("admin:access", [1], None, {"admin:access": True})),
]


@pytest.mark.parametrize("name, value, message", CLAIM_CASES)
def test_claim_of_the_wrong_type_or_value_is_rejected(name, value, message, api, signing_key):
    check(api, signed(signing_key, body=payload(**{name: value})), invalid_token(message))


def test_float_times_are_valid_numeric_dates(api, signing_key):
    body = payload(exp=now() + 3600.5, nbf=now() - 0.5, iat=now() - 0.25)
    assert api("/private", signed(signing_key, body=body)).status_code == 200


@pytest.mark.parametrize("aud", [[AUDIENCE], ["https://other.example", AUDIENCE], AUDIENCE])
def test_aud_string_or_list_holding_our_audience_is_accepted(aud, api, signing_key):
    response = api("/private", signed(signing_key, body=payload(aud=aud)))
    assert response.status_code == 200, response.content


def test_iat_a_minute_in_the_future_is_rejected_without_leeway(api, signing_key):
    check(api, signed(signing_key, body=payload(iat=now() + 60)),
          invalid_token("Token issued in the future"))


def test_iat_in_the_future_within_the_leeway_is_accepted(api, configure, signing_key):
    configure(LEEWAY=30)
    assert api("/private", signed(signing_key, body=payload(iat=now() + 10))
               ).status_code == 200


def test_absurd_lifetime_is_refused_once_older_than_the_maximum_age(api, configure,
                                                                    signing_key):
    configure(MAX_TOKEN_AGE=3600)
    body = payload(iat=now() - 7200, exp=now() + 10 ** 9)
    check(api, signed(signing_key, body=body),
          invalid_token("Token is older than the maximum age"))


def test_maximum_age_requires_iat(api, configure, signing_key):
    configure(MAX_TOKEN_AGE=3600)
    check(api, signed(signing_key, body=payload(iat=...)),
          invalid_token("Missing required claim 'iat'"))


def test_strict_mode_refuses_a_plain_jwt_typ(api, configure, signing_key):
    configure(STRICT_RFC9068=True)
    check(api, signed(signing_key), invalid_token(
        "Unexpected 'typ' value: an 'at+jwt' access token is required"))


@pytest.mark.parametrize("typ", [1, True, ["JWT"], {"typ": "JWT"}])
def test_typ_that_is_not_a_string_is_rejected(typ, api, signing_key):
    hdr = header(typ=typ)
    check(api, signed(signing_key, hdr), invalid_token("Unexpected 'typ' value"))


# -- size ------------------------------------------------------------------------------------

MAX_TOKEN_LENGTH = 16384  # AUTH0_JWT['MAX_TOKEN_LENGTH'], the documented bound


def token_of_length(key, length):
    """A genuine, valid token of exactly ``length`` characters (padded with a claim)."""
    for extra in range(4):
        base = len(signed(key, header(x="a" * extra), payload(pad="")))
        for grow in range(max(0, (length - base) * 3 // 4 - 8), (length - base) * 3 // 4 + 8):
            token = signed(key, header(x="a" * extra), payload(pad="p" * grow))
            if len(token) == length:
                return token
    raise AssertionError(f"no token of length {length}")


def test_valid_token_of_exactly_the_maximum_length_is_accepted(api, signing_key):
    token = token_of_length(signing_key, MAX_TOKEN_LENGTH)
    assert len(token) == MAX_TOKEN_LENGTH
    assert api("/private", token).status_code == 200


def test_valid_token_one_character_over_the_maximum_is_refused_before_any_key_lookup(
        api, signing_key, jwks_server):
    token = token_of_length(signing_key, MAX_TOKEN_LENGTH + 1)
    check(api, token, invalid_token(TOO_LARGE))
    assert jwks_server.hits == 0


@pytest.mark.parametrize("size", [100_000, 1_000_000])
def test_huge_token_is_refused_quickly_and_without_crypto(size, api, jwks_server):
    token = "eyJhbGciOiJSUzI1NiJ9." + "A" * size + ".AAAA"
    started = time.monotonic()
    check(api, token, invalid_token(TOO_LARGE))
    assert time.monotonic() - started < 0.5
    assert jwks_server.hits == 0


def test_maximum_length_is_configurable(api, configure, signing_key, jwks_server):
    configure(MAX_TOKEN_LENGTH=500)
    check(api, signed(signing_key), invalid_token(TOO_LARGE))
    assert jwks_server.hits == 0
