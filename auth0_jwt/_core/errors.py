"""Verification errors: plain Python, no HTTP. ``exceptions.py`` translates them for DRF.

Every message is fixed text chosen here, never built from the token, so it is safe to send to
the client and to log.
"""


class TokenError(Exception):
    """The token failed a check; the client should get a new one (401 invalid_token)."""

    default_message = "Invalid token"

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)


class MalformedToken(TokenError):
    default_message = "Malformed token"


class TokenTooLarge(MalformedToken):
    default_message = "Token exceeds the maximum length"


class DisallowedAlgorithm(TokenError):
    default_message = "Token algorithm is not allowed"


class DisallowedHeader(TokenError):
    default_message = "Token header contains a parameter that is not accepted"


class UnknownSigningKey(TokenError):
    default_message = "Token signing key is not known"


class InvalidSignature(TokenError):
    default_message = "Invalid token signature"


class InvalidClaim(TokenError):
    default_message = "Invalid token claim"


class MissingClaim(InvalidClaim):
    default_message = "Token is missing a required claim"


class TokenExpired(InvalidClaim):
    default_message = "Token expired"


class TokenNotYetValid(InvalidClaim):
    default_message = "Token not yet valid"


class TokenIssuedInFuture(InvalidClaim):
    default_message = "Token issued in the future"


class TokenTooOld(InvalidClaim):
    default_message = "Token is older than the maximum age"


class InvalidIssuer(InvalidClaim):
    default_message = "Unexpected 'iss' value"


class InvalidAudience(InvalidClaim):
    default_message = "Unexpected 'aud' value"


class InvalidTokenType(TokenError):
    default_message = "Unexpected 'typ' value"


class SigningKeysUnavailable(Exception):
    """No usable signing key could be obtained; the token may be fine (503)."""

    def __init__(self, message="Signing keys are temporarily unavailable"):
        self.message = message
        super().__init__(message)


# -- DPoP (RFC 9449) ------------------------------------------------------------------------


class InvalidDPoPBinding(TokenError):
    """The access token is not bound to the proof's key (RFC 9449 section 7.1: invalid_token)."""

    default_message = "Invalid DPoP key binding"


class InvalidDPoPProof(Exception):
    """The DPoP proof failed a check of RFC 9449 section 4.3 (401 invalid_dpop_proof)."""

    default_message = "Invalid DPoP proof"

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)


class ReplayedDPoPProof(InvalidDPoPProof):
    default_message = "DPoP proof has already been used"


class DPoPNonceRequired(InvalidDPoPProof):
    """The proof has no nonce, or a stale one (RFC 9449 section 9: use_dpop_nonce)."""

    default_message = "Resource server requires a fresh nonce in the DPoP proof"


class ReplayStoreUnavailable(Exception):
    """The replay store could not be reached; the proof may be fine (503, fail closed)."""

    def __init__(self, message="Replay protection is temporarily unavailable"):
        self.message = message
        super().__init__(message)
