"""DRF exceptions for the error contract; ``handlers.py`` renders them.

Verification errors (``errors.py``) carry no HTTP; they are translated here, once.
"""
from rest_framework import exceptions, status


class InvalidRequest(exceptions.APIException):
    """Malformed Authorization header, or a token sent by more than one method (400)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Malformed Authorization header"
    default_code = "invalid_request"


class InvalidToken(exceptions.AuthenticationFailed):
    """The token failed a check (401). Subclasses AuthenticationFailed so DRF keeps the 401."""

    default_detail = "Invalid token"
    default_code = "invalid_token"


class SigningKeysUnavailable(exceptions.APIException):
    """No signing key could be fetched and none is cached (503, with Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Signing keys are temporarily unavailable"
    default_code = "temporarily_unavailable"

    def __init__(self, detail=None, retry_after=30):
        super().__init__(detail)
        self.retry_after = retry_after


class InsufficientScope(exceptions.PermissionDenied):
    """A valid token lacks a required scope (403 with the RFC 6750 ``scope`` attribute)."""

    default_detail = "Insufficient scope"
    default_code = "insufficient_scope"

    def __init__(self, required_scopes, detail=None):
        super().__init__(detail)
        self.required_scopes = list(required_scopes)
