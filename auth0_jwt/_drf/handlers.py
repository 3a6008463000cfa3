"""The exception handler: every error as ``{"error", "message"}`` with the right status and
``WWW-Authenticate`` header (the table in docs/errors.md). Set it as
``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "auth0_jwt.exception_handler"``.

This is the one place an error becomes a response: a failure's ``code`` gives the body's
``error`` and whether a challenge goes with it, the challenge is built by
``challenges.challenge``, and the security log line is written by ``audit.log_refusal``.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from auth0_jwt._core import errors
from auth0_jwt._drf import client_errors
from auth0_jwt._drf.challenges import challenge
from auth0_jwt._drf.permissions import explain_denial
from auth0_jwt._ops import audit

logger = logging.getLogger("django.request")

INTERNAL_ERROR = {"error": "server_error", "message": "Internal Server Error"}
# Failure codes answered with a challenge (RFC 6750 section 3; RFC 9449 section 7.1).
CHALLENGED = frozenset({"invalid_request", "invalid_token", "invalid_dpop_proof",
                        "use_dpop_nonce", "insufficient_scope"})
# DRF exception type -> our error code, where the code is not the 401/403 family below.
ERROR_CODES = (
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.Throttled, "throttled"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
)
JSON = JSONRenderer()


def exception_handler(exc, context):
    """Render ``exc`` in the one error shape; unexpected errors become a logged 500."""
    request = context.get("request")
    prefer_json(request)
    set_rollback()
    if client_errors.is_client_error(exc):
        client_errors.log(exc, request)
        return Response(client_errors.body_for(exc), status=400)
    exc = as_api_exception(exc, context)
    audit.log_refusal(exc, request)
    body, headers = describe(exc, presented_scheme(context))
    return Response(body, status=exc.status_code, headers=headers)


def as_api_exception(exc, context):
    if isinstance(exc, Http404):
        # Django's and nginx's 404 say "Not found"; DRF's default detail adds a period.
        return drf.NotFound("Not found")
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    if type(exc) is drf.PermissionDenied:
        return denial(exc, context)
    if isinstance(exc, drf.APIException):
        return exc
    logger.error("Unhandled exception: %s", type(exc).__name__, exc_info=exc)
    return ServerError()


def denial(exc, context):
    """A view's permission check raised DRF's plain 403: ask the permission why."""
    try:
        return explain_denial(exc, context.get("request"), context.get("view"))
    except Exception as error:  # the 403 stands; a permission failing now is logged
        logger.error("Explaining a 403 raised %s", type(error).__name__, exc_info=error)
        return exc


class ServerError(drf.APIException):
    status_code = 500
    default_detail = INTERNAL_ERROR["message"]
    default_code = INTERNAL_ERROR["error"]


def describe(exc, scheme="Bearer"):
    """Return ``(body, headers)`` for an APIException.

    ``scheme`` is how the request's verified token was presented ("Bearer" or "DPoP"): a 403
    insufficient_scope challenge goes on that scheme (RFC 9449 section 7.1).
    """
    failure = getattr(exc, "failure", None)
    if isinstance(failure, errors.AuthFailure):
        return describe_failure(exc, failure, getattr(exc, "scheme", None) or scheme)
    if isinstance(exc, drf.NotAuthenticated):
        return error("unauthorized", "Authentication required"), {
            "WWW-Authenticate": challenge()}
    if isinstance(exc, drf.AuthenticationFailed):  # another authenticator's refusal
        message = text(exc.detail)
        return error("invalid_token", message), {
            "WWW-Authenticate": challenge("Bearer", "invalid_token", message)}
    if isinstance(exc, drf.PermissionDenied):
        return error("forbidden", text(exc.detail)), {}
    if isinstance(exc, (drf.ValidationError, drf.ParseError)):
        return error("invalid_request", "Invalid request", details=exc.detail), {}
    return error(code_of(exc), text(exc.detail)), retry_after(exc)


def describe_failure(exc, failure, scheme):
    """The body and headers of a failure: its code and message, the challenge for its code
    (with ``scope`` for insufficient_scope), ``DPoP-Nonce``, ``Retry-After``."""
    body = error(failure.code, failure.message)
    headers = retry_after(exc)
    if failure.code in CHALLENGED:
        scope = None
        if isinstance(failure, errors.InsufficientScope):
            body["required_scopes"] = failure.required_scopes
            scope = " ".join(failure.required_scopes)
        headers["WWW-Authenticate"] = challenge(scheme, failure.code, failure.message, scope)
    nonce = getattr(exc, "nonce", None)
    if nonce:
        headers["DPoP-Nonce"] = nonce  # RFC 9449 section 9
    return body, headers


def presented_scheme(context):
    """"DPoP" when the request authenticated with a DPoP token, else "Bearer".

    Reads only what authentication already stored (DRF copies ``auth`` onto the Django
    request), so rendering an error never runs authentication again.
    """
    request = getattr((context or {}).get("request"), "_request", None)
    raw_token = getattr(getattr(request, "auth", None), "token", None)
    return getattr(raw_token, "scheme", "Bearer")


def prefer_json(request):
    """Errors are JSON, also from views that negotiated another format (the OpenAPI schema's
    YAML, Swagger UI's HTML) or none at all; the browsable API keeps its HTML page."""
    if request is None:
        return
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or not (renderer.format == "api"
                                or renderer.media_type == JSON.media_type):
        request.accepted_renderer, request.accepted_media_type = JSON, JSON.media_type


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
