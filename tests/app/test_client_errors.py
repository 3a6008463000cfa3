"""No 500 from client input: every request Django or DRF cannot read is a JSON 400
``invalid_request`` with one WARNING line and no traceback, on every kind of route.

What a client controls and Django refuses while reading the request: the ``Host`` header,
the number of query or form fields, the body's size, a multipart body. Each is sent to DRF
views (public, protected, optional) and Django views (the token page, a plain view), with
DEBUG off and on. ``tests/demo/test_openapi_client_errors.py`` sends the same to the demo's
OpenAPI schema and Swagger UI, ``tests/demo/test_e2e_client_errors.py`` through a real gunicorn.
"""
import logging
from urllib.parse import urlencode

import pytest
from django.core.exceptions import SuspiciousOperation

from auth0_jwt._drf.handlers import exception_handler
from tests.refusals import assert_refused

TOO_MANY = {"error": "invalid_request",
            "message": "Too many parameters in the query string or form body"}
TOO_BIG = {"error": "invalid_request", "message": "Request body is too large"}
BAD_HOST = {"error": "invalid_request", "message": "Host header is not allowed"}
BAD_MULTIPART = {"error": "invalid_request", "message": "Malformed multipart body"}
FORM = "application/x-www-form-urlencoded"
MANY_FIELDS = urlencode({f"f{i}": "1" for i in range(1001)})
DRF_ROUTES = ["/public", "/private", "/feed", "/test/whoami"]
DJANGO_ROUTES = ["/auth/token"]


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def pages_on(local_settings):
    """The token page (a Django view) exists; sessions in the test's folder."""
    local_settings.ALLOWED_HOSTS = ["testserver"]
    return local_settings


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", DRF_ROUTES + DJANGO_ROUTES)
def test_more_than_a_thousand_query_parameters_are_a_400(client, pages_on, log, path, debug,
                                                         token):
    pages_on.DEBUG = debug
    response = client.get(f"{path}?{MANY_FIELDS}", HTTP_AUTHORIZATION=f"Bearer {token()}")
    assert_refused(response, TOO_MANY, log, "TooManyFieldsSent")


@pytest.mark.parametrize("path", ["/private", "/test/whoami", "/test/echo"])
def test_more_than_a_thousand_form_fields_with_a_token_are_a_400(client, auth0_settings, log,
                                                                 path, token):
    response = client.post(path, MANY_FIELDS, content_type=FORM,
                           HTTP_AUTHORIZATION=f"Bearer {token()}")
    assert_refused(response, TOO_MANY, log, "TooManyFieldsSent")


@pytest.mark.parametrize("valid", [False, True])
def test_content_length_over_the_upload_limit_beside_a_bearer_token_is_a_400(
        client, auth0_settings, log, token, valid):
    # Django refuses before reading: the declared length is enough. (The body is read to
    # look for a second token, RFC 6750 section 2.)
    response = client.post("/private", "access_token=x", content_type=FORM,
                           CONTENT_LENGTH=str(2_621_440 + 1),
                           HTTP_AUTHORIZATION=f"Bearer {token() if valid else 'x'}")
    assert_refused(response, TOO_BIG, log, "RequestDataTooBig")


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Negotiate x", None])
def test_content_length_over_the_upload_limit_with_no_token_of_ours_is_never_read(
        client, auth0_settings, log, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.post("/private", "x=1", content_type=FORM,
                           CONTENT_LENGTH=str(2_621_440 + 1), **headers)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert [r for r in log.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_form_body_over_the_upload_limit_is_a_400(client, auth0_settings, settings, log, token):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/test/whoami", "x=" + "a" * 2000, content_type=FORM,
                           HTTP_AUTHORIZATION=f"Bearer {token()}")
    assert_refused(response, TOO_BIG, log, "RequestDataTooBig")


def test_form_fields_to_the_token_page_are_a_400(client, pages_on, log):
    response = client.post("/auth/token", MANY_FIELDS, content_type=FORM)
    assert_refused(response, TOO_MANY, log, "TooManyFieldsSent")


def test_form_fields_to_a_csrf_protected_django_view_are_a_400(client, auth0_settings, log):
    # CsrfViewMiddleware reads the body before the view runs.
    response = client.post("/test/broken-django", MANY_FIELDS, content_type=FORM)
    assert_refused(response, TOO_MANY, log, "TooManyFieldsSent")


@pytest.mark.parametrize("content_type", ["multipart/form-data",
                                          "multipart/form-data; boundary=\"\"",
                                          "multipart/form-data; boundary=" + "x" * 300])
def test_broken_multipart_body_to_the_token_page_is_a_400(client, pages_on, log, content_type):
    response = client.post("/auth/token", "--nope\r\n\r\n", content_type=content_type)
    assert_refused(response, BAD_MULTIPART, log, "MultiPartParserError")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", DRF_ROUTES + DJANGO_ROUTES + ["/healthz", "/nowhere",
                                                                "/test/broken-django"])
def test_host_outside_allowed_hosts_is_a_400_on_every_route(client, pages_on, log, path,
                                                            debug):
    pages_on.DEBUG = debug
    response = client.get(path, HTTP_HOST="evil.example")
    assert_refused(response, BAD_HOST, log, "DisallowedHost")


def test_any_suspicious_operation_reaching_the_handler_is_a_400(log):
    response = exception_handler(SuspiciousOperation("Invalid 'x' header: <echoed>"), {})
    assert (response.status_code, response.data) == (
        400, {"error": "invalid_request", "message": "Bad Request"})
    assert "<echoed>" not in log.text  # Django's text may echo the request: not logged


def test_valid_requests_are_unaffected(client, auth0_settings, token, log):
    assert client.get("/public?a=1&b=2").status_code == 200
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token()}").status_code == 200
    assert [r for r in log.records if r.name.startswith("django.security")] == []
