"""End to end through real gunicorn (production settings): requests Django cannot read get a
JSON 400 ``invalid_request``, never a 500, and the log gets a warning, never a traceback.

``http.client`` sends each request byte for byte: a declared ``Content-Length`` with no body
behind it, a ``Host`` of another site, a thousand and one query parameters.
"""

import json

import pytest

from tests import raw_http
from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER, mint

MANY = "&".join(f"p{i}=1" for i in range(1001))
TOO_MANY = {"error": "invalid_request",
            "message": "Too many parameters in the query string or form body"}
TOO_BIG = {"error": "invalid_request", "message": "Request body is too large"}
BAD_HOST = {"error": "invalid_request", "message": "Host header is not allowed"}


@pytest.fixture(scope="module")
def server(_jwks_server, signing_key, tmp_path_factory):
    _jwks_server.reset()
    _jwks_server.serve_keys(signing_key.jwk())
    log_dir = tmp_path_factory.mktemp("gunicorn-client-errors")
    env = production_environ(log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
                             AUTH0_JWKS_URL=_jwks_server.url, WEB_CONCURRENCY="1")
    gunicorn = GunicornServer(env, log_dir).start(timeout=60)
    yield gunicorn
    gunicorn.stop()


@pytest.fixture(scope="module")
def bearer(signing_key):
    return f"Bearer {mint(signing_key)}"


def send(server, method, target, headers=(), body=b"", host=None):
    """``(status, Content-Type, JSON body)`` of one request sent byte for byte."""
    status, response_headers, content = raw_http.send(server.port, method, target, headers,
                                                       body or None, host)
    return status, response_headers.get("Content-Type"), json.loads(content)


@pytest.mark.parametrize("path", ["/api/public", "/api/private", "/api/feed", "/api/docs",
                                  "/api/schema"])
def test_a_thousand_and_one_query_parameters_are_a_json_400(server, bearer, path):
    assert send(server, "GET", f"{path}?{MANY}", [("Authorization", bearer)]) == (
        400, "application/json", TOO_MANY)


def test_declared_body_over_the_upload_limit_beside_a_token_is_a_json_400(server, bearer):
    headers = [("Authorization", bearer), ("Content-Type", "application/x-www-form-urlencoded"),
               ("Content-Length", str(3_000_000))]
    # Django refuses on the declared length; the body is never sent.
    assert send(server, "POST", "/api/private", headers) == (400, "application/json", TOO_BIG)


def test_a_thousand_and_one_form_fields_beside_a_token_are_a_json_400(server, bearer):
    headers = [("Authorization", bearer), ("Content-Type", "application/x-www-form-urlencoded")]
    assert send(server, "POST", "/api/private", headers, MANY.encode()) == (
        400, "application/json", TOO_MANY)


@pytest.mark.parametrize("path", ["/api/public", "/api/private", "/healthz", "/auth/token"])
def test_host_outside_allowed_hosts_is_a_json_400(server, path):
    assert send(server, "GET", path, host="evil.example") == (400, "application/json", BAD_HOST)


@pytest.mark.parametrize("second", ["Bearer", "DPoP"])
def test_two_authorization_headers_are_a_json_400_that_says_so(server, bearer, second):
    """gunicorn joins a repeated header with a comma; the answer names the repetition."""
    token = bearer.split(" ", 1)[1]
    headers = [("Authorization", bearer), ("Authorization", f"{second} {token}")]
    assert send(server, "GET", "/api/private", headers) == (400, "application/json", {
        "error": "invalid_request", "message": "Authorization header is sent more than once"})


def test_token_page_while_off_is_a_404_for_a_post_too(server):
    status, _, body = send(server, "POST", "/auth/token", [
        ("Content-Type", "application/x-www-form-urlencoded")], b"token=x")
    assert (status, body) == (404, {"error": "not_found", "message": "Not found"})


def test_refusals_are_logged_as_warnings_without_traceback(server, bearer):
    send(server, "GET", f"/api/public?{MANY}")
    log = server.app_log()
    assert '"django.security.TooManyFieldsSent"' in log or "TooManyFieldsSent" in log
    assert "Traceback" not in log and " ERROR " not in log and '"ERROR"' not in log
