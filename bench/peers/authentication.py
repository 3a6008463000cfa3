"""One DRF authentication class per peer, each written the way its documentation shows.

Every class returns ``(user, token)`` with ``user.sub`` (what the demo API's views read), or
None without an ``Authorization`` header, and raises ``AuthenticationFailed`` (401) for a bad
token. Verifiers and key clients are built once per process, on first use, from the same
environment as the project (``AUTH0_ISSUER``, ``AUDIENCE``, ``JWKS_URL``).
"""
import functools
import json
import os
from urllib.request import urlopen

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed


def issuer():
    return os.environ["AUTH0_ISSUER"]


def audience():
    return os.environ["AUTH0_AUDIENCE"].split(",")[0]


def jwks_url():
    return os.environ["AUTH0_JWKS_URL"]


class PeerUser:
    """The principal: enough for ``IsAuthenticated`` and the views (``sub``)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, sub):
        self.sub = sub


class BearerChallenge:
    def authenticate_header(self, request):
        return 'Bearer realm="api"'  # a challenge makes DRF answer 401, not 403


# -- Auth0's Django API quickstart: Authlib's ResourceProtector -------------------------------

@functools.cache
def resource_protector():
    """The quickstart's ``require_auth``: a ResourceProtector with a JWT bearer validator whose
    key set was downloaded once, when it was built (the quickstart does it at import)."""
    from authlib.integrations.django_oauth2 import ResourceProtector
    from authlib.oauth2.rfc7523 import JWTBearerTokenValidator
    from joserfc.jwk import KeySet

    class Auth0JWTBearerTokenValidator(JWTBearerTokenValidator):
        def __init__(self, jwks, issuer, audience):
            with urlopen(jwks, timeout=5) as response:
                # The quickstart's JsonWebKey.import_key_set (authlib.jose) gives a key set
                # that Authlib 1.9's validator refuses ("Invalid key"); Authlib's deprecation
                # notice names joserfc's KeySet instead.
                public_key = KeySet.import_key_set(json.loads(response.read()))
            super().__init__(public_key)
            self.claims_options = {
                "exp": {"essential": True},
                "aud": {"essential": True, "values": [audience]},
                "iss": {"essential": True, "values": [issuer]},
            }

    protector = ResourceProtector()
    protector.register_token_validator(Auth0JWTBearerTokenValidator(jwks_url(), issuer(),
                                                                    audience()))
    return protector


class AuthlibAuthentication(BearerChallenge, BaseAuthentication):
    """The quickstart's ``@require_auth(None)`` as a DRF class: ``acquire_token``."""

    def authenticate(self, request):
        from authlib.oauth2 import OAuth2Error

        if "HTTP_AUTHORIZATION" not in request._request.META:
            return None
        try:
            token = resource_protector().acquire_token(request._request)
        except OAuth2Error as exc:
            raise AuthenticationFailed(exc.description or exc.error) from exc
        return PeerUser(token["sub"]), token


# -- djangorestframework-simplejwt with JWK_URL: its own class, configured in settings.py -----

# -- PyJWT's PyJWKClient ----------------------------------------------------------------------

@functools.cache
def jwk_client():
    from jwt import PyJWKClient

    return PyJWKClient(jwks_url())  # its defaults: the key set cached for 300 s


class PyJWTAuthentication(BearerChallenge, BaseAuthentication):
    """The usual DRF class on PyJWT: key from ``PyJWKClient``, then ``jwt.decode``."""

    def authenticate(self, request):
        import jwt

        header = request._request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed("Bearer token expected")
        try:
            key = jwk_client().get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience(),
                                issuer=issuer())
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("Invalid token") from exc
        return PeerUser(claims["sub"]), claims
