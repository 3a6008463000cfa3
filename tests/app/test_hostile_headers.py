"""Hostile Authorization headers and token locations (RFC 6750 section 2) through the real API.

Malformed header -> 400 ``invalid_request``; another scheme -> not ours (401 ``unauthorized``
on a protected route); a token sent twice -> 400; a bad token -> 401 ``invalid_token``. The
challenge is always one of the fixed, quoted forms: nothing from the request is echoed.
"""
import time

import pytest

from tests.keys import mint
from tests.leak_guard import client, leak_guard  # noqa: F401  (every test is a leak test)
from tests.expected import and_dpop

UNAUTHORIZED = (401, {"error": "unauthorized", "message": "Authentication required"},
                and_dpop('Bearer realm="api"'))


def rejected(status, code, message):
    return status, {"error": code, "message": message}, (
        and_dpop(f'Bearer realm="api", error="{code}", error_description="{message}"'))


EMPTY = rejected(400, "invalid_request", "Authorization header is empty")
MISSING = rejected(400, "invalid_request", "Bearer token is missing")
SPACES = rejected(400, "invalid_request", "Bearer token must not contain spaces: send the token "
                  "alone, without quotes or line breaks")
BAD_CHARS = rejected(400, "invalid_request",
                     "Bearer token contains characters that are not allowed")
SENT_TWICE = rejected(400, "invalid_request", "Authorization header is sent more than once")
TWICE = rejected(400, "invalid_request", "Token sent by more than one method")
REPEATED = rejected(400, "invalid_request", "Parameter 'access_token' is repeated")
SEGMENTS = rejected(401, "invalid_token", "Malformed token: expected three dot-separated segments")
TOO_LARGE = rejected(401, "invalid_token", "Token exceeds the maximum length")


def assert_answer(response, expected):
    status, body, challenge = expected
    assert response.status_code == status, response.content
    assert response.json() == body
    assert response["WWW-Authenticate"] == challenge


def get(client, path, authorization=None, **extra):
    if authorization is not None:
        extra["HTTP_AUTHORIZATION"] = authorization
    return client.get(path, **extra)


@pytest.fixture
def valid(signing_key):
    return mint(signing_key)


HEADERS = {  # Authorization value (TOKEN stands for a valid token): the documented answer
    "": EMPTY,
    "   ": EMPTY,
    "\t": EMPTY,
    "Bearer": MISSING,
    "bearer": MISSING,
    "Bearer ": MISSING,
    "Bearer      ": MISSING,
    "Bearer TOKEN extra": SPACES,
    "Bearer TOKEN, Bearer TOKEN": SENT_TWICE,
    "Bearer TOKEN\r\nX-Injected: yes": SPACES,
    "Bearer TOK EN": SPACES,
    "Bearer TOKEN\u00a0x": SPACES,
    "Bearer TOKEN,Bearer TOKEN": SENT_TWICE,
    "Bearer TOKEN,DPoP TOKEN": SENT_TWICE,
    "Bearer TOKEN,  bearer TOKEN": SENT_TWICE,
    "Bearer TOKEN,BearerX TOKEN": SPACES,
    "Bearer TOKEN,TOKEN": BAD_CHARS,
    'Bearer "TOKEN"': BAD_CHARS,
    "Bearer TOKEN\u0000": BAD_CHARS,
    "Bearer TOKEN;": BAD_CHARS,
    "Bearer \u00e9\u00e8": BAD_CHARS,
    "Bearer <script>alert(1)</script>": BAD_CHARS,
    'Bearer x", error="none': SPACES,
    'Bearer x",error="none",realm="evil': BAD_CHARS,
    "Bearer ====": BAD_CHARS,
    "Bearer a=b": BAD_CHARS,
    "Bearer abc": SEGMENTS,
    "Bearer abc==": SEGMENTS,
    "Basic dXNlcjpwYXNz": UNAUTHORIZED,
    "Token TOKEN": UNAUTHORIZED,
    "JWT TOKEN": UNAUTHORIZED,
    "BearerTOKEN": UNAUTHORIZED,
    "Bearer,TOKEN": UNAUTHORIZED,
    "Bearer_TOKEN": UNAUTHORIZED,
    "TOKEN": UNAUTHORIZED,
    "Negotiate YIIF": UNAUTHORIZED,
}


