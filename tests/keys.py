"""Test keys and a token minter that is independent of the code under test.

Tokens are assembled byte by byte and signed with ``cryptography`` directly, so a test can
craft any header, payload or signature.
"""
import base64
import hashlib
import hmac
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://tenant.test.example/"
AUDIENCE = "https://api.test.example"
HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_b64(number):
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class SigningKey:
    def __init__(self, kid, bits=2048):
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)

    def jwk(self, **extra):
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                "n": int_b64(numbers.n), "e": int_b64(numbers.e), **extra}

    def sign(self, signing_input, alg="RS256"):
        return self.private.sign(signing_input, padding.PKCS1v15(), HASHES[alg]())


def claims(**overrides):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "auth0|user-1", "iat": now,
            "exp": now + 3600, "scope": "openid profile"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def encode_segment(value):
    if isinstance(value, bytes):
        return b64url(value)
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def mint(key, payload=None, header=None, alg="RS256", **claim_overrides):
    """A compact JWS signed with ``key``; ``header``/``payload`` may be dicts or raw bytes."""
    if header is None:
        header = {"alg": alg, "typ": "JWT", "kid": key.kid}
    if payload is None:
        payload = claims(**claim_overrides)
    signing_input = f"{encode_segment(header)}.{encode_segment(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode(), alg))}"


def mint_hmac(secret, payload, header):
    signing_input = f"{encode_segment(header)}.{encode_segment(payload)}"
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest)}"
