"""Server-provided DPoP nonces (RFC 9449 section 9), stateless. No Django imports.

A nonce is ``base64url(issued_at (8 bytes) || HMAC-SHA256(secret, issued_at)[:16])``: any
worker or host holding the same secret can check it without shared state, and it expires
``lifetime`` seconds after issue. It limits how far ahead a stolen key's holder can
pre-compute proofs; replays within the lifetime are still caught by the ``jti`` store.
"""
import hashlib
import hmac
import time

from auth0_jwt._core.encoding import b64url_decode, b64url_encode
from auth0_jwt._core.errors import MalformedToken

_TAG_BYTES = 16
_CONTEXT = b"auth0_jwt._core.dpop-nonce:"


class NonceSource:
    """Issue and check nonces; ``secret`` is bytes shared by every server of the API."""

    def __init__(self, secret, lifetime=300, clock=time.time):
        self._secret = secret
        self.lifetime = lifetime
        self._clock = clock

    def issue(self):
        issued_at = int(self._clock()).to_bytes(8, "big")
        return b64url_encode(issued_at + self._tag(issued_at))

    def is_valid(self, nonce):
        try:
            raw = b64url_decode(nonce)
        except MalformedToken:
            return False
        if len(raw) != 8 + _TAG_BYTES:
            return False
        issued_at, tag = raw[:8], raw[8:]
        if not hmac.compare_digest(tag, self._tag(issued_at)):
            return False
        age = self._clock() - int.from_bytes(issued_at, "big")
        return -1 <= age <= self.lifetime  # -1: a second of rounding between hosts

    def _tag(self, issued_at):
        return hmac.new(self._secret, _CONTEXT + issued_at, hashlib.sha256).digest()[:_TAG_BYTES]
