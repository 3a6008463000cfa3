"""What the micro and load benchmarks share: a signing key, a loopback JWKS server, tokens.

Tokens are minted with ``tests/keys.py`` (signed with ``cryptography`` directly, independent
of the code under test) and look like Auth0 access tokens: two audiences, scopes, ``azp`` and
an RBAC ``permissions`` array.
"""
import base64
import time

from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, SigningKey, b64url, mint

KID = "bench-key"
USERINFO = "https://tenant.test.example/userinfo"


def auth0_claims(sub="auth0|64f1c2a9b3e0d1c2a3b4c5d6", lifetime=3600):
    now = int(time.time())
    return {"iss": ISSUER, "sub": sub, "aud": [AUDIENCE, USERINFO], "iat": now,
            "exp": now + lifetime, "scope": "openid profile email read:messages",
            "azp": "Xq3bK9cLm2pQr7sTu1vWx4yZa5bC6dE8", "permissions": ["read:messages"]}


def mint_token(key, sub=None):
    claims = auth0_claims() if sub is None else auth0_claims(sub=sub)
    return mint(key, payload=claims, header={"alg": "RS256", "typ": "JWT", "kid": key.kid})


def mint_tokens(key, count):
    """``count`` distinct valid tokens (distinct ``sub``); about 0.5 ms each."""
    return [mint_token(key, sub=f"auth0|bench-user-{i:06d}") for i in range(count)]


def flip_signature(token):
    """The same token with one signature byte changed: must be rejected."""
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{b64url(bytes(raw))}"


def start_jwks(key):
    """A JWKS server on 127.0.0.1 (a free port) serving ``key``; call ``.stop()`` when done."""
    server = JWKSServer().start()
    server.serve_keys(key.jwk())
    return server


def new_key():
    return SigningKey(KID)
