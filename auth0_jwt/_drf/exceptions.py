"""DRF exceptions for the error contract; ``handlers.py`` renders them.

Verification errors (``errors.py``) carry no HTTP; they are translated here, once.
"""
from rest_framework import exceptions, status


class InvalidRequest(exceptions.APIException):
    """Malformed Authorization header, or a token sent by more than one method (400).

    ``scheme`` ("Bearer" or "DPoP") names the challenge that carries the error attributes.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Malformed Authorization header"
    default_code = "invalid_request"

    def __init__(self, detail=None, scheme="Bearer"):
        super().__init__(detail)
        self.scheme = scheme


class InvalidToken(exceptions.AuthenticationFailed):
    """The token failed a check (401). Subclasses AuthenticationFailed so DRF keeps the 401.

    ``scheme`` ("Bearer" or "DPoP") names the challenge that carries the error attributes.
    """

    default_detail = "Invalid token"
    default_code = "invalid_token"

    def __init__(self, detail=None, scheme="Bearer"):
        super().__init__(detail)
        self.scheme = scheme


class InvalidDPoPProof(InvalidToken):
    """The DPoP proof failed a check of RFC 9449 section 4.3 (401, on the DPoP challenge)."""

    default_detail = "Invalid DPoP proof"
    default_code = "invalid_dpop_proof"

    def __init__(self, detail=None):
        super().__init__(detail, scheme="DPoP")


class UseDPoPNonce(InvalidDPoPProof):
    """RFC 9449 section 9: retry with a proof carrying ``nonce`` (sent in ``DPoP-Nonce``)."""

    default_detail = "Resource server requires a fresh nonce in the DPoP proof"
    default_code = "use_dpop_nonce"

    def __init__(self, nonce, detail=None):
        super().__init__(detail)
        self.nonce = nonce


class TemporarilyUnavailable(exceptions.APIException):
    """A dependency of verification is down; the client's token may be fine (503, Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable"
    default_code = "temporarily_unavailable"

    def __init__(self, detail=None, retry_after=30):
        super().__init__(detail)
        self.retry_after = retry_after


class SigningKeysUnavailable(TemporarilyUnavailable):
    """No signing key could be fetched and none is cached (503, with Retry-After)."""

    default_detail = "Signing keys are temporarily unavailable"


class ReplayStoreUnavailable(TemporarilyUnavailable):
    """The DPoP replay store (e.g. Redis) cannot be reached: fail closed (503)."""

    default_detail = "Replay protection is temporarily unavailable"


class InsufficientScope(exceptions.PermissionDenied):
    """A valid token lacks a required scope (403 with the RFC 6750 ``scope`` attribute)."""

    default_detail = "Insufficient scope"
    default_code = "insufficient_scope"

    def __init__(self, required_scopes, detail=None):
        super().__init__(detail)
        self.required_scopes = list(required_scopes)
