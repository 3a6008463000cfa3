"""Several trusted issuers (the Express SDK's ``mcd``): route each token to its issuer's
verifier. No Django imports.

Each issuer has its own ``TokenVerifier`` (key source, algorithms); the token's ``iss``, read
without verifying anything, only *selects* one of them, and only when it is on the allowed
list: an unknown ``iss`` is refused before any key is looked up, so a token can never make us
fetch from a URL of its choosing. The selected verifier then checks everything, ``iss``
included, exactly as for a single issuer.

A bounded cache of verified tokens sits in front of the routing (see ``token_cache.py`` for
what a hit re-checks): a repeated token costs a dict lookup, not a parse. A hit is served only
when its issuer is allowed for this request.
"""
from auth0_jwt._core.encoding import json_object
from auth0_jwt._core.errors import (InvalidIssuer, MalformedToken, MissingClaim,
                                    SigningKeysUnavailable, TokenError, TokenTooLarge)
from auth0_jwt._core.token_cache import TokenCache


class IssuerNotAllowed(InvalidIssuer):
    """The token names an issuer that is not on the allowed list (401 invalid_token)."""

    reason = "issuer_not_allowed"
    default_message = "Token issuer is not allowed"


class MultiIssuerVerifier:
    """Verify tokens of any of ``verifiers`` (``{issuer: TokenVerifier}``).

    ``verify(token, allowed=None)``: ``allowed`` narrows the issuers for this call (an issuer
    resolver's answer for the request); None means ``default_allowed``, which is every
    configured issuer unless a resolver is configured (then None allows none: a credential
    path that does not ask the resolver must not skip it). Same errors as ``TokenVerifier``,
    plus ``IssuerNotAllowed``.
    """

    def __init__(self, verifiers, *, cache_size=0, max_length=16384, default_allowed=None):
        if not verifiers:
            raise ValueError("at least one issuer is required")
        self.verifiers = dict(verifiers)
        self.max_length = max_length
        self.default_allowed = default_allowed
        self.cache = TokenCache(cache_size) if cache_size else None
        self.hits = 0
        self.misses = 0

    def verify(self, token, allowed=None):
        """Return a ``VerifiedToken`` or raise ``TokenError`` / ``SigningKeysUnavailable``."""
        if allowed is None:
            allowed = self.default_allowed
        key = token if type(token) is str else _plain(token)
        if self.cache is not None and key is not None and len(key) <= self.max_length:
            entry = self.cache.get(key)
            if entry is not None and (allowed is None or entry[1].issuer in allowed):
                if still_valid(entry):
                    answer = entry[1].serve_cached(entry[0], token)
                    self.hits += 1
                    return answer
                self.cache.discard(key)
        self.misses += 1
        verifier = self.route(key, allowed)
        version = key_set_version(verifier.key_source)
        verified = verifier.verify(token)
        if self.cache is not None and key_set_version(verifier.key_source) == version:
            # As in token_cache.py: a key set that changed meanwhile leaves the token uncached.
            cached = verified if verified.token is key else verified.presented_as(key)
            self.cache.put(key, (cached, verifier, version, verified.header.get("kid"),
                                 verified.header["alg"], verifier.time_claims(verified.payload)))
        return verified

    def route(self, token, allowed=None):
        """The verifier of the token's (unverified) ``iss``, if allowed; never any I/O."""
        issuer = unverified_issuer(token, self.max_length)
        verifier = self.verifiers.get(issuer)
        if verifier is None or (allowed is not None and issuer not in allowed):
            raise IssuerNotAllowed()
        return verifier

    def key_sources(self):
        """Each distinct key source once (for warm-up and readiness)."""
        unique = {}
        for verifier in self.verifiers.values():
            unique.setdefault(id(verifier.key_source), verifier.key_source)
        return list(unique.values())

    def __repr__(self):
        return f"<MultiIssuerVerifier {sorted(self.verifiers)}>"


def unverified_issuer(token, max_length=16384):
    """The ``iss`` claim, read without any verification: a routing hint and nothing else.

    Raises ``MalformedToken`` / ``TokenTooLarge`` / ``MissingClaim`` when there is no ``iss`` to
    read; the payload is decoded by the same strict rules as when it is verified.
    """
    if not isinstance(token, str):
        raise MalformedToken("Malformed token: not a string")
    if len(token) > max_length:
        raise TokenTooLarge()
    segments = token.split(".")
    if len(segments) != 3:
        raise MalformedToken("Malformed token: expected three dot-separated segments")
    payload = json_object(segments[1], "payload")
    if "iss" not in payload:
        raise MissingClaim("Missing required claim 'iss'")
    return payload["iss"] if isinstance(payload["iss"], str) else None


def still_valid(entry):
    """A cached entry may be served: its key is still held, under the same key set version,
    and its time claims hold now (the same rules as ``CachingVerifier.still_valid``); the
    caller then answers through ``TokenVerifier.serve_cached``."""
    _, verifier, version, kid, alg, (exp, nbf, iat) = entry
    try:
        verifier.key_source.get_key(kid, alg)  # also keeps the JWKS refreshed on schedule
        if key_set_version(verifier.key_source) != version:
            return False
        verifier.check_time_values(exp, nbf, iat, verifier.clock())
    except (TokenError, SigningKeysUnavailable):
        return False
    return True


def key_set_version(key_source):
    return getattr(key_source, "version", None)


def _plain(token):
    return str(token) if isinstance(token, str) else None
