"""The "Use a token" page: paste an access token, see it verified, keep it in the session.

Wire it in the root URLconf with ``path("auth/", include("auth0_jwt.urls"))``. The page
answers 404 unless ``AUTH0_JWT['SESSION_TOKEN']`` is on; its forms are CSRF-protected by
Django's ``CsrfViewMiddleware`` (pasting a token is a login, RFC 6749 section 10.12 spirit).
"""
from datetime import datetime, timezone

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_http_methods

from auth0_jwt._core import errors
from auth0_jwt._drf import session
from auth0_jwt._settings import auth0_settings
from auth0_jwt._drf.views import page_not_found

# Browsers cap a cookie near 4096 bytes; the signed session cookie adds its own overhead.
MAX_SESSION_TOKEN_LENGTH = 3500

# Plain words after the verifier's exact message (which names the failed check).
EXPLANATIONS = (
    (errors.TokenExpired, "The token's lifetime is over: get a new token."),
    (errors.InvalidAudience, "The token was issued for another API. This API accepts the "
                             "audience {audiences}."),
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
    (errors.TokenError, "The token cannot be used with this API."),
)


def explain(exc):
    """``(message, explanation)`` for a verification failure; both safe to show."""
    if isinstance(exc, errors.SigningKeysUnavailable):
        return exc.message, "The issuer's signing keys could not be fetched; try again later."
    for error_type, text in EXPLANATIONS:
        if isinstance(exc, error_type):
            return exc.message, text.format(issuer=auth0_settings.issuer,
                                            audiences=", ".join(auth0_settings.audiences))
    return "Token could not be verified", ""


def clean_pasted(text):
    """The token from what was pasted: surrounding space and a ``Bearer`` prefix removed."""
    text = (text or "").strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text


@never_cache
@xframe_options_deny  # a framed paste box invites clickjacking
@require_http_methods(["GET", "POST"])
def token_page(request):
    """GET: the form and the held token; POST: verify the pasted token and keep it."""
    if not auth0_settings.SESSION_TOKEN:
        return page_not_found(request)
    next_url = safe_next(request)
    problem = None
    if request.method == "POST":
        raw_token = clean_pasted(request.POST.get("token"))
        token, problem = check_pasted(raw_token)
        if token is not None:
            session.keep_token(request, token)
            return HttpResponseRedirect(next_url or reverse("auth0_jwt:token"), status=303)
    return render(request, "auth0_jwt/token_page.html",
                  page_context(request, problem, next_url), status=400 if problem else 200)


def check_pasted(raw_token):
    """``(VerifiedToken, None)`` or ``(None, (message, explanation))``."""
    if not raw_token:
        return None, ("No token pasted", "Paste an access token (it starts with 'eyJ').")
    if len(raw_token) > MAX_SESSION_TOKEN_LENGTH:
        return None, ("Token too large for a browser session",
                      f"Tokens over {MAX_SESSION_TOKEN_LENGTH} characters do not fit in a "
                      "cookie; send it in an Authorization header instead.")
    try:
        return session.verify_pasted_token(raw_token), None
    except (errors.TokenError, errors.SigningKeysUnavailable) as exc:
        return None, explain(exc)
    except Exception:  # fail closed, never a 500 on crafted input
        return None, ("Token could not be verified", "")


@require_http_methods(["POST"])
def forget_token(request):
    """Drop the held token (POST only, CSRF-protected), then go back."""
    if not auth0_settings.SESSION_TOKEN:
        return page_not_found(request)
    session.forget_token(request)
    return HttpResponseRedirect(safe_next(request) or reverse("auth0_jwt:token"), status=303)


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

