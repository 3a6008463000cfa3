"""The demo's OpenAPI schema and Swagger UI (drf-spectacular's views) refuse what Django cannot
read as every other route does: a JSON 400 ``invalid_request``, one WARNING line, no
traceback (``tests/app/test_client_errors.py`` covers the app's own views); and their own
errors are JSON."""
import logging
from urllib.parse import urlencode

import pytest

from tests.refusals import assert_refused

OPENAPI_ROUTES = ["/api/docs", "/api/schema"]
TOO_MANY = {"error": "invalid_request",
            "message": "Too many parameters in the query string or form body"}
BAD_HOST = {"error": "invalid_request", "message": "Host header is not allowed"}
MANY_FIELDS = urlencode({f"f{i}": "1" for i in range(1001)})


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", OPENAPI_ROUTES)
def test_more_than_a_thousand_query_parameters_are_a_400(client, auth0_settings, log, path,
                                                         debug, token):
    auth0_settings.DEBUG = debug
    response = client.get(f"{path}?{MANY_FIELDS}", HTTP_AUTHORIZATION=f"Bearer {token()}")
    assert_refused(response, TOO_MANY, log, "TooManyFieldsSent")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", OPENAPI_ROUTES)
def test_host_outside_allowed_hosts_is_a_400(client, auth0_settings, log, path, debug):
    auth0_settings.DEBUG = debug
    auth0_settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get(path, HTTP_HOST="evil.example")
    assert_refused(response, BAD_HOST, log, "DisallowedHost")


@pytest.mark.parametrize("path", ["/api/docs?format=json", "/api/schema?format=xml"])
def test_openapi_views_answer_errors_in_json(client, auth0_settings, path):
    response = client.get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["error"] == "not_found"
