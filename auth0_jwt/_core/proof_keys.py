"""The public key embedded in a DPoP proof: parse it, check signatures, thumbprint it.

``cryptography`` is used directly (not python-jose) so that every rule is ours: the key must
be public (no private members), full-length and on its curve; the JWS signature must have the
exact length of its algorithm (RFC 7518 section 3.4: ECDSA signatures are R || S, fixed size).
No Django imports.
"""
import hashlib
import json

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from auth0_jwt._core.encoding import b64url_decode, b64url_encode
from auth0_jwt._core.errors import MalformedToken
from auth0_jwt._core.token_cache import TokenCache

# RFC 7518 section 3.3 / RFC 8725: RSA keys below 2048 bits are refused.
MIN_RSA_BITS = 2048
# alg -> (kty, hash, curve name for EC/OKP)
ALGORITHMS = {
    "ES256": ("EC", hashes.SHA256, "P-256"),
    "ES384": ("EC", hashes.SHA384, "P-384"),
    "ES512": ("EC", hashes.SHA512, "P-521"),
    "RS256": ("RSA", hashes.SHA256, None),
    "RS384": ("RSA", hashes.SHA384, None),
    "RS512": ("RSA", hashes.SHA512, None),
    "PS256": ("RSA", hashes.SHA256, None),
    "PS384": ("RSA", hashes.SHA384, None),
    "PS512": ("RSA", hashes.SHA512, None),
    "EdDSA": ("OKP", None, None),
}
SUPPORTED_ALGORITHMS = tuple(ALGORITHMS)
CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66)}
OKP_CURVES = {"Ed25519": (ed25519.Ed25519PublicKey, 32), "Ed448": (ed448.Ed448PublicKey, 57)}
# RFC 7638 section 3.2: the required members hashed for each key type, in lexicographic order.
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"),
                      "OKP": ("crv", "kty", "x")}
# RFC 7517/7518 private key members; RFC 9449 section 4.3 check 7: the jwk must be public.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Keys of verified proofs a process keeps: a client signs every proof with the same key.
# Bounded (an RSA key is under 1 kB of members here; proofs are at most 8 kB in all).
PROOF_KEY_CACHE_SIZE = 256


class ProofKeyError(Exception):
    """The embedded ``jwk`` is unusable; ``message`` is fixed text, safe to send."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


class ProofKey:
    """A public key from a proof's ``jwk`` header, bound to one ``alg``."""

    def __init__(self, jwk, alg):
        if alg not in ALGORITHMS:
            raise ProofKeyError("DPoP proof algorithm is not allowed")
        self.alg = alg
        self.kty, self._hash, self._curve = ALGORITHMS[alg]
        check_public_jwk(jwk, self.kty)
        self.jwk = jwk
        self.identity = key_identity(jwk, alg)
        self._key = _BUILDERS[self.kty](self, jwk)
        self._thumbprint = None

    def verify(self, signing_input, signature):
        """True if ``signature`` (raw JWS bytes) is valid over ``signing_input`` (bytes)."""
        try:
            _VERIFIERS[self.kty](self, signing_input, signature)
        except (CryptoInvalidSignature, ValueError):
            return False
        return True

    def thumbprint(self):
        """RFC 7638 JWK thumbprint: base64url(SHA-256(canonical JSON of required members)),
        computed once per key."""
        if self._thumbprint is None:
            self._thumbprint = jwk_thumbprint(self.jwk)
        return self._thumbprint

    # -- key types --------------------------------------------------------------------------

    def _build_ec(self, jwk):
        if jwk["crv"] != self._curve:
            raise ProofKeyError("DPoP proof key curve does not match its algorithm")
        curve, size = CURVES[self._curve]
        self._ecdsa = ec.ECDSA(self._hash())  # stateless: built once per key
        x, y = _coordinate(jwk["x"], size), _coordinate(jwk["y"], size)
        try:
            # public_key() checks that the point lies on the curve.
            return ec.EllipticCurvePublicNumbers(x, y, curve()).public_key()
        except ValueError as exc:
            raise ProofKeyError("DPoP proof key is not a valid public key") from exc

    def _build_rsa(self, jwk):
        n, e = _integer(jwk["n"]), _integer(jwk["e"])
        if n.bit_length() < MIN_RSA_BITS:
            raise ProofKeyError("DPoP proof RSA key is shorter than 2048 bits")
        try:
            return rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as exc:
            raise ProofKeyError("DPoP proof key is not a valid public key") from exc

    def _build_okp(self, jwk):
        if jwk["crv"] not in OKP_CURVES:
            raise ProofKeyError("DPoP proof key curve is not supported")
        key_class, size = OKP_CURVES[jwk["crv"]]
        raw = _b64(jwk["x"])
        if len(raw) != size:
            raise ProofKeyError("DPoP proof key is not a valid public key")
        try:
            return key_class.from_public_bytes(raw)
        except ValueError as exc:
            raise ProofKeyError("DPoP proof key is not a valid public key") from exc

    def _verify_ec(self, signing_input, signature):
        size = CURVES[self._curve][1]
        if len(signature) != 2 * size:
            raise ValueError("wrong ECDSA signature length")
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        self._key.verify(encode_dss_signature(r, s), signing_input, self._ecdsa)

    def _verify_rsa(self, signing_input, signature):
        if len(signature) != (self._key.key_size + 7) // 8:
            raise ValueError("wrong RSA signature length")
        if self.alg.startswith("PS"):
            # RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
            pad = padding.PSS(mgf=padding.MGF1(self._hash()), salt_length=self._hash.digest_size)
        else:
            pad = padding.PKCS1v15()
        self._key.verify(signature, signing_input, pad, self._hash())

    def _verify_okp(self, signing_input, signature):
        self._key.verify(signature, signing_input)


