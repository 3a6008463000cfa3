"""Signing keys given in the settings instead of fetched: a public key (PEM or JWK) and a shared
secret (HS256/384/512). No Django imports; nothing here ever touches the network.

Both are key sources with the contract of ``JWKSClient.get_key(kid, alg)``. The algorithm is
pinned by the verifier before any key is asked for, and each source only holds keys of its own
family (RSA keys for RS*, HMAC keys for HS*), so a token can never make a public key act as an
HMAC secret (RFC 8725 section 2.1, CVE-2024-33663): an HS256 token meets an RSA key source
with no HS256 key in it, and a secret that is a public key is refused when it is configured.
"""
import hashlib
import hmac
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth0_jwt._core.encoding import b64url_encode
from auth0_jwt._core.errors import UnknownSigningKey
from auth0_jwt._core.jwks import MIN_RSA_BITS, RSA_ALGORITHMS, build_signing_key

# RFC 7518 section 3.2: the HMAC key must be at least as long as the hash output.
HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
HMAC_ALGORITHMS = frozenset(HMAC_DIGESTS)
MIN_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_NO_KID = "static-key"  # build_signing_key wants a kid; a PEM key has none


class KeyConfigurationError(ValueError):
    """A configured key or secret is unusable. The message never contains key material."""


# -- a static public key (the SDK's ``publicKey``) -------------------------------------------


class StaticKeySource:
    """One RSA public key from the settings: a PEM (SPKI, PKCS#1 or an X.509 certificate) or a
    JWK (JSON text or a dict).

    A JWK with a ``kid`` only verifies tokens naming that ``kid``; a key without one (any PEM)
    verifies tokens whatever their ``kid``, also none (``requires_kid`` is False then).
    """

    version = 0  # a fixed key never changes (token_cache.py compares versions)

    def __init__(self, public_key, algorithms=("RS256",)):
        algorithms = tuple(a for a in algorithms if a in RSA_ALGORITHMS)
        if not algorithms:
            raise KeyConfigurationError("a public key verifies RS256, RS384 or RS512 tokens only")
        self.kid, self._keys = load_public_key(public_key, algorithms)
        self.requires_kid = self.kid is not None

    def get_key(self, kid, alg):
        if self.kid is not None and kid != self.kid:
            raise UnknownSigningKey()
        key = self._keys.get(alg)
        if key is None:
            raise UnknownSigningKey()
        return key

    def has_keys(self):
        return True

    def ready(self, wait=None):
        return True

    def refresh(self, wait=True):
        """Nothing to fetch."""

    def __repr__(self):
        return f"<StaticKeySource kid={self.kid!r}>"


def load_public_key(value, algorithms):
    """``(kid or None, {alg: python-jose key})`` for a PEM or JWK RSA public key."""
    jwk = _as_jwk(value)
    declared_kid = jwk.get("kid")
    if declared_kid is not None and (not isinstance(declared_kid, str) or not declared_kid):
        raise KeyConfigurationError("the JWK 'kid' must be a non-empty string")
    built = build_signing_key({**jwk, "kid": declared_kid or _NO_KID}, algorithms)
    if built is None:
        raise KeyConfigurationError(
            f"must be a public RSA signing key of at least {MIN_RSA_BITS} bits whose 'alg' (if "
            "any) is in ALGORITHMS")
    return declared_kid, built[1]


def _as_jwk(value):
    if isinstance(value, dict):
        return _checked_jwk(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str) or not value.strip():
        raise KeyConfigurationError("must be a PEM public key or a JWK")
    text = value.strip()
    if text.startswith("{"):
        try:
            return _checked_jwk(json.loads(text))
        except ValueError as exc:
            raise KeyConfigurationError("is not a valid JWK (JSON)") from exc
    if text.startswith("-----BEGIN"):
        return _rsa_jwk(_pem_public_key(text.encode("ascii", "replace")))
    raise KeyConfigurationError("must be a PEM public key or a JWK")


