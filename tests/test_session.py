"""The token page and the session-held token: verified on paste, re-verified on each request,
CSRF-checked like DRF's SessionAuthentication, and invisible to bearer and cookie-less calls."""
import time

import pytest
from django.test import Client
from rest_framework.renderers import JSONRenderer

from api.views import PrivateView
from auth0_jwt._ops import runtime
from auth0_jwt._dev.local_issuer import LOCAL_AUDIENCE
from auth0_jwt._drf.renderers import BrowsableAPIRenderer
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
    response = browser.get("/api/private", **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "local|alice"
    assert browser.get("/api/private-scoped", **JSON).status_code == 200


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
    assert browser.get("/api/private", **JSON).json() == UNAUTHORIZED


def test_pasting_without_the_csrf_token_is_refused(browser, local_token):
    response = browser.post("/auth/token", {"token": local_token()})
    assert response.status_code == 403
    assert browser.get("/api/private", **JSON).status_code == 401


def test_unsafe_method_with_the_session_token_needs_csrf(browser, local_token):
    paste(browser, local_token())
    response = browser.post("/api/private", {}, content_type="application/json", **JSON)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "message": "CSRF Failed: CSRF token missing."}
    response = browser.post("/api/private", {}, content_type="application/json",
                            HTTP_X_CSRFTOKEN=csrf(browser), **JSON)
    assert response.status_code == 405  # past authentication and CSRF: GET-only route


def test_authorization_header_wins_over_the_session(browser, local_token):
    paste(browser, local_token(sub="local|alice"))
    response = browser.get("/api/private", HTTP_AUTHORIZATION=f"Bearer {local_token(sub='bob')}",
                           **JSON)
    assert response.json()["user"] == "bob"
    response = browser.get("/api/private", HTTP_AUTHORIZATION="Bearer not-a-jwt", **JSON)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_another_scheme_with_a_session_is_still_401_unauthorized(browser, local_token):
    paste(browser, local_token())
    response = browser.get("/api/private", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz", **JSON)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_request_without_session_cookie_is_answered_as_before(local_settings, client):
    response = client.get("/api/private", **JSON)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not response.has_header("Vary") or "Cookie" not in response["Vary"]
    assert "sessionid" not in response.cookies


def test_held_token_expires_with_the_token(browser, local_token):
    paste(browser, local_token(expires_in=60))
    assert browser.get("/api/private", **JSON).status_code == 200
    runtime.get_verifier().clock = lambda: time.time() + 120  # the injectable clock
    response = browser.get("/api/private", **JSON)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    page = browser.get("/auth/token").content.decode()
    assert "Your previous token was dropped: Token expired." in page


def test_session_cookie_expires_with_the_token(browser, local_token):
    paste(browser, local_token(expires_in=600))
    max_age = int(browser.cookies["sessionid"]["max-age"])
    assert 590 <= max_age <= 600


def test_held_token_stops_working_when_its_key_is_gone(browser, local_token, local_settings,
                                                       tmp_path):
    paste(browser, local_token())
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT,
                                "LOCAL_ISSUER_KEY_FILE": str(tmp_path / "new-key.pem")}
    assert browser.get("/api/private", **JSON).json() == UNAUTHORIZED


def test_forget_token_drops_it(browser, local_token):
    paste(browser, local_token())
    response = browser.post("/auth/token/forget", {"csrfmiddlewaretoken": csrf(browser),
                                                   "next": "/api/private"})
    assert response.status_code == 303 and response["Location"] == "/api/private"
    assert browser.get("/api/private", **JSON).json() == UNAUTHORIZED


def test_forget_needs_post_and_csrf(browser, local_token):
    paste(browser, local_token())
    assert browser.get("/auth/token/forget").status_code == 405
    assert browser.post("/auth/token/forget").status_code == 403
    assert browser.get("/api/private", **JSON).status_code == 200


def test_next_to_another_site_is_ignored(browser, local_token):
    response = paste(browser, local_token(), next="https://evil.example/")
    assert response["Location"] == "/auth/token"
    response = paste(browser, local_token(), next="/api/private")
    assert response["Location"] == "/api/private"


def test_off_means_no_page_and_no_session_credential(browser, local_token, local_settings):
    paste(browser, local_token())
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "SESSION_TOKEN": False}
    assert browser.get("/api/private", **JSON).json() == UNAUTHORIZED
    response = browser.get("/auth/token")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_browsable_api_navbar_links_to_the_token_page_then_shows_the_principal(
        browser, local_token, monkeypatch):
    # Views bind their renderers at import (DEBUG is off in the test settings).
    monkeypatch.setattr(PrivateView, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    page = browser.get("/api/private", HTTP_ACCEPT="text/html").content.decode()
    assert '<a id="use-token" href="/auth/token?next=/api/private">Use a token</a>' in page
    paste(browser, local_token(sub="local|alice", scope="read:messages"))
    page = browser.get("/api/private", HTTP_ACCEPT="text/html").content.decode()
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