_BUILDERS = {"EC": ProofKey._build_ec, "RSA": ProofKey._build_rsa, "OKP": ProofKey._build_okp}
_VERIFIERS = {"EC": ProofKey._verify_ec, "RSA": ProofKey._verify_rsa, "OKP": ProofKey._verify_okp}


class ProofKeys:
    """The proof keys of this process, built once per public key: building one checks its
    point on the curve and costs about a third of a proof's verification.

    ``get(jwk, alg)`` checks the ``jwk`` as ``ProofKey`` does (public, of ``alg``'s type, its
    members strings), then returns the kept key with the same algorithm and public members
    (the only inputs of a key, so the same checks passed for it) or a new one. ``keep(key)``
    keeps a key after a proof signed with it verified, so that proofs with made-up keys do
    not fill the cache. At most ``maxsize`` keys, least recently used evicted first.
    """

    def __init__(self, maxsize=PROOF_KEY_CACHE_SIZE):
        self._keys = TokenCache(maxsize)

    def get(self, jwk, alg):
        if alg not in ALGORITHMS:
            raise ProofKeyError("DPoP proof algorithm is not allowed")
        check_public_jwk(jwk, ALGORITHMS[alg][0])
        key = self._keys.get(key_identity(jwk, alg))
        return key if key is not None else ProofKey(jwk, alg)

    def keep(self, key):
        self._keys.put(key.identity, key)


def key_identity(jwk, alg):
    """``alg`` and the RFC 7638 members of a checked ``jwk``: all that a ``ProofKey`` is
    built from."""
    return (alg, *(jwk[member] for member in THUMBPRINT_MEMBERS[ALGORITHMS[alg][0]]))


def check_public_jwk(jwk, kty):
    """The ``jwk`` header must be a public key of ``kty`` with string members."""
    if not isinstance(jwk, dict):
        raise ProofKeyError("DPoP proof 'jwk' header must be a JSON object")
    if PRIVATE_MEMBERS.intersection(jwk):
        raise ProofKeyError("DPoP proof 'jwk' must not contain a private key")
    if jwk.get("kty") != kty:
        raise ProofKeyError("DPoP proof key type does not match its algorithm")
    for member in THUMBPRINT_MEMBERS[kty]:
        if not isinstance(jwk.get(member), str) or not jwk[member]:
            raise ProofKeyError(f"DPoP proof 'jwk' member '{member}' is missing or invalid")


def jwk_thumbprint(jwk):
    """RFC 7638 section 3: members in lexicographic order, no whitespace, UTF-8, SHA-256."""
    members = THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"),
                           sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return b64url_encode(digest)


def _b64(value):
    try:
        return b64url_decode(value)
    except MalformedToken as exc:
        raise ProofKeyError("DPoP proof 'jwk' member is not base64url") from exc


def _coordinate(value, size):
    raw = _b64(value)
    # RFC 7518 section 6.2.1.2: coordinates are the full size of the curve, never shortened.
    if len(raw) != size:
        raise ProofKeyError("DPoP proof key is not a valid public key")
    return int.from_bytes(raw, "big")


def _integer(value):
    raw = _b64(value)
    # RFC 7518 section 6.3.1: unsigned big-endian, minimal length (no leading zero octet).
    if not raw or raw[0] == 0:
        raise ProofKeyError("DPoP proof key is not a valid public key")
    return int.from_bytes(raw, "big")

