"""Settings of a peer's server: the project's settings with another authentication class.

``BENCH_PEER`` names the peer (``authlib``, ``simplejwt``, ``pyjwt``). Routes, views,
middleware, renderers, negotiation, the exception handler: all the project's own.
"""
import os

from config.settings import *  # noqa: F401,F403  (the project's settings, unchanged)
from config.settings import REST_FRAMEWORK

from bench.peers.authentication import audience, issuer, jwks_url

AUTHENTICATION_CLASSES = {
    "authlib": "bench.peers.authentication.AuthlibAuthentication",
    # simplejwt's JWTAuthentication for tokens of another issuer: its TokenUser, no database
    # lookup (this API has no database).
    "simplejwt": "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication",
    "pyjwt": "bench.peers.authentication.PyJWTAuthentication",
}
PEER = os.environ.get("BENCH_PEER", "pyjwt")

REST_FRAMEWORK = {**REST_FRAMEWORK,
                  "DEFAULT_AUTHENTICATION_CLASSES": [AUTHENTICATION_CLASSES[PEER]]}
# RS256 tokens from the tenant's JWKS, with Auth0's claims: no "token_type", no "jti", the user
# id in "sub".
SIMPLE_JWT = {"ALGORITHM": "RS256", "JWK_URL": jwks_url(), "AUDIENCE": audience(),
              "ISSUER": issuer(), "USER_ID_CLAIM": "sub", "TOKEN_TYPE_CLAIM": None,
              "JTI_CLAIM": None, "TOKEN_USER_CLASS": "bench.peers.simplejwt_user.SimpleJWTUser",
              "AUTH_HEADER_TYPES": ("Bearer",)}
