"""Every row of the error table (docs/errors.md): status, body and WWW-Authenticate."""
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from auth0_jwt._drf.challenges import bearer_challenge, quote
from tests.expected import and_dpop


SPACES = ("Bearer token must not contain spaces: send the token alone, without quotes or "
          "line breaks")


def test_malformed_authorization_header_is_400_invalid_request(api):
    response = api("/private", HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": SPACES}
    assert response["WWW-Authenticate"] == (
        and_dpop(f'Bearer realm="api", error="invalid_request", error_description="{SPACES}"'))


def test_jwks_down_with_no_cached_key_is_503_with_retry_after(api, token, jwks_server):
    jwks_server.status = 500
    response = api("/private", token())
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily_unavailable",
                               "message": "Signing keys are temporarily unavailable"}
    assert response["Retry-After"] == "30"
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_route_is_json_404_with_and_without_debug(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/nowhere/at/all")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Not found"}


def test_unknown_api_route_is_json_404(client):
    response = client.post("/does-not-exist", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Not found"}


def test_a_404_raised_inside_a_drf_view_has_the_same_message_as_an_unknown_route(client):
    # DRF's content negotiation raises Http404 for a format it does not render.
    response = client.get("/public?format=xml")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Not found"}


def test_wrong_method_is_405_with_allow(api, client, token):
    response = client.delete("/public")
    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed",
                               "message": 'Method "DELETE" not allowed.'}
    assert "GET" in response["Allow"]


def test_bad_body_is_400_invalid_request_with_details(client):
    response = client.post("/test/echo", data={"text": "x" * 50}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["message"] == "Invalid request"
    assert body["details"] == {"text": ["Ensure this field has no more than 10 characters."]}


def test_unparsable_json_body_is_400_invalid_request(client):
    response = client.post("/test/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_throttled_is_429_with_retry_after(client):
    cache.clear()
    assert client.get("/test/throttled").status_code == 200
    response = client.get("/test/throttled")
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_unexpected_exception_in_drf_view_is_500_without_traceback(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/test/broken")
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "message": "Internal Server Error"}
    assert b"secret internal detail" not in response.content
    assert any("RuntimeError" in record.getMessage() for record in caplog.records)


def test_unexpected_exception_in_django_view_is_json_500():
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken-django")
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "message": "Internal Server Error"}


def test_disallowed_host_is_json_400(client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = client.get("/public", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "Host header is not allowed"}


def test_challenge_escapes_quotes_and_backslashes():
    assert quote('say "hi" \\ now') == 'say \\"hi\\" \\\\ now'
    assert bearer_challenge("api", "invalid_token", 'a"b') == (
        'Bearer realm="api", error="invalid_token", error_description="a\\"b"')


def test_challenge_drops_control_characters():
    assert quote("line\r\nbreak\x00") == "linebreak"


def test_realm_setting_is_used_in_every_challenge(api, configure):
    configure(REALM="orders")
    assert api("/private")["WWW-Authenticate"] == and_dpop('Bearer realm="orders"')
    response = api("/private", "x.y.z")
    assert response["WWW-Authenticate"].startswith('Bearer realm="orders", error="invalid_token"')