@pytest.mark.parametrize("authorization", HEADERS)
def test_hostile_authorization_header_gets_the_documented_answer(authorization, client, api,
                                                                 valid):
    response = get(client, "/private", authorization.replace("TOKEN", valid))
    assert_answer(response, HEADERS[authorization])


@pytest.mark.parametrize("authorization", ["bearer TOKEN", "BEARER TOKEN", "bEaReR TOKEN",
                                           "Bearer     TOKEN", "Bearer TOKEN   "])
def test_scheme_is_case_insensitive_and_extra_spaces_are_tolerated(authorization, client, api,
                                                                    valid):
    response = get(client, "/private", authorization.replace("TOKEN", valid))
    assert response.status_code == 200, response.content


def test_huge_header_without_spaces_is_refused_as_too_large_quickly(client, api, jwks_server):
    started = time.monotonic()
    assert_answer(get(client, "/private", "Bearer " + "A" * 1_000_000), TOO_LARGE)
    assert time.monotonic() - started < 0.5
    assert jwks_server.hits == 0


def test_huge_header_with_spaces_is_a_malformed_header_quickly(client, api, jwks_server):
    started = time.monotonic()
    assert_answer(get(client, "/private", "Bearer " + "A " * 500_000), SPACES)
    assert time.monotonic() - started < 0.5
    assert jwks_server.hits == 0


def test_huge_header_of_another_scheme_is_not_ours(client, api):
    assert_answer(get(client, "/private", "X" * 1_000_000), UNAUTHORIZED)


# -- other token locations -------------------------------------------------------------------

def test_query_token_is_ignored_by_default(client, api, valid):
    assert_answer(client.get("/private", {"access_token": valid}), UNAUTHORIZED)


def test_form_token_is_ignored_by_default(client, api, valid):
    response = client.post("/private", {"access_token": valid},
                           content_type="application/x-www-form-urlencoded")
    assert_answer(response, UNAUTHORIZED)


def test_query_token_and_header_token_together_are_400(client, configure, valid):
    configure(ALLOW_QUERY_TOKEN=True)
    assert_answer(get(client, f"/private?access_token={valid}", f"Bearer {valid}"), TWICE)


def test_repeated_query_token_is_400(client, configure, valid):
    configure(ALLOW_QUERY_TOKEN=True)
    assert_answer(client.get(f"/private?access_token={valid}&access_token={valid}"),
                  REPEATED)


@pytest.mark.parametrize("value, expected", [
    ("", MISSING), ("a b", SPACES), ("a\u0000b", BAD_CHARS), ("abc", SEGMENTS)])
def test_hostile_query_token_gets_the_documented_answer(value, expected, client, configure):
    configure(ALLOW_QUERY_TOKEN=True)
    assert_answer(client.get("/private", {"access_token": value}), expected)


# -- routes that do not require a token ------------------------------------------------------

@pytest.mark.parametrize("authorization", list(HEADERS) + ["Bearer " + "A" * 100_000])
def test_public_route_never_looks_at_credentials(authorization, client, api, jwks_server):
    response = get(client, "/public", authorization)
    assert response.status_code == 200, response.content
    assert jwks_server.hits == 0


@pytest.mark.parametrize("authorization", [a for a, e in HEADERS.items() if e is not UNAUTHORIZED])
def test_optional_route_refuses_a_present_but_bad_token(authorization, client, api, valid):
    expected = HEADERS[authorization]
    assert_answer(get(client, "/feed", authorization.replace("TOKEN", valid)), expected)


def test_optional_route_treats_another_scheme_as_anonymous(client, api):
    response = get(client, "/feed", "Basic dXNlcjpwYXNz")
    assert response.status_code == 200
    assert response.json()["personalizedContent"] is False
