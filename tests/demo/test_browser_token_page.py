"""The paste-a-token flow in a real headless chromium against a real runserver."""
import base64
import json
import shutil
import time

import pytest

from auth0_jwt._dev.local_issuer import LOCAL_AUDIENCE, LocalIssuer
from tests.browser import start_chromium
from tests.live_server import RunServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    key_file = tmp_path_factory.mktemp("browser-key") / "issuer-key.pem"
    LocalIssuer(key_file).private_key()
    running = RunServer(DJANGO_DEBUG="true", AUTH0_LOCAL_ISSUER_KEY_FILE=str(key_file)).start()
    running.issuer = LocalIssuer(key_file)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium():
    browser, profile = start_chromium()
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium, server):
    chromium.delete_all_cookies()
    return Page(chromium, server)


def detached(element):
    """True once ``element`` left the page. Selenium's ``staleness_of`` expects a stale
    element error; chromium can answer a page mid-navigation with another error ("Node with
    given id does not belong to the document"), which means the same."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException included
        return True
    return False


class Page:
    def __init__(self, browser, server):
        self.browser, self.server = browser, server

    def open(self, path):
        self.browser.get(self.server.url + path)

    def find(self, selector):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.browser, 10).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def text(self, selector):
        return self.find(selector).text

    def click(self, selector):
        """Click and wait until the next page has replaced this one."""
        from selenium.webdriver.support.ui import WebDriverWait

        element = self.find(selector)
        element.click()
        WebDriverWait(self.browser, 10).until(lambda _: detached(element))

    def paste(self, token):
        # Like a clipboard paste: the value at once (send_keys would type ~900 keystrokes).
        field = self.find("#token-input")
        self.browser.execute_script("arguments[0].value = arguments[1];", field, token)
        self.click("#use-token-submit")

    def mint(self, **options):
        options.setdefault("audience", LOCAL_AUDIENCE)
        return self.server.issuer.mint(**options)

    def fetch(self, method, path, headers=None):
        """Run fetch() in the page, with its cookies, as a script on the site would."""
        script = ("const done = arguments[arguments.length - 1];"
                  "fetch(arguments[0], {method: arguments[1], headers: arguments[2],"
                  " credentials: 'same-origin'})"
                  ".then(r => r.text().then(t => done([r.status, t])))"
                  ".catch(e => done([0, String(e)]));")
        status, body = self.browser.execute_async_script(script, path, method, headers or {})
        return status, json.loads(body) if body else None

    def cookie(self, name):
        cookie = self.browser.get_cookie(name)
        return cookie["value"] if cookie else None


def test_paste_a_token_see_private_as_its_sub_then_forget_it(page):
    page.open("/api/private")
    assert "HTTP 401 Unauthorized" in page.text(".response-info")
    page.click("#use-token")
    page.paste(page.mint(sub="local|browser-user", scope="read:messages"))
    # Back on /api/private (the "next" of the navbar link), now as the token's principal.
    response = page.text(".response-info")
    assert "HTTP 200 OK" in response
    assert '"user": "local|browser-user"' in response
    assert page.text("#token-sub") == "local|browser-user"
    assert page.text("#token-scopes") == "read:messages"
    page.click("#forget-token")
    response = page.text(".response-info")
    assert "HTTP 401 Unauthorized" in response
    assert '"message": "Authentication required"' in response
    assert 'WWW-Authenticate: Bearer realm="api"' in response
    assert page.find("#use-token").text == "Use a token"


def test_paste_an_expired_token_see_the_error(page):
    page.open("/auth/token")
    page.paste(page.mint(sub="local|late", expires_in=-60))
    assert page.text("#token-error-message") == "Token expired"
    assert "The token's lifetime is over" in page.text("#token-error")
    page.open("/api/private")
    assert "HTTP 401 Unauthorized" in page.text(".response-info")


def test_post_without_the_csrf_token_is_refused(page):
    page.open("/auth/token")
    page.paste(page.mint(sub="local|csrf"))
    assert page.text("#held-sub") == "local|csrf"
    status, body = page.fetch("POST", "/api/private")
    assert (status, body) == (403, {"error": "forbidden",
                                    "message": "CSRF Failed: CSRF token missing."})
    status, body = page.fetch("POST", "/api/private", {"X-CSRFToken": page.cookie("csrftoken")})
    assert status == 405 and body["error"] == "method_not_allowed"  # CSRF passed
    status, body = page.fetch("GET", "/api/private")
    assert status == 200 and body["user"] == "local|csrf"


def test_session_token_expires_with_the_token(page):
    page.open("/auth/token")
    token = page.mint(sub="local|brief", expires_in=3)
    page.paste(token)
    assert page.fetch("GET", "/api/private")[0] == 200
    segment = token.split(".")[1]
    expires = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))["exp"]
    time.sleep(max(0, expires - time.time()) + 0.1)  # another process: no clock to move
    status, body = page.fetch("GET", "/api/private")
    # The first request after the expiry says why; the token is dropped from the session.
    assert (status, body) == (401, {"error": "invalid_token", "message": "Token expired"})
    status, body = page.fetch("GET", "/api/private")
    assert (status, body["error"]) == (401, "unauthorized")


def test_swagger_ui_authorize_with_a_pasted_token_calls_a_protected_route(page):
    page.open("/api/docs")
    page.find("button.authorize").click()
    page.find(".auth-container input").send_keys(page.mint(sub="local|swagger"))
    page.find(".auth-btn-wrapper button.authorize").click()
    page.find(".auth-btn-wrapper button.btn-done").click()
    page.find("#operations-private-private_retrieve .opblock-summary").click()
    page.find("#operations-private-private_retrieve .try-out__btn").click()
    page.find("#operations-private-private_retrieve .execute").click()
    status = page.find("#operations-private-private_retrieve .live-responses-table "
                       ".response .response-col_status")
    assert status.text.strip() == "200"
    body = page.text("#operations-private-private_retrieve .live-responses-table "
                     ".response .response-col_description")
    assert '"user": "local|swagger"' in body


def test_swagger_ui_authorize_dialog_says_where_a_token_comes_from(page):
    page.open("/api/docs")
    page.find("button.authorize").click()
    dialog = page.text(".auth-container")
    assert "python manage.py mint_token" in dialog
    assert "Paste the token alone, without Bearer" in dialog
