"""The embedded proof key: public only, full-length, on its curve; exact signature lengths;
RFC 7638 thumbprints as computed independently by the test client."""
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from auth0_jwt._core.proof_keys import ProofKey, ProofKeyError, jwk_thumbprint
from tests.dpop_client import DPoPKey
from tests.keys import b64url


@pytest.fixture(scope="module")
def ec_key():
    return DPoPKey()


def test_thumbprint_matches_the_rfc_7638_example():
    # RFC 7638 section 3.1: this RSA key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
    jwk = {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29", "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
        "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW"
        "2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
        "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")}
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_ignores_optional_members_and_member_order(ec_key):
    jwk = ec_key.jwk()
    reordered = {"y": jwk["y"], "x": jwk["x"], "kty": "EC", "crv": "P-256", "kid": "k", "use": "sig"}
    assert jwk_thumbprint(reordered) == jwk_thumbprint(jwk) == ec_key.thumbprint()


def test_es256_signature_verifies_and_a_flipped_byte_does_not(ec_key):
    key = ProofKey(ec_key.jwk(), "ES256")
    signature = ec_key.sign(b"input")
    assert key.verify(b"input", signature)
    assert not key.verify(b"input", signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not key.verify(b"other", signature)


def test_der_encoded_ecdsa_signature_is_refused(ec_key):
    der = ec_key.private.sign(b"input", ec.ECDSA(hashes.SHA256()))
    assert not ProofKey(ec_key.jwk(), "ES256").verify(b"input", der)


def test_private_members_are_refused(ec_key):
    for member in ("d", "p", "q", "dp", "dq", "qi", "oth", "k"):
        with pytest.raises(ProofKeyError, match="private key"):
            ProofKey({**ec_key.jwk(), member: "AQAB"}, "ES256")


def test_point_not_on_the_curve_is_refused(ec_key):
    jwk = ec_key.jwk()
    with pytest.raises(ProofKeyError, match="not a valid public key"):
        ProofKey({**jwk, "y": b64url(bytes(31) + b"\x07")}, "ES256")


def test_shortened_coordinate_is_refused(ec_key):
    with pytest.raises(ProofKeyError, match="not a valid public key"):
        ProofKey({**ec_key.jwk(), "x": b64url(bytes(31))}, "ES256")


def test_curve_must_match_the_algorithm(ec_key):
    with pytest.raises(ProofKeyError, match="curve does not match"):
        ProofKey(ec_key.jwk(), "ES384")


def test_short_rsa_key_is_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ProofKeyError, match="shorter than 2048 bits"):
        ProofKey(DPoPKey(small, "RS256").jwk(), "RS256")


def test_ed25519_key_verifies():
    client = DPoPKey(ed25519.Ed25519PrivateKey.generate(), alg="EdDSA")
    key = ProofKey(client.jwk(), "EdDSA")
    assert key.verify(b"x", client.sign(b"x"))
    assert key.thumbprint() == client.thumbprint()


def test_non_string_members_are_refused(ec_key):
    with pytest.raises(ProofKeyError, match="member 'x'"):
        ProofKey({**ec_key.jwk(), "x": 12}, "ES256")
    with pytest.raises(ProofKeyError, match="JSON object"):
        ProofKey("not-a-dict", "ES256")
