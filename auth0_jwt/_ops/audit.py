"""The security log: one line per request refused at the DRF boundary (logger
``auth0_jwt.security``), never a token.

Each line carries, as ``extra`` fields (the JSON log format writes them as keys):
``event`` (``authentication_failed`` or ``authorization_denied``), ``reason`` (a stable code:
``credentials_missing``, ``invalid_request``, ``token_expired``, ``invalid_signature``,
``unknown_signing_key``..., ``invalid_dpop_proof``, ``replayed_dpop_proof``,
``dpop_nonce_required``, ``signing_keys_unavailable``, ``replay_store_unavailable``,
``insufficient_scope``, ``forbidden``: the ``reason`` each failure of
``auth0_jwt._core.errors`` declares), ``status``, ``method``, ``route`` (the path, without the
query string), ``kid`` and ``sub`` when known, and ``client_ip``. Whichever way the credential
arrived (header, query, form, session), the same token gives the same line.

The ``kid`` comes from the unverified header (it names a public key; it is not a secret) and
is cut to 64 printable characters. ``sub`` is logged only from a signature-verified payload:
an unverified one is whatever the sender wrote.
"""
import logging
import re

from rest_framework import exceptions as drf

from auth0_jwt._core import errors
from auth0_jwt._core.encoding import json_object
from auth0_jwt._settings import auth0_settings

logger = logging.getLogger("auth0_jwt.security")

MAX_KID = 64
MAX_SUB = 128
MAX_ROUTE = 256
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")


def token_context(raw_token, failure):
    """``{"reason", "kid", "sub"}`` for a token that failed verification with ``failure``.

    Never raises: it runs while a refusal is being raised.
    """
    context = {"reason": failure.reason}
    try:
        context.update(token_facts(raw_token, failure))
    except Exception:  # pragma: no cover - defensive: the 401 matters more than the log
        pass
    return context


def token_facts(raw_token, failure):
    context = {}
    segments = raw_token.split(".") if isinstance(raw_token, str) else []
    if len(segments) != 3 or len(raw_token) > auth0_settings.MAX_TOKEN_LENGTH:
        return context
    header = _decode(segments[0], "header")
    if isinstance(header.get("kid"), str):
        context["kid"] = printable(header["kid"], MAX_KID)
    # The verifier checks claims only after the signature holds (verification.py), so a
    # claim error means the payload is the issuer's own.
    if isinstance(failure, errors.InvalidClaim):
        sub = _decode(segments[1], "payload").get("sub")
        if isinstance(sub, str):
            context["sub"] = printable(sub, MAX_SUB)
    return context


def verified_context(token):
    """``{"kid", "sub"}`` of a verified token refused later (e.g. its DPoP proof failed)."""
    context = {}
    if isinstance(token.header.get("kid"), str):
        context["kid"] = printable(token.header["kid"], MAX_KID)
    if isinstance(token.sub, str):
        context["sub"] = printable(token.sub, MAX_SUB)
    return context


def log_refusal(exc, request):
    """Log ``exc`` (an APIException about to be rendered) if it refuses credentials or access.

    Never raises: a logging problem must not turn a 401 into a 500.
    """
    try:
        fields = describe(exc, request)
        if fields is None:
            return
        level = logging.INFO if fields["reason"] in ("credentials_missing",) else logging.WARNING
        message = ("authorization denied" if fields["event"] == "authorization_denied"
                   else "authentication failed")
        logger.log(level, message, extra=fields)
    except Exception:  # pragma: no cover - defensive
        logger.exception("Could not log a refused request")


def describe(exc, request):
    """The log fields for ``exc``, or None when it is not about credentials or access."""
    event, reason = classify(exc)
    if event is None:
        return None
    failure = getattr(exc, "failure", None)
    context = getattr(failure, "log_context", None) or {}
    fields = {"event": event, "reason": context.get("reason", reason),
              "status": exc.status_code}
    fields.update(request_fields(request))
    for key in ("kid", "sub"):
        if key in context:
            fields[key] = context[key]
    # request._user, not request.user: reading .user would run authentication again.
    user_sub = getattr(getattr(request, "_user", None), "sub", None)
    if isinstance(user_sub, str) and "sub" not in fields:
        fields["sub"] = printable(user_sub, MAX_SUB)
    if request is not None:
        fields["client_ip"] = client_ip(request)
    return fields


def classify(exc):
    """``(event, reason)`` for the refusals we log, ``(None, None)`` for anything else."""
    failure = getattr(exc, "failure", None)
    if isinstance(failure, errors.AuthFailure):
        event = ("authorization_denied" if failure.code == "insufficient_scope"
                 else "authentication_failed")
        return event, failure.reason
    if isinstance(exc, drf.NotAuthenticated):
        return "authentication_failed", "credentials_missing"
    if isinstance(exc, drf.AuthenticationFailed):  # another authenticator's refusal
        return "authentication_failed", exc.default_code
    if isinstance(exc, drf.PermissionDenied):
        return "authorization_denied", "forbidden"
    return None, None


def request_fields(request):
    if request is None:
        return {}
    return {"method": request.method, "route": printable(request.path, MAX_ROUTE)}


def client_ip(request):
    """``REMOTE_ADDR``, or the address the trusted proxy added to ``CLIENT_IP_HEADER``.

    A proxy appends the peer it saw to X-Forwarded-For, so the last entry is the one our proxy
    wrote; entries before it come from the client and prove nothing.
    """
    meta = request.META
    header = auth0_settings.CLIENT_IP_HEADER
    if header:
        value = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
        forwarded = [part.strip() for part in value.split(",") if part.strip()]
        if forwarded:
            return printable(forwarded[-1], 64)
    return meta.get("REMOTE_ADDR") or "-"


def printable(value, limit):
    """``value`` cut to ``limit`` characters with anything but printable ASCII as ``?``."""
    text = _UNPRINTABLE.sub("?", value[:limit])
    return text + "..." if len(value) > limit else text


def _decode(segment, what):
    try:
        return json_object(segment, what)
    except errors.MalformedToken:
        return {}
