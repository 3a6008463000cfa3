"""DRF glue: read the bearer token (RFC 6750 section 2), verify it, return the principal."""
import logging
import re

from rest_framework.authentication import BaseAuthentication

from . import audit, errors, exceptions
from .runtime import get_verifier
from .settings import auth0_settings
from .users import TokenUser

logger = logging.getLogger("auth0_jwt.authentication")

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
WHITESPACE = re.compile(r"\s")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class Auth0JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <access token>`` against the Auth0 tenant.

    - no token, or another scheme (``Basic ...``): returns ``None`` (anonymous; a protected
      route then answers 401 ``unauthorized``);
    - malformed header, or a token sent by more than one method: 400 ``invalid_request``;
    - a token that fails any check: 401 ``invalid_token``;
    - no signing key can be fetched: 503 ``temporarily_unavailable``;
    - otherwise ``(TokenUser, VerifiedToken)``: ``request.user.sub``, ``request.auth.payload``.
    """

    def authenticate(self, request):
        raw_token = self.get_raw_token(request)
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        return self.get_user(token), token

    def authenticate_header(self, request):
        """The 401 challenge; returning a value is what makes DRF answer 401, not 403."""
        return f'Bearer realm="{auth0_settings.REALM}"'

    # -- the pipeline -----------------------------------------------------------------------

    def get_raw_token(self, request):
        """The one token sent by the enabled methods, or None; several tokens are a 400."""
        found = [token for token in (self.get_header_token(request),
                                     self.get_query_token(request),
                                     self.get_form_token(request)) if token is not None]
        if len(found) > 1:
            raise exceptions.InvalidRequest("Token sent by more than one method")
        return found[0] if found else None

    def get_header_token(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        parts = header.split(None, 1)
        if not parts:
            raise exceptions.InvalidRequest("Authorization header is empty")
        if parts[0].lower() != "bearer":
            return None  # not our scheme: another authenticator may take it
        # RFC 7235: 1*SP after the scheme, so extra spaces before the token are tolerated.
        return self.check_token_syntax(parts[1].strip() if len(parts) > 1 else "")

    def get_query_token(self, request):
        if not auth0_settings.ALLOW_QUERY_TOKEN:
            return None
        return self.single_parameter(request._request.GET.getlist("access_token"))

    def get_form_token(self, request):
        # RFC 6750 section 2.2: only a form-encoded body, never on GET.
        if (not auth0_settings.ALLOW_FORM_TOKEN or request.method in ("GET", "HEAD")
                or not (request.content_type or "").startswith(FORM_CONTENT_TYPE)):
            return None
        return self.single_parameter(request._request.POST.getlist("access_token"))

    def get_validated_token(self, raw_token):
        """The ``VerifiedToken``; a failure is raised with ``log_context`` (reason, kid, sub)
        for the security log (``audit.py``)."""
        try:
            return get_verifier().verify(raw_token)
        except Exception as exc:
            failure = self.as_api_exception(exc)
            failure.log_context = audit.token_context(raw_token, exc)
            raise failure from exc

    def as_api_exception(self, exc):
        if isinstance(exc, errors.TokenError):
            return exceptions.InvalidToken(exc.message)
        if isinstance(exc, errors.SigningKeysUnavailable):
            return exceptions.SigningKeysUnavailable(
                exc.message, retry_after=auth0_settings.JWKS_RETRY_AFTER)
        # Fail closed: a verifier bug on crafted input is a rejected token, never a 200.
        logger.error("Token verification raised %s", type(exc).__name__, exc_info=exc)
        return exceptions.InvalidToken("Token could not be verified")

    def get_user(self, token):
        return TokenUser(token)

    # -- helpers ----------------------------------------------------------------------------

    def single_parameter(self, values):
        if not values:
            return None
        if len(values) > 1:
            raise exceptions.InvalidRequest("Parameter 'access_token' is repeated")
        return self.check_token_syntax(values[0])

    def check_token_syntax(self, token):
        if not token:
            raise exceptions.InvalidRequest("Bearer token is missing")
        if B64TOKEN.fullmatch(token):
            return token
        if WHITESPACE.search(token):
            raise exceptions.InvalidRequest("Bearer token must not contain spaces")
        raise exceptions.InvalidRequest("Bearer token contains characters that are not allowed")
