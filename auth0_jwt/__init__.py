"""Protect Django REST framework views with Auth0 (or any OpenID Connect) access tokens.

The names below are the public API; import them from ``auth0_jwt`` (``from auth0_jwt import
HasScope``) or name them in settings as ``"auth0_jwt.<name>"``. Modules and packages whose
names start with an underscore are internal and may change in any release.

Names are resolved on first use (PEP 562), so importing this package reads no settings and
imports neither Django REST framework nor the cryptography backends.
"""
from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.2.0"

# public name -> internal module that defines it
_EXPORTS = {
    # Authentication (REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])
    "Auth0JWTAuthentication": "auth0_jwt._drf.authentication",
    "SessionTokenAuthentication": "auth0_jwt._drf.session",
    # Permissions (permission_classes)
    "HasScope": "auth0_jwt._drf.permissions",
    "HasAnyScope": "auth0_jwt._drf.permissions",
    "HasRequiredScopes": "auth0_jwt._drf.permissions",
    "ClaimEquals": "auth0_jwt._drf.permissions",
    "ClaimIncludes": "auth0_jwt._drf.permissions",
    "ClaimCheck": "auth0_jwt._drf.permissions",
    # Errors (REST_FRAMEWORK["EXCEPTION_HANDLER"], Django's handler404 & co.)
    "exception_handler": "auth0_jwt._drf.handlers",
    "ClientErrorMiddleware": "auth0_jwt._drf.middleware",
    # Error classes: what the handler renders; raise them from a view, catch them in a
    # handler of your own. Each carries the failure (code, reason, message) it answers.
    "InvalidRequestError": "auth0_jwt._drf.exceptions",
    "InvalidTokenError": "auth0_jwt._drf.exceptions",
    "InvalidDPoPProofError": "auth0_jwt._drf.exceptions",
    "UseDPoPNonceError": "auth0_jwt._drf.exceptions",
    "InsufficientScopeError": "auth0_jwt._drf.exceptions",
    "TemporarilyUnavailableError": "auth0_jwt._drf.exceptions",
    "bad_request": "auth0_jwt._drf.views",
    "permission_denied": "auth0_jwt._drf.views",
    "page_not_found": "auth0_jwt._drf.views",
    "server_error": "auth0_jwt._drf.views",
    "csrf_failure": "auth0_jwt._drf.views",
    # What a view sees: request.auth and request.user
    "VerifiedToken": "auth0_jwt._core.tokens",
    "TokenUser": "auth0_jwt._drf.users",
    # Responses and docs
    "DisregardUnsatisfiableAccept": "auth0_jwt._drf.negotiation",
    "BrowsableAPIRenderer": "auth0_jwt._drf.renderers",
    "AutoSchema": "auth0_jwt._drf.schema",
    # Operations
    "healthz": "auth0_jwt._ops.health",
    "readyz": "auth0_jwt._ops.health",
    "warm_up": "auth0_jwt._ops.runtime",
    # Logging filters (LOGGING["filters"]) that keep a storm of refusals or 503s readable
    "RefusalLogLimit": "auth0_jwt._ops.log_limits",
    "ResponseLogLimit": "auth0_jwt._ops.log_limits",
    "RepeatLogLimit": "auth0_jwt._ops.log_limits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auth0_jwt' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static type checkers see the real names
    from auth0_jwt._core.tokens import VerifiedToken
    from auth0_jwt._drf.authentication import Auth0JWTAuthentication
    from auth0_jwt._drf.exceptions import (InsufficientScopeError, InvalidDPoPProofError,
                                           InvalidRequestError, InvalidTokenError,
                                           TemporarilyUnavailableError, UseDPoPNonceError)
    from auth0_jwt._drf.handlers import exception_handler
    from auth0_jwt._drf.middleware import ClientErrorMiddleware
    from auth0_jwt._drf.negotiation import DisregardUnsatisfiableAccept
    from auth0_jwt._drf.permissions import (ClaimCheck, ClaimEquals, ClaimIncludes, HasAnyScope,
                                            HasRequiredScopes, HasScope)
    from auth0_jwt._drf.renderers import BrowsableAPIRenderer
    from auth0_jwt._drf.schema import AutoSchema
    from auth0_jwt._drf.session import SessionTokenAuthentication
    from auth0_jwt._drf.users import TokenUser
    from auth0_jwt._drf.views import (bad_request, csrf_failure, page_not_found,
                                      permission_denied, server_error)
    from auth0_jwt._ops.health import healthz, readyz
    from auth0_jwt._ops.log_limits import RefusalLogLimit, RepeatLogLimit, ResponseLogLimit
    from auth0_jwt._ops.runtime import warm_up
