"""Access-token verification: python-jose for keys and signatures, strict rules for the rest.

python-jose's ``jwt.decode`` is unsafe by default: it does not require ``exp`` or ``aud``,
accepts any ``alg`` when ``algorithms`` is omitted, accepts an ``iat`` in the future, and
raises ``TypeError``/``RecursionError``/... on crafted input. So this module parses the token
itself, once (strict base64url and JSON, see ``encoding.py``), pins the algorithm to the
allowlist, takes the key only from the JWKS by ``kid``, lets python-jose's key object check
the signature, then checks every claim. Each failure raises a ``TokenError`` subclass with a
fixed, safe message. No Django imports.
"""
import math
import time

from auth0_jwt._core.encoding import b64url_decode, json_object
from auth0_jwt._core.errors import (DisallowedAlgorithm, DisallowedHeader, InvalidAudience, InvalidClaim,
                     InvalidIssuer, InvalidSignature, InvalidTokenType, MalformedToken,
                     MissingClaim, TokenExpired, TokenIssuedInFuture, TokenNotYetValid,
                     SigningKeysUnavailable, TokenTooLarge, TokenTooOld, UnknownSigningKey)
from auth0_jwt._core.tokens import VerifiedToken

# RFC 8725 section 3.10 / RFC 7515 section 4.1: a token must not choose where its key comes
# from; keys come only from the configured JWKS.
KEY_REFERENCE_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
# RFC 9068 section 2.1 ("application/" prefix allowed, case-insensitive per RFC 7515 4.1.9).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
RFC9068_REQUIRED_CLAIMS = ("iat", "jti", "client_id")
STRING_IDENTIFIERS = ("jti", "client_id")


