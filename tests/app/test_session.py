"""The token page and the session-held token: verified on paste, re-verified on each request,
CSRF-checked like DRF's SessionAuthentication, and invisible to bearer and cookie-less calls."""
import time

import pytest
from django.test import Client
from rest_framework.renderers import JSONRenderer

from auth0_jwt._dev.local_issuer import LOCAL_AUDIENCE
from auth0_jwt._drf.renderers import BrowsableAPIRenderer
from auth0_jwt._ops import runtime
from tests.app.urls import PrivateView
from tests.expected import and_dpop
from tests.keys import mint

JSON = {"HTTP_ACCEPT": "application/json"}
UNAUTHORIZED = {"error": "unauthorized", "message": "Authentication required"}


@pytest.fixture
def browser(local_settings):
    """A test client that enforces CSRF, as a browser session would meet it."""
    client = Client(enforce_csrf_checks=True)
    client.get("/auth/token")  # sets the CSRF cookie
    return client


def csrf(client):
    return client.cookies["csrftoken"].value


def paste(client, token, **data):
    return client.post("/auth/token", {"token": token, "csrfmiddlewaretoken": csrf(client),
                                       **data})


def test_pasted_token_drives_the_api_as_its_sub(browser, local_token):
    response = paste(browser, local_token(sub="local|alice"))
    assert response.status_code == 303 and response["Location"] == "/auth/token"
    response = browser.get("/private", **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "local|alice"
    assert browser.get("/private-scoped", **JSON).status_code == 200


def test_token_page_shows_the_held_token(browser, local_token):
    paste(browser, local_token(sub="local|alice", scope="read:messages admin:access"))
    page = browser.get("/auth/token").content.decode()
    assert '<strong id="held-sub">local|alice</strong>' in page
    assert '<code id="held-scopes">admin:access read:messages</code>' in page


def test_bearer_prefix_and_spaces_around_a_pasted_token_are_ignored(browser, local_token):
    assert paste(browser, f"  Bearer {local_token()}\n").status_code == 303


@pytest.mark.parametrize("make, message, explanation", [
    (lambda t: t(expires_in=-60), "Token expired", "The token's lifetime is over"),
    (lambda t: t(aud="https://other.example"), "Unexpected 'aud' value",
     "This API accepts the audience https://local-api.invalid."),
    (lambda t: t(iss="https://other.example/"), "Unexpected 'iss' value",
     "This API trusts https://local-issuer.invalid/."),
    (lambda t: "not-a-jwt", "Malformed token: expected three dot-separated segments",
     "That is not a JWT access token"),
    (lambda t: "", "No token pasted", "Paste an access token"),
])
def test_a_failing_token_is_explained_on_the_page(browser, local_token, make, message,
                                                  explanation):
    response = paste(browser, make(local_token))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<strong id="token-error-message">{message}</strong>'.replace("'", "&#x27;") in page
    assert explanation.replace("'", "&#x27;") in page
    assert browser.get("/private", **JSON).json() == UNAUTHORIZED


def test_pasting_without_the_csrf_token_is_refused(browser, local_token):
    response = browser.post("/auth/token", {"token": local_token()})
    assert response.status_code == 403
    assert browser.get("/private", **JSON).status_code == 401


def test_unsafe_method_with_the_session_token_needs_csrf(browser, local_token):
    paste(browser, local_token())
    response = browser.post("/private", {}, content_type="application/json", **JSON)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "message": "CSRF Failed: CSRF token missing."}
    response = browser.post("/private", {}, content_type="application/json",
                            HTTP_X_CSRFTOKEN=csrf(browser), **JSON)
    assert response.status_code == 405  # past authentication and CSRF: GET-only route


