"""DRF glue: read the access token (RFC 6750 section 2; RFC 9449 section 7 for DPoP), verify
it and its DPoP proof, return the principal."""
import logging
import re

from django.core.exceptions import DisallowedHost
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException

from auth0_jwt._ops import audit
from auth0_jwt._core import dpop, errors, mtls
from auth0_jwt._drf import exceptions
from auth0_jwt._drf.challenges import www_authenticate
from auth0_jwt._ops.runtime import get_nonces, get_proof_verifier, verifier_for
from auth0_jwt._settings import auth0_settings
from auth0_jwt._drf.users import TokenUser

logger = logging.getLogger("auth0_jwt.authentication")

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # the grammar; is_b64token() is the fast check
B64TOKEN_CHARACTERS = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       b"-._~+/")
WHITESPACE = re.compile(r"\s")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
REPLAY_STORE_RETRY_AFTER = 5  # seconds


class PresentedToken(str):
    """The raw access token as sent, with the ``scheme`` it came with: "Bearer" or "DPoP"."""

    def __new__(cls, value, scheme="Bearer"):
        token = super().__new__(cls, value)
        token.scheme = scheme
        return token


class Auth0JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <access token>`` against the Auth0 tenant.

    - no token, or another scheme (``Basic ...``): returns ``None`` (anonymous; a protected
      route then answers 401 ``unauthorized``);
    - malformed header, or a token sent by more than one method: 400 ``invalid_request``;
    - a token that fails any check: 401 ``invalid_token``;
    - no signing key can be fetched: 503 ``temporarily_unavailable``;
    - otherwise ``(TokenUser, VerifiedToken)``: ``request.user.sub``, ``request.auth.payload``.

    With ``DPOP_MODE`` "allowed" or "required" (RFC 9449), ``Authorization: DPoP <token>`` plus
    one ``DPoP`` proof header is accepted too: a bad proof is 401 ``invalid_dpop_proof``, a
    token not bound to the proof key 401 ``invalid_token``, a DPoP-bound token sent as Bearer
    401 ``invalid_token``; in "required" mode Bearer tokens are refused (401). With "off" (the
    default) nothing of this applies and ``DPoP ...`` is another scheme, "not ours".

    A certificate-bound token (RFC 8705) needs the client certificate it is bound to (401
    ``invalid_token`` otherwise), whatever ``MTLS_MODE`` says; see ``_core/mtls.py``.
    """

    #: This class's own ``AUTH0_JWT``-style settings (whom to trust, how to check tokens),
    #: merged over the project's, e.g. ``{"AUDIENCE": "https://partner-api.example.com"}``.
    #: Each settings set gets its verifier; JWKS clients are shared per URL.
    auth0_jwt_settings = None

    def authenticate(self, request):
        raw_token = self.get_raw_token(request)
        if raw_token is None:
            return None
        self.check_scheme_allowed(raw_token)
        proof = self.get_dpop_proof(request, raw_token)
        token = self.get_validated_token(raw_token, request)
        try:
            self.check_sender_constraint(request, raw_token, token, proof)
        except APIException as exc:
            exc.log_context = audit.verified_context(token)  # for the security log
            raise
        return self.get_user(token), token

    def authenticate_header(self, request):
        """The 401 challenge; returning a value is what makes DRF answer 401, not 403."""
        return www_authenticate(auth0_settings.REALM, auth0_settings.DPOP_MODE,
                                auth0_settings.DPOP_ALGORITHMS)

    # -- the pipeline -----------------------------------------------------------------------

    def get_raw_token(self, request):
        """The one token sent by the enabled methods, or None; several tokens are a 400."""
        found = [token for token in (self.get_header_token(request),
                                     self.get_query_token(request),
                                     self.get_form_token(request)) if token is not None]
        # RFC 6750 section 2: a client must not use more than one method, also when the other
        # method is one this server has switched off (fail closed: which token was meant?).
        if len(found) > 1 or (found and self.carries_switched_off_token(request)):
            raise exceptions.InvalidRequest("Token sent by more than one method")
        return found[0] if found else None

    def carries_switched_off_token(self, request):
        """An ``access_token`` in the query or form body while that method is off."""
        django_request = request._request
        if (not auth0_settings.ALLOW_QUERY_TOKEN
                and "access_token" in django_request.META.get("QUERY_STRING", "")
                and "access_token" in django_request.GET):
            return True
        return (not auth0_settings.ALLOW_FORM_TOKEN and self.is_form_body(request)
                and "access_token" in django_request.POST)

    def is_form_body(self, request):
        # RFC 6750 section 2.2: only a form-encoded body, never on GET.
        return (request.method not in ("GET", "HEAD")
                and (request.content_type or "").startswith(FORM_CONTENT_TYPE))

    def get_header_token(self, request):
        # The Django request's META directly: DRF's Request forwards attribute reads through
        # __getattr__, which costs as much as the rest of this method.
        header = getattr(request, "_request", request).META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        parts = header.split(None, 1)
        if not parts:
            raise exceptions.InvalidRequest("Authorization header is empty")
        scheme = self.get_scheme(parts[0])
        if scheme is None:
            return None  # not our scheme: another authenticator may take it
        # RFC 7235: 1*SP after the scheme, so extra spaces before the token are tolerated.
        token = self.check_token_syntax(parts[1].strip() if len(parts) > 1 else "", scheme)
        return PresentedToken(token, scheme)

    def get_scheme(self, name):
        """"Bearer", "DPoP" (only when DPoP is on), or None for a scheme that is not ours."""
        name = name.lower()  # RFC 7235 section 2.1: schemes are case-insensitive
        if name == "bearer":
            return "Bearer"
        if name == "dpop" and auth0_settings.DPOP_MODE != "off":
            return "DPoP"
        return None

    def get_query_token(self, request):
        if not auth0_settings.ALLOW_QUERY_TOKEN:
            return None
        return self.single_parameter(request._request.GET.getlist("access_token"))

    def get_form_token(self, request):
        if not auth0_settings.ALLOW_FORM_TOKEN or not self.is_form_body(request):
            return None
        return self.single_parameter(request._request.POST.getlist("access_token"))

    def check_scheme_allowed(self, raw_token):
        # RFC 9449 section 7.1: a server that requires DPoP refuses Bearer (incl. query/form).
        if auth0_settings.DPOP_MODE == "required" and scheme_of(raw_token) != "DPoP":
            raise exceptions.InvalidToken("DPoP is required: send a DPoP-bound token with the "
                                          "DPoP scheme and a DPoP proof", scheme="DPoP")

    def get_dpop_proof(self, request, raw_token):
        """The one ``DPoP`` header of a DPoP request (None for Bearer); checked before any crypto."""
        if scheme_of(raw_token) != "DPoP":
            return None
        proof = request.META.get("HTTP_DPOP", "").strip()
        if not proof:
            raise exceptions.InvalidRequest("DPoP proof header is missing", scheme="DPoP")
        # WSGI servers join repeated headers with ","; a JWS never contains one. RFC 9449
        # section 4.3 check 1: not more than one DPoP header.
        if "," in proof:
            raise exceptions.InvalidDPoPProof("More than one DPoP proof")
        return proof

    def get_validated_token(self, raw_token, request=None):
        """The ``VerifiedToken``; a failure is raised with ``log_context`` (reason, kid, sub)
        for the security log (``audit.py``)."""
        try:
            return self.get_verifier(request).verify(raw_token)
        except Exception as exc:
            failure = self.as_api_exception(exc, scheme_of(raw_token))
            failure.log_context = audit.token_context(raw_token, exc)
            raise failure from exc

    def get_verifier(self, request):
        """The verifier of this class's settings, narrowed to the issuers ``ISSUER_RESOLVER``
        allows for ``request`` when one is set (``runtime.verifier_for``)."""
        return verifier_for(request, self.auth0_jwt_settings)

    def as_api_exception(self, exc, scheme):
        if isinstance(exc, errors.TokenError):
            return exceptions.InvalidToken(exc.message, scheme=scheme)
        if isinstance(exc, errors.SigningKeysUnavailable):
            return exceptions.SigningKeysUnavailable(
                exc.message, retry_after=auth0_settings.JWKS_RETRY_AFTER)
        # Fail closed: a verifier bug on crafted input is a rejected token, never a 200.
        logger.error("Token verification raised %s", type(exc).__name__, exc_info=exc)
        return exceptions.InvalidToken("Token could not be verified", scheme=scheme)

    def check_sender_constraint(self, request, raw_token, token, proof):
        """RFC 9449 section 7: a DPoP token needs its proof; a DPoP-bound token needs DPoP.
        RFC 8705 section 3: a certificate-bound token needs its certificate."""
        self.check_certificate_binding(request, raw_token, token)
        if auth0_settings.DPOP_MODE == "off":
            return  # DPoP unsupported: tokens are bearer tokens, exactly as without this code
        scheme = scheme_of(raw_token)
        try:
            jkt = dpop.confirmation_thumbprint(token.payload)
        except errors.TokenError as exc:
            raise exceptions.InvalidToken(exc.message, scheme=scheme) from exc
        if scheme != "DPoP":
            if jkt is not None:
                # RFC 9449 section 7.2: a DPoP-bound token must not be accepted as Bearer.
                raise exceptions.InvalidToken("DPoP-bound token must be sent with the DPoP "
                                              "scheme and a DPoP proof")
            return
        if jkt is None:
            raise exceptions.InvalidToken("Token is not DPoP-bound (no 'cnf.jkt' claim)",
                                          scheme="DPoP")
        self.verify_dpop_proof(request, raw_token, proof, jkt)

    def check_certificate_binding(self, request, raw_token, token):
        try:
            mtls.check_certificate_binding(auth0_settings.MTLS_MODE, token.payload,
                                           mtls.client_cert_from_environ(
                                               getattr(request, "_request", request).META,
                                               auth0_settings.MTLS_CLIENT_CERT_HEADER))
        except errors.TokenError as exc:
            raise exceptions.InvalidToken(exc.message, scheme=scheme_of(raw_token)) from exc

    def verify_dpop_proof(self, request, raw_token, proof, jkt):
        try:
            return get_proof_verifier().verify(
                proof, method=request.method, uri=self.get_request_uri(request),
                access_token=str(raw_token), jkt=jkt)
        except errors.DPoPNonceRequired as exc:
            raise exceptions.UseDPoPNonce(get_nonces().issue(), exc.message) from exc
        except errors.InvalidDPoPProof as exc:
            raise exceptions.InvalidDPoPProof(exc.message) from exc
        except errors.TokenError as exc:  # key binding mismatch (RFC 9449 section 7.1)
            raise exceptions.InvalidToken(exc.message, scheme="DPoP") from exc
        except errors.ReplayStoreUnavailable as exc:
            logger.error("DPoP replay store unavailable: %s", type(exc.__cause__).__name__)
            raise exceptions.ReplayStoreUnavailable(
                exc.message, retry_after=REPLAY_STORE_RETRY_AFTER) from exc
        except Exception as exc:
            # Fail closed, as for tokens: a verifier bug on a crafted proof is never a 200.
            logger.error("DPoP proof verification raised %s", type(exc).__name__, exc_info=exc)
            raise exceptions.InvalidDPoPProof("DPoP proof could not be verified") from exc

    def get_request_uri(self, request):
        """The ``htu`` expected: Django's absolute URI of this request, without query.

        ``build_absolute_uri`` takes the host through ``ALLOWED_HOSTS`` validation and the
        scheme through ``SECURE_PROXY_SSL_HEADER``, so behind a proxy those (and
        ``USE_X_FORWARDED_HOST``) must be configured for proofs to match.
        """
        try:
            return request.build_absolute_uri(request.path)
        except DisallowedHost as exc:
            raise exceptions.InvalidRequest("Request host is not allowed", scheme="DPoP") from exc

    def get_user(self, token):
        return TokenUser(token)

    # -- helpers ----------------------------------------------------------------------------

    def single_parameter(self, values):
        if not values:
            return None
        if len(values) > 1:
            raise exceptions.InvalidRequest("Parameter 'access_token' is repeated")
        return self.check_token_syntax(values[0])

    def check_token_syntax(self, token, scheme="Bearer"):
        # RFC 9449 section 7.1: the DPoP token68 has the syntax of RFC 6750's b64token.
        if not token:
            raise exceptions.InvalidRequest(f"{scheme} token is missing", scheme=scheme)
        if is_b64token(token):
            return token
        if WHITESPACE.search(token):
            raise exceptions.InvalidRequest(f"{scheme} token must not contain spaces",
                                            scheme=scheme)
        raise exceptions.InvalidRequest(f"{scheme} token contains characters that are not "
                                        "allowed", scheme=scheme)


def scheme_of(raw_token):
    """The scheme a token came with; query and form tokens are Bearer (RFC 6750 section 2)."""
    return getattr(raw_token, "scheme", "Bearer")


def is_b64token(token):
    """RFC 6750 ``b64token``: one or more of its characters, then only "=" padding.

    Byte translation rather than a regular expression: this runs on every protected request
    and is three times faster on an 800-character token.
    """
    try:
        body = token.encode("ascii").rstrip(b"=")
    except UnicodeEncodeError:
        return False
    return bool(body) and not body.translate(None, B64TOKEN_CHARACTERS)
