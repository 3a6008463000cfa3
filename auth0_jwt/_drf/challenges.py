"""``WWW-Authenticate`` challenges: RFC 6750 section 3 (Bearer) and RFC 9449 section 7.1 (DPoP).

``challenge()`` is the one place a challenge is built from the settings: the 401 of a request
without credentials (``Auth0JWTAuthentication.authenticate_header``) and every error response
(``handlers.py``) use it.
"""
import re

from auth0_jwt._settings import auth0_settings

_NOT_QDTEXT_SAFE = re.compile(r"[^\x20-\x7e]")


def quote(value):
    """An RFC 7230 quoted-string body: escape backslash and quote, drop control characters."""
    return _NOT_QDTEXT_SAFE.sub("", str(value)).replace("\\", "\\\\").replace('"', '\\"')


def bearer_challenge(realm, error=None, description=None, scope=None):
    # RFC 6750 section 3.1: no error attributes when the request carried no credentials.
    params = [f'realm="{quote(realm)}"'] + error_params(error, description, scope)
    return "Bearer " + ", ".join(params)


def dpop_challenge(algorithms, error=None, description=None, scope=None):
    """RFC 9449 section 7.1: ``DPoP error="...", error_description="...", algs="ES256 PS256"``."""
    params = error_params(error, description, scope)
    params.append(f'algs="{quote(" ".join(algorithms))}"')
    return "DPoP " + ", ".join(params)


def challenge(scheme="Bearer", error=None, description=None, scope=None):
    """The ``WWW-Authenticate`` value for the configured realm and DPoP mode, with the error
    attributes (if any) on ``scheme``, the scheme the credential was presented with."""
    return www_authenticate(auth0_settings.REALM, auth0_settings.DPOP_MODE,
                            auth0_settings.DPOP_ALGORITHMS, scheme, error, description, scope)


def www_authenticate(realm, dpop_mode, dpop_algorithms, scheme="Bearer", error=None,
                     description=None, scope=None):
    """The challenges the API offers, with the error attributes on the ``scheme`` that failed.

    ``off``: the Bearer challenge alone (exactly as without DPoP support). ``allowed``: Bearer
    then DPoP (RFC 9449 section 7.2). ``required``: DPoP alone, which then carries any error.
    """
    if dpop_mode == "off":
        return bearer_challenge(realm, error, description, scope)
    if dpop_mode == "required":
        return dpop_challenge(dpop_algorithms, error, description, scope)
    on_dpop = scheme == "DPoP"
    bearer = (bearer_challenge(realm) if on_dpop
              else bearer_challenge(realm, error, description, scope))
    dpop = (dpop_challenge(dpop_algorithms, error, description, scope) if on_dpop
            else dpop_challenge(dpop_algorithms))
    return f"{bearer}, {dpop}"


def error_params(error, description, scope):
    params = []
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{quote(description)}"')
    if scope:
        params.append(f'scope="{quote(scope)}"')
    return params