def test_authorization_header_wins_over_the_session(browser, local_token):
    paste(browser, local_token(sub="local|alice"))
    response = browser.get("/private", HTTP_AUTHORIZATION=f"Bearer {local_token(sub='bob')}",
                           **JSON)
    assert response.json()["user"] == "bob"
    response = browser.get("/private", HTTP_AUTHORIZATION="Bearer not-a-jwt", **JSON)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_another_scheme_with_a_session_is_still_401_unauthorized(browser, local_token):
    paste(browser, local_token())
    response = browser.get("/private", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz", **JSON)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == and_dpop('Bearer realm="api"')


def test_request_without_session_cookie_is_answered_as_before(local_settings, client):
    response = client.get("/private", **JSON)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == and_dpop('Bearer realm="api"')
    assert not response.has_header("Vary") or "Cookie" not in response["Vary"]
    assert "sessionid" not in response.cookies


def test_held_token_that_expired_is_answered_token_expired_then_dropped(browser, local_token):
    paste(browser, local_token(expires_in=60))
    assert browser.get("/private", **JSON).status_code == 200
    runtime.get_verifier().clock = lambda: time.time() + 120  # the injectable clock
    response = browser.get("/private", **JSON)
    # As a header token would be answered: the client learns why, not a bare 401.
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Token expired"}
    assert response["WWW-Authenticate"] == (
        and_dpop('Bearer realm="api", error="invalid_token", error_description="Token expired"'))
    response = browser.get("/private", **JSON)  # dropped: the session holds nothing now
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    page = browser.get("/auth/token").content.decode()
    assert "Your previous token was dropped: Token expired." in page


def test_session_outlives_its_token_by_a_day_to_say_it_expired(browser, local_token):
    paste(browser, local_token(expires_in=600))
    max_age = int(browser.cookies["sessionid"]["max-age"])
    assert 86390 + 600 <= max_age <= 86400 + 600


def test_held_token_stops_working_when_its_key_is_gone(browser, local_token, local_settings,
                                                       tmp_path):
    paste(browser, local_token())
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT,
                                "LOCAL_ISSUER_KEY_FILE": str(tmp_path / "new-key.pem")}
    response = browser.get("/private", **JSON)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token signing key is not known"}


def test_forget_token_drops_it(browser, local_token):
    paste(browser, local_token())
    response = browser.post("/auth/token/forget", {"csrfmiddlewaretoken": csrf(browser),
                                                   "next": "/private"})
    assert response.status_code == 303 and response["Location"] == "/private"
    assert browser.get("/private", **JSON).json() == UNAUTHORIZED


def test_forget_needs_post_and_csrf(browser, local_token):
    paste(browser, local_token())
    assert browser.get("/auth/token/forget").status_code == 405
    assert browser.post("/auth/token/forget").status_code == 403
    assert browser.get("/private", **JSON).status_code == 200


def test_next_to_another_site_is_ignored(browser, local_token):
    response = paste(browser, local_token(), next="https://evil.example/")
    assert response["Location"] == "/auth/token"
    response = paste(browser, local_token(), next="/private")
    assert response["Location"] == "/private"


