"""Keys given in the settings: a static public key (PEM or JWK, nothing fetched) and a shared
secret (HS256/384/512, opt-in), each through the real TokenVerifier."""
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from auth0_jwt._core import errors
from auth0_jwt._core.static_keys import KeyConfigurationError, SecretKeySource, StaticKeySource
from auth0_jwt._core.verification import TokenVerifier
from tests.certs import Certificate
from tests.hostile import PUBLIC_KEY_FORMS, hmac_signed, public_key_forms, small_rsa_jwk
from tests.keys import AUDIENCE, ISSUER, b64url, claims, encode_segment, mint

SECRET = "a-shared-secret-of-at-least-32-bytes-for-hs256"  # 46 bytes
SECRET_64 = "x" * 64


def verifier(key_source, algorithms=("RS256",)):
    return TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=key_source,
                         algorithms=algorithms)


def pem(signing_key, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    return signing_key.private.public_key().public_bytes(serialization.Encoding.PEM, fmt).decode()


def hs_token(secret, alg="HS256", header=None, **overrides):
    header = header or {"alg": alg, "typ": "JWT"}
    signing_input = f"{encode_segment(header)}.{encode_segment(claims(**overrides))}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    mac = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(mac)}"


# -- a static public key ----------------------------------------------------------------------

@pytest.mark.parametrize("form", ["pem-spki", "pem-pkcs1", "jwk-text", "jwk-dict", "certificate"])
def test_static_public_key_in_each_form_verifies_a_token(signing_key, form):
    rsa_cert = Certificate("auth0-signing", key=signing_key.private)
    value = {"pem-spki": pem(signing_key),
             "pem-pkcs1": pem(signing_key, serialization.PublicFormat.PKCS1),
             "jwk-text": json.dumps(signing_key.jwk()),
             "jwk-dict": signing_key.jwk(),
             "certificate": rsa_cert.pem}[form]
    verified = verifier(StaticKeySource(value)).verify(mint(signing_key))
    assert verified.sub == "auth0|user-1"


def test_pem_key_verifies_tokens_with_any_kid_or_none(signing_key):
    source = StaticKeySource(pem(signing_key))
    assert source.requires_kid is False
    no_kid = mint(signing_key, header={"alg": "RS256", "typ": "JWT"})
    assert verifier(source).verify(no_kid).header == {"alg": "RS256", "typ": "JWT"}
    other_kid = mint(signing_key, header={"alg": "RS256", "kid": "whatever"})
    assert verifier(source).verify(other_kid).sub == "auth0|user-1"


def test_jwk_with_a_kid_only_verifies_tokens_naming_it(signing_key):
    source = StaticKeySource(signing_key.jwk())
    with pytest.raises(errors.UnknownSigningKey, match="Token signing key is not known"):
        verifier(source).verify(mint(signing_key, header={"alg": "RS256", "kid": "key-9"}))
    with pytest.raises(errors.UnknownSigningKey, match="Token header has no 'kid'"):
        verifier(source).verify(mint(signing_key, header={"alg": "RS256"}))


def test_static_key_refuses_a_token_signed_by_another_key(signing_key, other_key):
    with pytest.raises(errors.InvalidSignature):
        verifier(StaticKeySource(pem(signing_key))).verify(
            mint(other_key, header={"alg": "RS256", "kid": "key-1"}))


@pytest.mark.parametrize("value, message", [
    ("", "must be a PEM public key or a JWK"),
    ("not a key", "must be a PEM public key or a JWK"),
    ("{not json", "is not a valid JWK"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "is not a readable PEM"),
    ({"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}, "is a private key"),
    ({"kty": "oct", "k": "c2VjcmV0"}, "must be a public RSA signing key"),
])
def test_unusable_public_keys_are_refused_at_construction(value, message):
    with pytest.raises(KeyConfigurationError, match=message):
        StaticKeySource(value)


def test_private_key_pem_short_rsa_key_and_ec_key_are_refused(signing_key):
    private_pem = signing_key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(KeyConfigurationError, match="is a private key"):
        StaticKeySource(private_pem)
    with pytest.raises(KeyConfigurationError, match="at least 2048 bits"):
        StaticKeySource(small_rsa_jwk("small"))
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(KeyConfigurationError, match="must be an RSA public key"):
        StaticKeySource(ec_pem)


def test_static_key_source_never_fetches_and_is_always_ready(signing_key):
    source = StaticKeySource(pem(signing_key))
    source.refresh()
    assert source.has_keys() is True
    assert source.version == 0


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("form", PUBLIC_KEY_FORMS)
def test_hmac_keyed_with_the_public_key_is_refused_by_a_static_key_even_if_hs_were_listed(
        signing_key, form, alg):
    # The algorithm list names HS* (a misconfiguration the checks refuse): the RSA key source
    # still has no HMAC key to give, so the public key can never act as a secret.
    token = hmac_signed(public_key_forms(signing_key)[form], {"alg": alg, "kid": "key-1"},
                        claims(), alg)
    source = StaticKeySource(pem(signing_key), algorithms=("RS256", alg))
    with pytest.raises(errors.UnknownSigningKey):
        verifier(source, algorithms=("RS256", alg)).verify(token)
    with pytest.raises(errors.DisallowedAlgorithm):
        verifier(source).verify(token)


# -- a shared secret ---------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_secret_verifies_hs_tokens_of_its_algorithm(alg):
    source = SecretKeySource(SECRET_64, [alg])
    verified = verifier(source, algorithms=[alg]).verify(hs_token(SECRET_64, alg))
    assert verified.header == {"alg": alg, "typ": "JWT"}  # no kid needed


def test_secret_refuses_a_token_signed_with_another_secret():
    source = SecretKeySource(SECRET, ["HS256"])
    with pytest.raises(errors.InvalidSignature):
        verifier(source, ["HS256"]).verify(hs_token(SECRET + "!"))


def test_secret_refuses_rs256_tokens_by_the_algorithm_pin(signing_key):
    source = SecretKeySource(SECRET, ["HS256"])
    with pytest.raises(errors.DisallowedAlgorithm):
        verifier(source, ["HS256"]).verify(mint(signing_key))


def test_hs512_token_is_refused_where_only_hs256_is_allowed():
    source = SecretKeySource(SECRET_64, ["HS256"])
    with pytest.raises(errors.DisallowedAlgorithm):
        verifier(source, ["HS256"]).verify(hs_token(SECRET_64, "HS512"))


@pytest.mark.parametrize("form", ["pem-spki", "der-spki", "jwk-json"])
def test_hmac_keyed_with_the_public_key_is_refused_by_a_secret_issuer(signing_key, form):
    token = hmac_signed(public_key_forms(signing_key)[form], {"alg": "HS256"}, claims())
    with pytest.raises(errors.InvalidSignature):
        verifier(SecretKeySource(SECRET, ["HS256"]), ["HS256"]).verify(token)


@pytest.mark.parametrize("algorithms, length", [(["HS256"], 31), (["HS384"], 47),
                                                (["HS512"], 63), (["HS256", "HS512"], 63)])
def test_secret_shorter_than_the_hash_is_refused(algorithms, length):
    # RFC 7518 section 3.2: at least the hash output of the largest algorithm allowed.
    with pytest.raises(KeyConfigurationError, match="is shorter than"):
        SecretKeySource("s" * length, algorithms)
    SecretKeySource("s" * (length + 1), algorithms)


@pytest.mark.parametrize("form", ["pem-spki", "pem-pkcs1", "der-spki", "der-pkcs1", "jwk-json"])
def test_public_key_configured_as_the_secret_is_refused(signing_key, form):
    with pytest.raises(KeyConfigurationError, match="is a public key, not a shared secret"):
        SecretKeySource(public_key_forms(signing_key)[form], ["HS256"])


@pytest.mark.parametrize("algorithms", [["RS256"], ["HS256", "RS256"], []])
def test_secret_only_takes_hs_algorithms(algorithms):
    with pytest.raises(KeyConfigurationError, match="HS256, HS384 or HS512 tokens only"):
        SecretKeySource(SECRET, algorithms)


def test_secret_never_appears_in_reprs_or_errors():
    source = SecretKeySource(SECRET, ["HS256"])
    assert SECRET not in repr(source) and SECRET not in repr(source.get_key(None, "HS256"))
    with pytest.raises(KeyConfigurationError) as raised:
        SecretKeySource("short-secret", ["HS256"])
    assert "short-secret" not in str(raised.value)
