"""The exception handler: every error as ``{"error", "message"}`` with the right status and
``WWW-Authenticate`` header (the table in docs/errors.md). Set it as
``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "auth0_jwt._drf.handlers.exception_handler"``.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from auth0_jwt._ops import audit
from auth0_jwt._drf import exceptions
from auth0_jwt._drf.challenges import www_authenticate
from auth0_jwt._settings import auth0_settings

logger = logging.getLogger("django.request")

INTERNAL_ERROR = {"error": "server_error", "message": "Internal Server Error"}
# DRF exception type -> our error code, where the code is not the 401/403 family below.
ERROR_CODES = (
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.Throttled, "throttled"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.TemporarilyUnavailable, "temporarily_unavailable"),
)


def exception_handler(exc, context):
    """Render ``exc`` in the one error shape; unexpected errors become a logged 500."""
    exc = as_api_exception(exc)
    audit.log_refusal(exc, context.get("request"))
    body, headers = describe(exc, presented_scheme(context))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def as_api_exception(exc):
    if isinstance(exc, Http404):
        return drf.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        return exc
    logger.error("Unhandled exception: %s", type(exc).__name__, exc_info=exc)
    return ServerError()


class ServerError(drf.APIException):
    status_code = 500
    default_detail = INTERNAL_ERROR["message"]
    default_code = INTERNAL_ERROR["error"]


def describe(exc, scheme="Bearer"):
    """Return ``(body, headers)`` for an APIException.

    ``scheme`` is how the request's verified token was presented ("Bearer" or "DPoP"): a 403
    insufficient_scope challenge goes on that scheme (RFC 9449 section 7.1).
    """
    if isinstance(exc, drf.NotAuthenticated):
        return error("unauthorized", "Authentication required"), {
            "WWW-Authenticate": challenge()}
    if isinstance(exc, (drf.AuthenticationFailed, exceptions.InvalidRequest)):
        return describe_unauthenticated(exc)
    if isinstance(exc, drf.PermissionDenied):
        return describe_forbidden(exc, scheme)
    if isinstance(exc, (drf.ValidationError, drf.ParseError)):
        return error("invalid_request", "Invalid request", details=exc.detail), {}
    return error(code_of(exc), text(exc.detail)), retry_after(exc)


def describe_unauthenticated(exc):
    """400 invalid_request, or 401 invalid_token / invalid_dpop_proof / use_dpop_nonce."""
    if isinstance(exc, (exceptions.InvalidRequest, exceptions.InvalidDPoPProof)):
        code = exc.default_code
    else:
        code = "invalid_token"
    message = text(exc.detail)
    headers = {"WWW-Authenticate": challenge(getattr(exc, "scheme", "Bearer"), code, message)}
    if isinstance(exc, exceptions.UseDPoPNonce):
        headers["DPoP-Nonce"] = exc.nonce  # RFC 9449 section 9
    return error(code, message), headers


def describe_forbidden(exc, scheme="Bearer"):
    scopes = required_scopes(exc)
    if scopes is None:
        return error("forbidden", text(exc.detail)), {}
    message = text(exc.detail.get("message", "Insufficient scope")) if isinstance(
        exc.detail, dict) else text(exc.detail)
    return error("insufficient_scope", message, required_scopes=scopes), {
        "WWW-Authenticate": challenge(scheme, "insufficient_scope", message, " ".join(scopes))}


def challenge(scheme="Bearer", error_code=None, description=None, scope=None):
    """The ``WWW-Authenticate`` value for the configured DPoP mode (see ``challenges.py``)."""
    return www_authenticate(auth0_settings.REALM, auth0_settings.DPOP_MODE,
                            auth0_settings.DPOP_ALGORITHMS, scheme, error_code, description,
                            scope)


def presented_scheme(context):
    """"DPoP" when the request authenticated with a DPoP token, else "Bearer".

    Reads only what authentication already stored (DRF copies ``auth`` onto the Django
    request), so rendering an error never runs authentication again.
    """
    request = getattr((context or {}).get("request"), "_request", None)
    raw_token = getattr(getattr(request, "auth", None), "token", None)
    return getattr(raw_token, "scheme", "Bearer")


def required_scopes(exc):
    """The scopes of an insufficient-scope denial, raised directly or by a permission class."""
    if isinstance(exc, exceptions.InsufficientScope):
        return exc.required_scopes
    if isinstance(exc.detail, dict) and "required_scopes" in exc.detail:
        return [str(scope) for scope in exc.detail["required_scopes"]]
    return None


def code_of(exc):
    for exc_type, code in ERROR_CODES:
        if isinstance(exc, exc_type):
            return code
    return exc.default_code


def retry_after(exc):
    wait = getattr(exc, "retry_after", None) or getattr(exc, "wait", None)
    return {"Retry-After": str(int(wait) if wait >= 1 else 1)} if wait else {}


def error(code, message, **extra):
    return {"error": code, "message": message, **extra}


def text(detail):
    if isinstance(detail, dict):
        return "; ".join(text(value) for value in detail.values())
    if isinstance(detail, list):
        return "; ".join(text(value) for value in detail)
    return str(detail)
