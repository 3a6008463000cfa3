"""The local issuer: a development-only stand-in for an Auth0 tenant.

An RSA key is generated on first use and kept in a file (owner-only permissions); tokens are
minted with it (``mint_token``) and verified by the same ``TokenVerifier`` as a tenant's,
through ``LocalKeySource.get_key(kid, alg)``: same ``kid`` lookup, claim checks and errors.
The issuer and audience are ``.invalid`` names (RFC 2606), so a local token can never pass
for a real tenant's, and the local issuer only runs with ``DEBUG`` on (``checks.py``).
"""
import base64
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auth0_jwt._core.errors import SigningKeysUnavailable, UnknownSigningKey
from auth0_jwt._core.jwks import build_signing_key

logger = logging.getLogger("auth0_jwt.local_issuer")

LOCAL_ISSUER = "https://local-issuer.invalid/"
LOCAL_AUDIENCE = "https://local-api.invalid"
LOCAL_CLIENT_ID = "local-issuer-cli"
KEY_BITS = 2048  # RFC 7518 section 3.3 minimum for RS256
ALGORITHM = "RS256"
PRIVATE_MODE = 0o600


class LocalKeyError(Exception):
    """The key file cannot be read, written or parsed; the message names the file only."""


def load_or_create_key(path):
    """Return the RSA private key kept at ``path``, generating it on first use.

    A new key is written to a temporary file created owner-only (``O_EXCL``, mode 0600) and
    then hard-linked into place: two processes starting together never see a half-written
    file, and the loser of the race reads the winner's key.
    """
    path = Path(path)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    _create_key_file(path)
    return _read_key(path)


def _read_key(path):
    with open(path, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        data = handle.read()
    if mode & 0o077:
        raise LocalKeyError(f"Local issuer key file {path} is readable by other users; "
                            f"run: chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise LocalKeyError(f"Local issuer key file {path} is not a PEM RSA private key; "
                            "delete it and a new key is generated") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
        raise LocalKeyError(f"Local issuer key file {path} must hold an RSA key of at least "
                            f"{KEY_BITS} bits; delete it and a new key is generated")
    return key


def _create_key_file(path):
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            logger.info("Local issuer: generated a new signing key in %s", path)
        except FileExistsError:
            pass  # another process won the race; its key is the one kept
    finally:
        temporary.unlink(missing_ok=True)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(number):
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def public_jwk(private_key):
    """The public JWK, with ``kid`` = its RFC 7638 thumbprint (stable for one key file)."""
    numbers = private_key.public_key().public_numbers()
    members = {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = b64url(hashlib.sha256(canonical).digest())
    return {**members, "kid": kid, "use": "sig", "alg": ALGORITHM}


class LocalIssuer:
    """The local issuer's key (loaded lazily, once) as a key source and a token minter."""

    def __init__(self, key_path, issuer=LOCAL_ISSUER, clock=time.time):
        self.key_path = Path(key_path)
        self.issuer = issuer
        self.clock = clock
        self._lock = threading.Lock()
        self._private_key = None
        self._jwk = None
        self._keys = None

    def private_key(self):
        if self._private_key is None:
            with self._lock:
                if self._private_key is None:
                    key = load_or_create_key(self.key_path)
                    self._jwk = public_jwk(key)
                    self._keys = dict([build_signing_key(self._jwk, (ALGORITHM,))])
                    self._private_key = key
        return self._private_key

    @property
    def jwk(self):
        self.private_key()
        return self._jwk

    @property
    def kid(self):
        return self.jwk["kid"]

    def jwks(self):
        """The public key set, as a tenant serves it at ``/.well-known/jwks.json``."""
        return {"keys": [self.jwk]}

    def ready(self, wait=None):
        """The key-source contract of ``JWKSClient.ready``: True once the key file is loaded
        (read or generated here; no network)."""
        try:
            self.private_key()
        except (OSError, LocalKeyError) as exc:
            logger.error("Local issuer key unavailable: %s", exc)
            return False
        return True

    def get_key(self, kid, alg):
        """The key-source contract of ``JWKSClient.get_key``: a key, or a ``TokenError``."""
        try:
            self.private_key()
        except (OSError, LocalKeyError) as exc:
            logger.error("Local issuer key unavailable: %s", exc)
            raise SigningKeysUnavailable() from exc
        by_alg = self._keys.get(kid)
        if by_alg is None or alg not in by_alg:
            raise UnknownSigningKey()
        return by_alg[alg]

    def mint(self, *, sub, audience, scope=None, claims=None, expires_in=3600):
        """A signed RFC 9068 access token (``typ`` ``at+jwt``) for ``sub``.

        ``claims`` are added last, so they may override ``aud``, ``iss``, ``iat``... to
        produce tokens that fail on purpose.
        """
        now = int(self.clock())
        payload = {"iss": self.issuer, "sub": sub, "aud": audience, "iat": now,
                   "exp": now + int(expires_in), "jti": secrets.token_urlsafe(16),
                   "client_id": LOCAL_CLIENT_ID}
        if scope:
            payload["scope"] = scope
        payload.update(claims or {})
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": self.kid}
        return self.sign(header, payload)

    def sign(self, header, payload):
        segments = [b64url(json.dumps(part, separators=(",", ":")).encode())
                    for part in (header, payload)]
        signing_input = ".".join(segments).encode("ascii")
        signature = self.private_key().sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"


class NoTrustedIssuer:
    """Key source for a configuration that trusts no issuer: every token is refused (401).

    Used when no tenant is set, or when the local issuer is switched on with ``DEBUG`` off
    (system checks stop startup first; this keeps the refusal if checks were skipped).
    """

    def get_key(self, kid, alg):
        raise UnknownSigningKey("Token signing key is not trusted: no issuer is configured")

    def ready(self, wait=None):
        return False  # no token can be verified: not ready
