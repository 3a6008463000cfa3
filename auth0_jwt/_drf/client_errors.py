"""Requests that Django or DRF cannot read: a 400 ``invalid_request`` in the one JSON shape.

Everything a client controls can make Django raise while it reads the request: a ``Host`` not
in ``ALLOWED_HOSTS``, more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` parameters, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, a broken multipart body, a body cut short. Django answers its
``SuspiciousOperation`` family with 400 but logs each at ERROR with a traceback, so a client
could fill the error log at will. Here each is a 400 with a specific message and one WARNING
line without traceback, on the ``django.security.<ExceptionName>`` logger operators already
filter on. Used by the exception handler (DRF views), ``ClientErrorMiddleware`` (Django views
and middleware) and ``handler400``.
"""
import logging

from django.core.exceptions import (BadRequest, DisallowedHost, RequestDataTooBig,
                                    SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent)
from django.http import JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

CLIENT_ERRORS = (SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError)
MESSAGES = (
    (DisallowedHost, "Host header is not allowed"),
    (TooManyFieldsSent, "Too many parameters in the query string or form body"),
    (TooManyFilesSent, "Too many files in the request body"),
    (RequestDataTooBig, "Request body is too large"),
    (MultiPartParserError, "Malformed multipart body"),
    (UnreadablePostError, "Request body could not be read"),
)
DEFAULT_MESSAGE = "Bad Request"


def is_client_error(exc):
    return isinstance(exc, CLIENT_ERRORS)


def message_for(exc):
    """A fixed, safe message for ``exc``: never Django's text, which may echo the request."""
    for exc_type, message in MESSAGES:
        if isinstance(exc, exc_type):
            return message
    return DEFAULT_MESSAGE


def body_for(exc):
    return {"error": "invalid_request", "message": message_for(exc)}


def log(exc, request=None):
    """One WARNING line, no traceback: the request was refused, nothing is broken."""
    name = type(exc).__name__
    extra = {"status_code": 400, "event": "request_refused", "reason": name}
    path = getattr(request, "path", None)
    if isinstance(path, str):
        extra["route"] = path[:256].encode("ascii", "backslashreplace").decode("ascii")
    logging.getLogger(f"django.security.{name}").warning("%s: %s", message_for(exc), name,
                                                         extra=extra)


def response_for(exc, request=None):
    """The logged JSON 400 for a Django view or middleware."""
    log(exc, request)
    return JsonResponse(body_for(exc), status=400)
