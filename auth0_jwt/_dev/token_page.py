"""The "Use a token" page: paste an access token, see it checked, keep it in the session.

Wire it in the root URLconf with ``path("auth/", include("auth0_jwt.urls"))``. The page
answers 404 unless ``AUTH0_JWT['SESSION_TOKEN']`` is on (for every method: CSRF is checked
only once the page exists); its forms are CSRF-protected (pasting a token is a login, RFC 6749
section 10.12 spirit). A pasted token goes through the same credential pipeline as a request
that would use it, so the page refuses exactly what the API would refuse, and says why.
"""
from datetime import datetime, timezone
from functools import wraps

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from auth0_jwt._core import errors
from auth0_jwt._core.issuers import IssuerNotAllowed
from auth0_jwt._drf import session
from auth0_jwt._drf.views import json_error, page_not_found
from auth0_jwt._settings import auth0_settings

NOT_THIS_ISSUER = "This API does not accept tokens of that issuer here."
# Plain words after the failure's exact message (which names the failed check).
EXPLANATIONS = (
    (errors.TokenExpired, "The token's lifetime is over: get a new token."),
    (errors.InvalidAudience, "The token was issued for another API. This API accepts the "
                             "audience {audiences}."),
    (IssuerNotAllowed, NOT_THIS_ISSUER),
    (errors.InvalidIssuer, "The token was issued by another issuer. This API trusts {issuer}."),
    (errors.TokenTooLarge, "That is far longer than any access token."),
    (errors.MalformedToken, "That is not a JWT access token (three base64url parts separated "
                            "by dots). Auth0 returns an opaque token when the token request "
                            "names no audience: request one for {audiences}."),
    (errors.UnknownSigningKey, "The token was signed by a key this API does not know: "
                               "another tenant, or a key that has been rotated or regenerated."),
    (errors.InvalidSignature, "The signature does not match: the token was altered or "
                              "signed by another key."),
    (errors.DisallowedAlgorithm, "Only RS256-signed access tokens (as Auth0 issues them) are "
                                 "accepted."),
    (errors.TokenNotYetValid, "The token's 'nbf' time is in the future; check the clocks."),
    (errors.TokenIssuedInFuture, "The token's 'iat' time is in the future; check the clocks."),
    (errors.MissingClaim, "Access tokens for this API must carry that claim."),
    (errors.DPoPRequired, "This API accepts DPoP-bound tokens only, each request with a proof "
                          "signed by the client's key; a browser session cannot send proofs, "
                          "so no token can be kept here."),
    (errors.InvalidRequest, "Paste the access token alone (it starts with 'eyJ')."),
    (errors.TokenError, "The token cannot be used with this API."),
    (errors.SigningKeysUnavailable, "The issuer's signing keys could not be fetched; try "
                                    "again later."),
)
SENDER_CONSTRAINED = (
    "This token is sender-constrained and cannot be kept in a session",
    "It is bound to a key ('cnf' claim: DPoP or mutual TLS) and only works together with "
    "proof of that key, which a browser session cannot give. Use it from the client that "
    "holds the key.")


def explain(failure):
    """``(message, explanation)`` for a refusal; both safe to show."""
    if isinstance(failure, (errors.SenderConstrainedToken, errors.InvalidDPoPBinding)):
        return SENDER_CONSTRAINED
    for failure_type, text in EXPLANATIONS:
        if isinstance(failure, failure_type):
            if "{issuer}" in text and auth0_settings.issuer is None:
                # Several issuers (ISSUERS): no single one to name, and which of them a host
                # allows is the resolver's business, not something to list on a page.
                text = NOT_THIS_ISSUER
            return failure.message, text.format(issuer=auth0_settings.issuer,
                                                audiences=", ".join(auth0_settings.audiences))
    return failure.message, ""


def clean_pasted(text):
    """The token from what was pasted: surrounding space and a ``Bearer`` prefix removed."""
    text = (text or "").strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text


def feature_view(*methods):
    """The page exists only while ``SESSION_TOKEN`` is on: 404 otherwise, whatever the method
    (so no CSRF 403 tells it apart); then ``methods`` only (JSON 405), then CSRF."""

    def decorate(view):
        protected = csrf_protect(view)

        @csrf_exempt  # the check runs inside, once the page is known to exist
        @never_cache
        @xframe_options_deny  # a framed paste box invites clickjacking
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not auth0_settings.SESSION_TOKEN:
                return page_not_found(request)
            if request.method not in methods:
                response = json_error(405, "method_not_allowed",
                                      f'Method "{request.method}" not allowed.')
                response["Allow"] = ", ".join(methods)
                return response
            return protected(request, *args, **kwargs)

        return wrapper

    return decorate


@feature_view("GET", "POST")
def token_page(request):
    """GET: the form and the held token; POST: check the pasted token and keep it."""
    next_url = safe_next(request)
    problem = None
    if request.method == "POST":
        token, problem = check_pasted(request, clean_pasted(request.POST.get("token")))
        if token is not None:
            session.keep_token(request, token)
            return HttpResponseRedirect(next_url or reverse("auth0_jwt:token"), status=303)
    return render(request, "auth0_jwt/token_page.html",
                  page_context(request, problem, next_url), status=400 if problem else 200)


def check_pasted(request, raw_token):
    """``(VerifiedToken, None)`` or ``(None, (message, explanation))``."""
    if not raw_token:
        return None, ("No token pasted", "Paste an access token (it starts with 'eyJ').")
    try:
        return session.check_token(request, raw_token)[1], None
    except errors.AuthFailure as failure:
        return None, explain(failure)


@feature_view("POST")
def forget_token(request):
    """End the session holding the token (POST only, CSRF-protected), then go back."""
    next_url = safe_next(request)
    session.end_session(request)
    return HttpResponseRedirect(next_url or reverse("auth0_jwt:token"), status=303)


def safe_next(request):
    """A same-site path from ``next``; anything else (another host, a scheme) is ignored."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


def page_context(request, problem, next_url):
    token = session.held_token(request)  # first: dropping it records why, shown just below
    return {
        "problem": problem,
        "token": token,
        "dropped": session.pop_drop_reason(request),
        "scopes": sorted(token.scopes) if token else [],
        "expires": (datetime.fromtimestamp(token.payload["exp"], timezone.utc)
                    if token else None),
        "next": next_url or "",
        "issuer": auth0_settings.issuer,
        "audiences": auth0_settings.audiences,
        "local_issuer": auth0_settings.uses_local_issuer,
    }
