"""Failures of the checks on a credential, as data: plain Python, no HTTP.

Each failure carries what the HTTP edge needs to answer it and to log it, and nothing of HTTP:

- ``code``: the wire error code (RFC 6750 section 3.1, RFC 9449 sections 7.1 and 9):
  ``invalid_request``, ``invalid_token``, ``invalid_dpop_proof``, ``use_dpop_nonce``,
  ``insufficient_scope`` or ``temporarily_unavailable``;
- ``reason``: the stable code of the security log (``token_expired``, ``invalid_signature``...).
  It is a contract (alerts match on it): each class states its own, never derived from its name;
- ``message``: fixed text chosen here, never built from the token, safe to send and to log;
- ``retry_after`` (the 503s): seconds after which a retry may succeed, set by whoever knows
  the cause (a fetch still running is a retry away; a store's breaker knows its next probe);
  None means the edge's configured default (``JWKS_RETRY_AFTER``).

``auth0_jwt._drf.exceptions`` maps ``code`` to a status, body and challenge, in one place.
"""


class AuthFailure(Exception):
    """Base of every failure; ``reason`` may be given per instance (e.g. ``verification_error``)."""

    code = "invalid_token"
    reason = "invalid_token"
    default_message = "Invalid token"
    retry_after = None

    def __init__(self, message=None, *, reason=None, retry_after=None):
        self.message = message or self.default_message
        if reason is not None:
            self.reason = reason
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(self.message)


class InvalidRequest(AuthFailure):
    """The request carrying the credential is malformed (RFC 6750 section 3.1: 400)."""

    code = "invalid_request"
    reason = "invalid_request"
    default_message = "Malformed Authorization header"


class TokenError(AuthFailure):
    """The token failed a check; the client should get a new one (401 invalid_token)."""


class MalformedToken(TokenError):
    reason = "malformed_token"
    default_message = "Malformed token"


class TokenTooLarge(MalformedToken):
    reason = "token_too_large"
    default_message = "Token exceeds the maximum length"


class DisallowedAlgorithm(TokenError):
    reason = "disallowed_algorithm"
    default_message = "Token algorithm is not allowed"


class DisallowedHeader(TokenError):
    reason = "disallowed_header"
    default_message = "Token header contains a parameter that is not accepted"


class UnknownSigningKey(TokenError):
    reason = "unknown_signing_key"
    default_message = "Token signing key is not known"


class InvalidSignature(TokenError):
    reason = "invalid_signature"
    default_message = "Invalid token signature"


class InvalidClaim(TokenError):
    reason = "invalid_claim"
    default_message = "Invalid token claim"


class MissingClaim(InvalidClaim):
    reason = "missing_claim"
    default_message = "Token is missing a required claim"


class TokenExpired(InvalidClaim):
    reason = "token_expired"
    default_message = "Token expired"


class TokenNotYetValid(InvalidClaim):
    reason = "token_not_yet_valid"
    default_message = "Token not yet valid"


class TokenIssuedInFuture(InvalidClaim):
    reason = "token_issued_in_future"
    default_message = "Token issued in the future"


class TokenTooOld(InvalidClaim):
    reason = "token_too_old"
    default_message = "Token is older than the maximum age"


class InvalidIssuer(InvalidClaim):
    reason = "invalid_issuer"
    default_message = "Unexpected 'iss' value"


class InvalidAudience(InvalidClaim):
    reason = "invalid_audience"
    default_message = "Unexpected 'aud' value"


class InvalidTokenType(TokenError):
    reason = "invalid_token_type"
    default_message = "Unexpected 'typ' value"


class SigningKeysUnavailable(AuthFailure):
    """No usable signing key could be obtained; the token may be fine (503). ``retry_after``
    is a second or two while the fetch is still running (``remote.py``), else None: a tenant
    outage, the configured ``JWKS_RETRY_AFTER``."""

    code = "temporarily_unavailable"
    reason = "signing_keys_unavailable"
    default_message = "Signing keys are temporarily unavailable"


# -- sender-constrained tokens (RFC 9449 DPoP, RFC 8705 mutual TLS) ---------------------------


class InvalidDPoPBinding(TokenError):
    """The access token is not bound to the proof's key (RFC 9449 section 7.1: invalid_token)."""

    reason = "invalid_dpop_binding"
    default_message = "Invalid DPoP key binding"


class SenderConstrainedToken(TokenError):
    """A token bound to a key (``cnf``) arrived without the proof of that key: it is never a
    bearer token (RFC 9449 section 7.2, RFC 8705 section 3)."""

    default_message = "Sender-constrained token must be presented with its proof of possession"


class DPoPRequired(TokenError):
    """The API accepts DPoP only and the credential is a bearer token (RFC 9449 section 7.1)."""

    default_message = ("DPoP is required: send a DPoP-bound token with the DPoP scheme and a "
                       "DPoP proof")


class InvalidDPoPProof(AuthFailure):
    """The DPoP proof failed a check of RFC 9449 section 4.3 (401 invalid_dpop_proof)."""

    code = "invalid_dpop_proof"
    reason = "invalid_dpop_proof"
    default_message = "Invalid DPoP proof"


class ReplayedDPoPProof(InvalidDPoPProof):
    reason = "replayed_dpop_proof"
    default_message = "DPoP proof has already been used"


class DPoPNonceRequired(InvalidDPoPProof):
    """The proof has no nonce, or a stale one (RFC 9449 section 9: use_dpop_nonce)."""

    code = "use_dpop_nonce"
    reason = "dpop_nonce_required"
    default_message = "Resource server requires a fresh nonce in the DPoP proof"


class ReplayStoreUnavailable(AuthFailure):
    """The replay store could not be reached; the proof may be fine (503, fail closed).
    ``retry_after``: when its circuit breaker lets the next probe through (``replay_guard``);
    5 s when nothing more is known (Redis restarts quickly)."""

    code = "temporarily_unavailable"
    reason = "replay_store_unavailable"
    default_message = "Replay protection is temporarily unavailable"
    retry_after = 5


# -- authorization ----------------------------------------------------------------------------


class InsufficientScope(AuthFailure):
    """A valid token lacks a scope (RFC 6750 section 3.1: 403 insufficient_scope).

    ``required_scopes``: all of them are needed, or one of them when ``any_of``.
    """

    code = "insufficient_scope"
    reason = "insufficient_scope"
    default_message = "Insufficient scope"

    def __init__(self, required_scopes, message=None, *, any_of=False):
        super().__init__(message)
        self.required_scopes = list(required_scopes)
        self.any_of = any_of