def test_off_means_no_page_and_no_session_credential(browser, local_token, local_settings):
    paste(browser, local_token())
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "SESSION_TOKEN": False}
    assert browser.get("/private", **JSON).json() == UNAUTHORIZED
    response = browser.get("/auth/token")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_browsable_api_navbar_links_to_the_token_page_then_shows_the_principal(
        browser, local_token, monkeypatch):
    # Views bind their renderers at import (DEBUG is off in the test settings).
    monkeypatch.setattr(PrivateView, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    page = browser.get("/private", HTTP_ACCEPT="text/html").content.decode()
    assert '<a id="use-token" href="/auth/token?next=/private">Use a token</a>' in page
    paste(browser, local_token(sub="local|alice", scope="read:messages"))
    page = browser.get("/private", HTTP_ACCEPT="text/html").content.decode()
    assert '<span id="token-sub">local|alice</span>' in page
    assert '<span id="token-scopes">read:messages</span>' in page
    assert 'id="forget-token"' in page


def test_token_signed_by_another_key_is_not_kept(browser, signing_key, local_issuer):
    header = {"alg": "RS256", "typ": "at+jwt", "kid": local_issuer.kid}
    token = mint(signing_key, header=header, iss="https://local-issuer.invalid/",
                 aud=LOCAL_AUDIENCE)
    response = paste(browser, token)
    assert response.status_code == 400
    assert "Invalid token signature" in response.content.decode()


def test_session_token_without_the_middleware_is_a_configuration_error(local_settings):
    from django.core.checks import run_checks

    local_settings.MIDDLEWARE = [m for m in local_settings.MIDDLEWARE
                                 if "csrf" not in m.lower()]
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E019"]
    assert message.msg == ("AUTH0_JWT['SESSION_TOKEN'] needs "
                           "django.middleware.csrf.CsrfViewMiddleware in MIDDLEWARE.")


def test_token_page_says_why_the_held_token_was_dropped(browser, local_token):
    paste(browser, local_token(expires_in=60))
    runtime.get_verifier().clock = lambda: time.time() + 120
    page = browser.get("/auth/token").content.decode()
    assert "Your previous token was dropped: Token expired." in page
    assert 'id="token-held"' not in page


# -- the same rules as a header token; server-side storage ---------------------------------------

SENDER_CONSTRAINED = "This token is sender-constrained and cannot be kept in a session"


@pytest.mark.parametrize("mode", ["off", "allowed"])
@pytest.mark.parametrize("cnf", [{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
                                 {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
                                 {"jkt": 42}, {}])
def test_sender_constrained_token_is_never_kept(browser, local_token, local_settings, mode,
                                                cnf):
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "DPOP_MODE": mode}
    response = paste(browser, local_token(cnf=cnf))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<strong id="token-error-message">{SENDER_CONSTRAINED}</strong>' in page
    assert "only works together with proof of that key" in page
    assert browser.get("/private", **JSON).json() == UNAUTHORIZED


def test_no_token_is_kept_when_dpop_is_required(browser, local_token, local_settings):
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "DPOP_MODE": "required"}
    response = paste(browser, local_token())
    assert response.status_code == 400
    assert "a browser session cannot send proofs" in response.content.decode()


def test_forget_ends_the_session_for_every_copy_of_its_cookie(browser, local_token):
    paste(browser, local_token(sub="local|alice"))
    stolen = Client()
    stolen.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert stolen.get("/private", **JSON).json()["user"] == "local|alice"
    browser.post("/auth/token/forget", {"csrfmiddlewaretoken": csrf(browser)})
    assert stolen.get("/private", **JSON).json() == UNAUTHORIZED


def test_the_cookie_holds_a_session_key_never_the_token(browser, local_token):
    token = local_token()
    paste(browser, token)
    cookie = browser.cookies["sessionid"].value
    assert token.split(".")[1] not in cookie and len(cookie) < 64


@pytest.mark.parametrize("method", ["post", "get", "put"])
@pytest.mark.parametrize("path", ["/auth/token", "/auth/token/forget"])
def test_token_page_is_404_for_every_method_while_off(local_settings, path, method):
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "SESSION_TOKEN": False}
    client = Client(enforce_csrf_checks=True)  # no CSRF cookie: a 403 would tell it exists
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Not found"}


def test_wrong_method_on_the_token_page_is_a_json_405(browser):
    response = browser.put("/auth/token")
    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed",
                               "message": 'Method "PUT" not allowed.'}
    assert response["Allow"] == "GET, POST"


def test_signed_cookie_sessions_are_a_configuration_error(local_settings):
    from django.core.checks import run_checks

    local_settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E040"]
    assert "signed_cookies" in message.msg and "'Forget token' cannot revoke it" in message.msg
    assert "django.contrib.sessions.backends.file" in message.hint


def test_per_process_cache_sessions_are_a_warning(local_settings):
    from django.core.checks import run_checks

    local_settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.W040"]
    assert "other processes do not see" in message.msg
