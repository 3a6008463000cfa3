"""A pasted access token kept in the session, so the browsable API can act as its principal.

Browsers cannot add an ``Authorization`` header to a page load; the token page
(``token_page.py``) checks a pasted token and keeps it in the session, and
``SessionTokenAuthentication`` uses it. It is an ambient credential, like a login cookie, so:

- it goes through the same credential pipeline as a header token (``pipeline.py``), on every
  request: the same verification, DPoP mode and sender-constraint rules, the same answer and
  log line. A sender-constrained token is never held (it only works with its key's proofs);
- it lives server side, in the session store (Django's file or cache engine, shared by every
  worker of a host), never in the cookie, which holds only the session key: "Forget token"
  ends the session everywhere at once, and so does the token's expiry;
- unsafe methods need the CSRF token, exactly as DRF's ``SessionAuthentication``;
- it is only looked at when the request has no ``Authorization`` header and carries a
  session cookie, so bearer requests and cookie-less requests are answered as before;
- it is off unless ``AUTH0_JWT['SESSION_TOKEN']`` is on.
"""
from datetime import datetime, timedelta, timezone

from django.middleware.csrf import rotate_token
from rest_framework.authentication import SessionAuthentication

from auth0_jwt._core import errors
from auth0_jwt._drf.challenges import challenge
from auth0_jwt._drf.credentials import SESSION, SESSION_KEY, Credential, PresentedToken
from auth0_jwt._drf.credentials import session_credential
from auth0_jwt._drf.exceptions import api_error
from auth0_jwt._drf.pipeline import pipeline

DROPPED_KEY = "auth0_jwt.dropped"  # why the held token was dropped, shown once on the page
# The session outlives its token by this much, so that the first request after the token's
# expiry is told "Token expired" rather than a bare "Authentication required".
EXPIRY_NOTICE = timedelta(days=1)


class SessionTokenAuthentication(SessionAuthentication):
    """Authenticate with the token held in the session; list it after Auth0JWTAuthentication.

    - feature off, an ``Authorization`` header, no session cookie or no held token: ``None``;
    - the held token is refused (expired, key gone, DPoP required...): it is dropped from the
      session and the request gets the answer a header token would get (e.g. 401
      ``invalid_token`` "Token expired"), with the same security log line;
    - signing keys unavailable: 503, and the token is kept (it may be fine);
    - unsafe method without a valid CSRF token: 403 ``forbidden`` ("CSRF Failed: ...");
    - otherwise ``(user, VerifiedToken)``, as ``Auth0JWTAuthentication`` returns.
    """

    pipeline = pipeline
    auth0_jwt_settings = None  # as Auth0JWTAuthentication's: this class's own settings

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        credential = session_credential(django_request)
        if credential is None:
            return None
        try:
            user, token = self.pipeline.authenticate(credential, request,
                                                     self.auth0_jwt_settings)
        except errors.AuthFailure as failure:
            drop_refused(django_request, failure)
            raise api_error(failure, credential.scheme) from failure
        self.enforce_csrf(request)
        return user, token

    def authenticate_header(self, request):
        """The 401 challenge, as ``Auth0JWTAuthentication``'s: DRF asks the first class of a
        view for it, and without one turns every 401 (``invalid_token`` included) into a 403;
        a view protected by this class alone, or listing it first, keeps the error table's
        401."""
        return challenge()


def check_token(django_request, raw_token):
    """``(user, VerifiedToken)`` for a token as the session would hold it; raises
    ``AuthFailure`` exactly as a request using it would be refused."""
    return pipeline.authenticate(Credential(PresentedToken(raw_token), SESSION), django_request)


def keep_token(django_request, token):
    """Hold a checked token in the session; the session ends a day after the token expires."""
    session = django_request.session
    session.cycle_key()  # a new credential: a new session, as django.contrib.auth.login does
    rotate_token(django_request)  # and a new CSRF token (login CSRF)
    session[SESSION_KEY] = str(token.token)
    session.pop(DROPPED_KEY, None)
    session.set_expiry(datetime.fromtimestamp(token.payload["exp"], timezone.utc)
                       + EXPIRY_NOTICE)


def held_token(django_request):
    """The held token, checked now, or None (a token that is refused is dropped)."""
    raw_token = django_request.session.get(SESSION_KEY)
    if not isinstance(raw_token, str):
        return None
    try:
        return check_token(django_request, raw_token)[1]
    except errors.AuthFailure as failure:
        drop_refused(django_request, failure)
        return None


def drop_refused(django_request, failure):
    """Drop a held token the pipeline refused, unless the refusal says nothing about it."""
    if failure.code != "temporarily_unavailable":
        forget_token(django_request, reason=failure.message)


def forget_token(django_request, reason=None):
    """Drop the held token; ``reason`` is kept to be shown once on the token page."""
    session = django_request.session
    session.pop(SESSION_KEY, None)
    if reason:
        session[DROPPED_KEY] = reason
    session.set_expiry(None)


def end_session(django_request):
    """"Forget token": the server-side session is deleted, so its cookie (and any copy of it)
    holds nothing on any worker from now on; a new CSRF token too, as Django's logout does."""
    django_request.session.flush()
    rotate_token(django_request)


def pop_drop_reason(django_request):
    return django_request.session.pop(DROPPED_KEY, None)
