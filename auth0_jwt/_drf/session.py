"""A pasted access token kept in the session, so the browsable API can act as its principal.

Browsers cannot add an ``Authorization`` header to a page load; the token page
(``token_page.py``) verifies a pasted token and keeps it in the session, and
``SessionTokenAuthentication`` uses it. It is an ambient credential, like a login cookie, so:

- it is re-verified on every request by the same verifier (expiry and key removal apply);
- unsafe methods need the CSRF token, exactly as DRF's ``SessionAuthentication``;
- it is only looked at when the request has no ``Authorization`` header and carries a
  session cookie, so bearer requests and cookie-less requests are answered as before;
- it is off unless ``AUTH0_JWT['SESSION_TOKEN']`` is on.
"""
import logging
from datetime import datetime, timezone

from django.conf import settings
from django.middleware.csrf import rotate_token
from rest_framework.authentication import SessionAuthentication

from auth0_jwt._core import errors
from auth0_jwt._drf import exceptions
from auth0_jwt._ops.runtime import get_verifier
from auth0_jwt._settings import auth0_settings
from auth0_jwt._drf.users import TokenUser

logger = logging.getLogger("auth0_jwt.session")

SESSION_KEY = "auth0_jwt.token"
DROPPED_KEY = "auth0_jwt.dropped"  # why the held token was dropped, shown once on the page


class SessionTokenAuthentication(SessionAuthentication):
    """Authenticate with the token held in the session; list it after Auth0JWTAuthentication.

    - feature off, an ``Authorization`` header, no session cookie or no held token: ``None``;
    - the held token no longer verifies (expired, key gone...): it is dropped, ``None``
      (the route then answers as for an anonymous request: 401 ``unauthorized``);
    - signing keys unavailable: 503, as for a bearer token (the token may be fine);
    - unsafe method without a valid CSRF token: 403 ``forbidden`` ("CSRF Failed: ...");
    - otherwise ``(TokenUser, VerifiedToken)``, as ``Auth0JWTAuthentication`` returns.
    """

    def authenticate(self, request):
        raw_token = self.get_session_token(request._request)
        if raw_token is None:
            return None
        token = self.get_validated_token(request._request, raw_token)
        if token is None:
            return None
        self.enforce_csrf(request)
        return TokenUser(token), token

    def get_session_token(self, django_request):
        if not auth0_settings.SESSION_TOKEN or "HTTP_AUTHORIZATION" in django_request.META:
            return None
        # Touch the session only when a cookie exists: no "Vary: Cookie" on other requests.
        if settings.SESSION_COOKIE_NAME not in django_request.COOKIES:
            return None
        session = getattr(django_request, "session", None)
        return session.get(SESSION_KEY) if session is not None else None

    def get_validated_token(self, django_request, raw_token):
        try:
            return get_verifier().verify(raw_token)
        except errors.TokenError as exc:
            forget_token(django_request, reason=exc.message)
        except errors.SigningKeysUnavailable as exc:
            raise exceptions.SigningKeysUnavailable(
                exc.message, retry_after=auth0_settings.JWKS_RETRY_AFTER) from exc
        except Exception as exc:  # fail closed, as Auth0JWTAuthentication does
            logger.error("Session token verification raised %s", type(exc).__name__,
                         exc_info=exc)
            forget_token(django_request, reason="Token could not be verified")
        return None


def verify_pasted_token(raw_token):
    """Verify a token for the session; raises ``TokenError`` / ``SigningKeysUnavailable``."""
    return get_verifier().verify(raw_token)


def keep_token(django_request, token):
    """Hold a verified token in the session until it expires (the cookie dies with it)."""
    session = django_request.session
    session.cycle_key()  # a new credential: a new session, as django.contrib.auth.login does
    rotate_token(django_request)  # and a new CSRF token (login CSRF)
    session[SESSION_KEY] = token.token
    session.pop(DROPPED_KEY, None)
    session.set_expiry(datetime.fromtimestamp(token.payload["exp"], timezone.utc))


def held_token(django_request):
    """The held token, verified now, or None (a token that fails is dropped)."""
    raw_token = django_request.session.get(SESSION_KEY)
    if raw_token is None:
        return None
    try:
        return verify_pasted_token(raw_token)
    except (errors.TokenError, errors.SigningKeysUnavailable) as exc:
        if isinstance(exc, errors.TokenError):
            forget_token(django_request, reason=exc.message)
        return None


def forget_token(django_request, reason=None):
    """Drop the held token; ``reason`` is kept to be shown once on the token page."""
    session = django_request.session
    session.pop(SESSION_KEY, None)
    if reason:
        session[DROPPED_KEY] = reason
    session.set_expiry(None)


def pop_drop_reason(django_request):
    return django_request.session.pop(DROPPED_KEY, None)
