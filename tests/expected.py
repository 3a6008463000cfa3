"""What a client is told to use, as the error table says, under the default settings.

DPoP is "allowed" by default (as ``express-oauth2-jwt-bearer`` 1.10 has it), so every
``WWW-Authenticate`` offers the Bearer challenge, carrying any error attributes of a bearer
request, and then the DPoP challenge with the proof algorithms (RFC 9449 section 7.2).
"""
DPOP_CHALLENGE = 'DPoP algs="ES256 PS256 RS256"'


def and_dpop(bearer_challenge):
    """The full header for a bearer request's ``bearer_challenge`` under the default mode."""
    return f"{bearer_challenge}, {DPOP_CHALLENGE}"
