"""The DRF exceptions of the error contract, and the one mapping from a failure to them.

Failures (``auth0_jwt._core.errors``) carry their wire ``code``, log ``reason`` and message as
data; ``api_error`` picks the DRF exception for the ``code`` here, once, and that exception's
class gives the HTTP status. ``handlers.py`` renders any of them as the body and challenge of
the error table (docs/errors.md).

Each exception can also be raised directly, e.g. ``raise InsufficientScopeError(["write:x"])``
from a view: it then builds the failure it stands for.
"""
from rest_framework import exceptions, status

from auth0_jwt._core import errors
from auth0_jwt._ops.runtime import get_nonces
from auth0_jwt._settings import auth0_settings


class FailureResponse:
    """Mixin: the exception answers ``failure``; ``scheme`` names the challenge it goes on.

    ``scheme`` is how the credential was presented ("Bearer" or "DPoP"); None means "the
    scheme of the request's verified token", looked up when the response is built.
    """

    failure_type = errors.AuthFailure

    def __init__(self, detail=None, *, failure=None, scheme="Bearer"):
        self.failure = failure if failure is not None else self.failure_type(
            None if detail is None else str(detail))
        self.scheme = scheme
        super().__init__(self.failure.message)


class InvalidRequestError(FailureResponse, exceptions.APIException):
    """400 ``invalid_request``: a malformed ``Authorization`` header, a token sent by more than
    one method, a missing ``DPoP`` header (RFC 6750 section 3.1)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"
    failure_type = errors.InvalidRequest


class InvalidTokenError(FailureResponse, exceptions.AuthenticationFailed):
    """401 ``invalid_token``: the token failed a check. An ``AuthenticationFailed``, so DRF
    keeps the 401 (with the first authenticator's challenge)."""

    default_code = "invalid_token"
    failure_type = errors.TokenError


class InvalidDPoPProofError(InvalidTokenError):
    """401 ``invalid_dpop_proof``: the DPoP proof failed a check of RFC 9449 section 4.3."""

    default_code = "invalid_dpop_proof"
    failure_type = errors.InvalidDPoPProof

    def __init__(self, detail=None, *, failure=None, scheme="DPoP"):
        super().__init__(detail, failure=failure, scheme=scheme)


class UseDPoPNonceError(InvalidDPoPProofError):
    """401 ``use_dpop_nonce`` with a ``DPoP-Nonce`` header: retry with a proof carrying
    ``nonce`` (RFC 9449 section 9)."""

    default_code = "use_dpop_nonce"
    failure_type = errors.DPoPNonceRequired

    def __init__(self, nonce, detail=None, *, failure=None, scheme="DPoP"):
        super().__init__(detail, failure=failure, scheme=scheme)
        self.nonce = nonce


class InsufficientScopeError(FailureResponse, exceptions.PermissionDenied):
    """403 ``insufficient_scope`` with ``required_scopes`` and the RFC 6750 ``scope``
    attribute: the token is valid but lacks a scope. ``any_of``: one of them suffices."""

    default_code = "insufficient_scope"

    def __init__(self, required_scopes=(), detail=None, *, any_of=False, failure=None,
                 scheme=None):
        if failure is None:
            failure = errors.InsufficientScope(
                required_scopes, None if detail is None else str(detail), any_of=any_of)
        super().__init__(failure=failure, scheme=scheme)

    @property
    def required_scopes(self):
        return self.failure.required_scopes


class TemporarilyUnavailableError(FailureResponse, exceptions.APIException):
    """503 ``temporarily_unavailable`` with ``Retry-After``: a dependency of verification (the
    signing keys, the DPoP replay store) is down; the client's token may be fine."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "temporarily_unavailable"
    failure_type = errors.SigningKeysUnavailable

    def __init__(self, detail=None, *, retry_after=30, failure=None, scheme="Bearer"):
        super().__init__(detail, failure=failure, scheme=scheme)
        self.retry_after = retry_after


# The one mapping of a failure's code to the DRF exception (and so to the HTTP status).
ERROR_TYPES = {
    "invalid_request": InvalidRequestError,
    "invalid_token": InvalidTokenError,
    "invalid_dpop_proof": InvalidDPoPProofError,
    "use_dpop_nonce": UseDPoPNonceError,
    "insufficient_scope": InsufficientScopeError,
    "temporarily_unavailable": TemporarilyUnavailableError,
}


def api_error(failure, scheme="Bearer"):
    """The DRF exception that answers ``failure`` presented with ``scheme``."""
    error_type = ERROR_TYPES.get(failure.code, InvalidTokenError)
    if error_type is UseDPoPNonceError:
        return UseDPoPNonceError(get_nonces().issue(), failure=failure, scheme=scheme)
    if error_type is TemporarilyUnavailableError:
        return TemporarilyUnavailableError(failure=failure, scheme=scheme,
                                           retry_after=retry_after(failure))
    return error_type(failure=failure, scheme=scheme)


def retry_after(failure):
    """The failure's own hint (its cause knows best: a fetch still running, a breaker's next
    probe), else ``JWKS_RETRY_AFTER``, the configured answer for a tenant outage."""
    if failure.retry_after is not None:
        return failure.retry_after
    return auth0_settings.JWKS_RETRY_AFTER
