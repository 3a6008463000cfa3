"""The ``cnf`` (confirmation) claim of a verified token (RFC 7800): the key it is bound to.

No Django imports. A token with ``cnf`` is sender-constrained: only the holder of that key may
use it, so it is never a bearer token. The confirmation methods understood:

- ``jkt``: the RFC 7638 thumbprint of a DPoP key (RFC 9449 section 6.1);
- ``x5t#S256``: the SHA-256 thumbprint of a TLS client certificate (RFC 8705 section 3.1).

A ``cnf`` that is not an object, has a member of the wrong type, or names none of the methods
above is unusable: the token claims a binding this API cannot check, so it is refused.
"""
from auth0_jwt._core.errors import InvalidDPoPBinding, SenderConstrainedToken

DPOP = "jkt"
MUTUAL_TLS = "x5t#S256"
METHODS = (DPOP, MUTUAL_TLS)


def confirmation_of(payload):
    """``{method: value}`` of the token's binding, ``{}`` for a bearer token.

    Raises ``InvalidDPoPBinding`` / ``SenderConstrainedToken`` for an unusable ``cnf``. Runs on
    every request, cache hits included: a token without ``cnf`` costs one dictionary lookup.
    """
    cnf = payload.get("cnf")
    if cnf is None and "cnf" not in payload:
        return {}
    if not isinstance(cnf, dict):
        raise InvalidDPoPBinding("Claim 'cnf' must be a JSON object")
    methods = {}
    for method in METHODS:
        if method in cnf:
            value = cnf[method]
            if not isinstance(value, str) or not value:
                failure = InvalidDPoPBinding if method == DPOP else SenderConstrainedToken
                raise failure(f"Claim 'cnf.{method}' must be a non-empty string")
            methods[method] = value
    if not methods:
        # RFC 7800 also defines jwk, jwe, kid, jku: bindings nobody here can verify.
        raise SenderConstrainedToken("Claim 'cnf' names no confirmation method this API "
                                     "supports")
    return methods