class TokenVerifier:
    """Verify RS256 (or allowlisted RS*) access tokens against one issuer and audience set.

    ``key_source.get_key(kid, alg)`` supplies python-jose key objects (see ``jwks.py``);
    ``clock`` returns the current Unix time and exists so tests can move time.
    ``validators`` (optional, ``validators.ClaimValidators``) replaces or switches off some
    standard claim checks and adds checks of one's own; the signature and the algorithm pin
    are never among them.
    """

    def __init__(self, *, issuer, audiences, key_source, algorithms=("RS256",), leeway=0,
                 max_age=None, strict_rfc9068=False, max_length=16384, clock=time.time,
                 validators=None):
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.key_source = key_source
        self.algorithms = frozenset(algorithms)
        self.leeway = leeway
        self.max_age = max_age
        self.strict_rfc9068 = strict_rfc9068
        self.max_length = max_length
        self.clock = clock
        self.validators = validators
        self.replaced = validators.replaced if validators is not None else frozenset()

    def verify(self, token):
        """Return a ``VerifiedToken`` or raise ``TokenError`` / ``SigningKeysUnavailable``."""
        header_segment, payload_segment, signature_segment = self.split(token)
        header = json_object(header_segment, "header")
        alg, kid = self.check_header(header)
        try:
            key = self.key_source.get_key(kid, alg)
        except SigningKeysUnavailable:
            self.refuse_failing_claims(payload_segment)
            raise
        signing_input = token[: len(header_segment) + 1 + len(payload_segment)]
        self.check_signature(key, signing_input, signature_segment)
        # Claims are parsed only once the signature holds: less attack surface.
        payload = json_object(payload_segment, "payload")
        self.check_claims(payload)
        self.check_custom_claims(payload, header)
        return VerifiedToken(token, header, payload)

    def refuse_failing_claims(self, payload_segment):
        """With no key to check the signature (503), refuse a token whose claims fail already.

        Another issuer's token, an expired one, one for another audience can never pass: a
        503 would tell its client to retry it. The claims are parsed strictly, as after a
        signature, and nothing they say is trusted: they can only turn the answer into a
        refusal (401), never into an acceptance.
        """
        payload = json_object(payload_segment, "payload")
        self.check_claims(payload)

    # -- steps ------------------------------------------------------------------------------

    def split(self, token):
        if not isinstance(token, str):
            raise MalformedToken("Malformed token: not a string")
        # Before any decoding or crypto work (RFC 8725 section 3.1 spirit: bound the cost).
        if len(token) > self.max_length:
            raise TokenTooLarge()
        segments = token.split(".")
        if len(segments) != 3:
            # 5 segments is a JWE; 2 or 4 is nothing we accept.
            raise MalformedToken("Malformed token: expected three dot-separated segments")
        return segments

    def check_header(self, header):
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise DisallowedAlgorithm()
        if "crit" in header:
            # RFC 7515 section 4.1.11: we understand no extension, so none may be critical.
            raise DisallowedHeader("Token header has a 'crit' parameter that is not supported")
        if not KEY_REFERENCE_HEADERS.isdisjoint(header):
            raise DisallowedHeader("Token header names its own key; keys come only from the JWKS")
        if "typ" not in self.replaced:
            self.check_type(header)
        kid = header.get("kid")
        if kid is None:
            # A key given in the settings without a kid (a PEM key, a secret) needs none.
            if not getattr(self.key_source, "requires_kid", True):
                return alg, None
            raise UnknownSigningKey("Token header has no 'kid'")
        if not isinstance(kid, str) or not kid:
            raise UnknownSigningKey("Token header 'kid' must be a non-empty string")
        return alg, kid

    def check_type(self, header):
        typ = header.get("typ")
        if typ is not None and not isinstance(typ, str):
            raise InvalidTokenType()
        if self.strict_rfc9068 and (typ is None or typ.lower() not in ACCESS_TOKEN_TYPES):
            raise InvalidTokenType("Unexpected 'typ' value: an 'at+jwt' access token is required")

    def check_signature(self, key, signing_input, signature_segment):
        signature = b64url_decode(signature_segment)
        try:
            valid = key.verify(signing_input.encode("ascii"), signature)
        except Exception as exc:  # a crafted signature must never become a 500
            raise InvalidSignature() from exc
        if not valid:
            raise InvalidSignature()

    def check_claims(self, claims):
        now = self.clock()
        self.check_times(claims, now)
        replaced = self.replaced
        if "iss" not in replaced:
            self.check_issuer(claims)
        if "aud" not in replaced:
            self.check_audience(claims)
        self.check_subject_and_scopes(claims)
        self.check_identifiers(claims)
        if self.strict_rfc9068:
            for name in RFC9068_REQUIRED_CLAIMS:
                if name not in claims and name not in replaced:
                    raise MissingClaim(f"Missing required claim '{name}'")
            for name in STRING_IDENTIFIERS:
                if name not in replaced:
                    _require_string(claims, name)

    def check_identifiers(self, claims):
        # RFC 7519 section 4.1.7 and RFC 9068 section 2.2: "jti" and "client_id" are strings;
        # a number would compare equal to nothing a log, a replay list or a view expects.
        for name in STRING_IDENTIFIERS:
            if name in claims and not isinstance(claims[name], str):
                raise InvalidClaim(f"Claim '{name}' must be a string")

    def check_times(self, claims, now):
        self.check_time_values(*self.time_claims(claims), now)

    def time_claims(self, claims):
        """``(exp, nbf, iat)`` as numbers, ``nbf``/``iat`` None when absent; types checked."""
        exp = numeric_date(claims, "exp", required=True)
        nbf = numeric_date(claims, "nbf")
        iat = numeric_date(claims, "iat", required=self.max_age is not None)
        return exp, nbf, iat

    def check_time_values(self, exp, nbf, iat, now):
        """RFC 7519 sections 4.1.4-4.1.6 with leeway, plus the maximum age.

        Split from ``time_claims`` so a cached token (``token_cache.py``) is re-checked by
        these same rules at every hit without parsing its claims again.
        """
        leeway = self.leeway
        if now >= exp + leeway:
            raise TokenExpired()
        if nbf is not None and now + leeway < nbf:
            raise TokenNotYetValid()
        if iat is not None and iat > now + leeway:
            raise TokenIssuedInFuture()
        if self.max_age is not None and now - iat > self.max_age + leeway:
            raise TokenTooOld()

    def check_custom_claims(self, payload, header):
        """The ``VALIDATORS`` rules."""
        if self.validators is not None:
            self.validators.check(payload, header)

    def serve_cached(self, cached, token):
        """A token this verifier verified earlier (a cache's entry, still valid), presented
        again as ``token``. The ``VALIDATORS`` rules run again, as for an uncached token: a
        rule may read state that changes (a revocation list). Every verified-token cache
        answers a hit through here."""
        self.check_custom_claims(cached.payload, cached.header)
        return cached.presented_as(token)

    def check_issuer(self, claims):
        if "iss" not in claims:
            raise MissingClaim("Missing required claim 'iss'")
        if claims["iss"] != self.issuer:
            raise InvalidIssuer()

    def check_audience(self, claims):
        if "aud" not in claims:
            raise MissingClaim("Missing required claim 'aud'")
        aud = claims["aud"]
        values = [aud] if isinstance(aud, str) else aud
        if not _is_string_list(values):
            raise InvalidAudience("Claim 'aud' must be a string or an array of strings")
        if self.audiences.isdisjoint(values):
            raise InvalidAudience()

    def check_subject_and_scopes(self, claims):
        if "sub" not in claims:
            raise MissingClaim("Missing required claim 'sub'")
        _require_string(claims, "sub")
        if "scope" in claims and not isinstance(claims["scope"], str):
            raise InvalidClaim("Claim 'scope' must be a space-separated string")
        if "permissions" in claims and not _is_string_list(claims["permissions"]):
            raise InvalidClaim("Claim 'permissions' must be an array of strings")


def numeric_date(claims, name, required=False):
    """RFC 7519 NumericDate: a finite JSON number (booleans are not numbers here)."""
    value = claims.get(name)
    if type(value) is int:  # the usual case, first; type(True) is bool, not int
        return value
    if name not in claims:
        if required:
            raise MissingClaim(f"Missing required claim '{name}'")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidClaim(f"Claim '{name}' must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidClaim(f"Claim '{name}' must be a number")
    return value


def _is_string_list(value):
    # A loop, not all(<generator>): this runs on every verification and is twice as fast.
    if not isinstance(value, list):
        return False
    for item in value:
        if not isinstance(item, str):
            return False
    return True


def _require_string(claims, name):
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidClaim(f"Claim '{name}' must be a non-empty string")