def _checked_jwk(jwk):
    if not isinstance(jwk, dict):
        raise KeyConfigurationError("is not a JWK (a JSON object)")
    if "d" in jwk or "p" in jwk:
        raise KeyConfigurationError("is a private key; give the public key only")
    return dict(jwk)


def _pem_public_key(pem):
    if b"PRIVATE KEY" in pem:
        raise KeyConfigurationError("is a private key; give the public key only")
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            # Auth0's dashboard offers the signing certificate: its public key is the key.
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise KeyConfigurationError("is not a readable PEM public key or certificate") from exc


def _rsa_jwk(public_key):
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise KeyConfigurationError("must be an RSA public key")
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}


def _int_b64(number):
    return b64url_encode(number.to_bytes((number.bit_length() + 7) // 8, "big"))


# -- a shared secret (the SDK's ``secret`` + ``tokenSigningAlg``) ------------------------------


class HMACKey:
    """An HMAC verification key with python-jose's ``verify(message, signature)`` contract."""

    __slots__ = ("_secret", "_digest", "alg")

    def __init__(self, secret, alg):
        self._secret = secret
        self._digest = HMAC_DIGESTS[alg]
        self.alg = alg

    def verify(self, message, signature):
        expected = hmac.new(self._secret, message, self._digest).digest()
        return hmac.compare_digest(expected, signature)  # constant time

    def __repr__(self):
        return f"<HMACKey {self.alg}>"  # never the secret


class SecretKeySource:
    """A shared secret for HS256/384/512 tokens of one issuer; opt-in, never beside RSA keys.

    Raises ``KeyConfigurationError`` for an algorithm outside HS*, a secret shorter than the
    hash output of the largest allowed algorithm (RFC 7518 section 3.2), or a secret that is a
    public key (the configuration form of the algorithm-confusion attack).
    """

    version = 0
    requires_kid = False  # HS tokens rarely carry a kid; the secret is the only key

    def __init__(self, secret, algorithms):
        algorithms = tuple(algorithms)
        if not algorithms or any(a not in HMAC_ALGORITHMS for a in algorithms):
            raise KeyConfigurationError("a secret verifies HS256, HS384 or HS512 tokens only")
        key = secret_bytes(secret)
        check_secret_length(key, algorithms)
        self._keys = {alg: HMACKey(key, alg) for alg in algorithms}

    def get_key(self, kid, alg):
        key = self._keys.get(alg)
        if key is None:
            raise UnknownSigningKey()
        return key

    def has_keys(self):
        return True

    def ready(self, wait=None):
        return True

    def refresh(self, wait=True):
        """Nothing to fetch."""

    def __repr__(self):
        return f"<SecretKeySource {', '.join(self._keys)}>"


def secret_bytes(secret):
    """The secret as bytes (UTF-8 for text, as the Express SDK does), or KeyConfigurationError."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes) or not secret:
        raise KeyConfigurationError("must be a non-empty string")
    if looks_like_public_key(secret):
        raise KeyConfigurationError("is a public key, not a shared secret: an HMAC keyed with a "
                                    "public key can be forged by anyone")
    return secret


def check_secret_length(secret, algorithms):
    """RFC 7518 section 3.2: at least the hash size of every allowed HS algorithm."""
    longest = max(algorithms, key=MIN_SECRET_BYTES.__getitem__)
    needed = MIN_SECRET_BYTES[longest]
    if len(secret) < needed:
        raise KeyConfigurationError(f"is shorter than {needed} bytes, the hash size of "
                                    f"{longest} (RFC 7518 section 3.2)")


def looks_like_public_key(secret):
    """True for the forms of a public key an attacker would use as an HMAC secret: PEM, JWK
    JSON, or DER (cryptography reads SPKI and PKCS#1)."""
    text = secret.strip()
    if b"-----BEGIN" in text or (text.startswith(b"{") and b'"kty"' in text):
        return True
    try:
        serialization.load_der_public_key(secret)
    except (ValueError, TypeError):
        return False
    return True
