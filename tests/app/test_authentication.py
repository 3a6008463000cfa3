"""Auth0JWTAuthentication: where tokens are read (RFC 6750 section 2) and what views see."""
import random

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from auth0_jwt._drf.authentication import B64TOKEN, Auth0JWTAuthentication, is_b64token
from auth0_jwt._core.tokens import VerifiedToken
from auth0_jwt._drf.users import TokenUser
from tests.expected import and_dpop


UNAUTHORIZED = {"error": "unauthorized", "message": "Authentication required"}
SPACES = ("Bearer token must not contain spaces: send the token alone, without quotes or "
          "line breaks")


def invalid_request(api, header, message):
    response = api("/private", HTTP_AUTHORIZATION=header)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": message}
    assert response["WWW-Authenticate"] == (
        and_dpop(f'Bearer realm="api", error="invalid_request", error_description="{message}"'))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_scheme_is_case_insensitive(api, token, scheme):
    assert api("/private", HTTP_AUTHORIZATION=f"{scheme} {token()}").status_code == 200


def test_extra_spaces_after_the_scheme_are_tolerated(api, token):
    assert api("/private", HTTP_AUTHORIZATION=f"Bearer    {token()}").status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer    "])
def test_missing_token_is_400(api, header):
    invalid_request(api, header, "Bearer token is missing")


def test_empty_authorization_header_is_400(api):
    invalid_request(api, "", "Authorization header is empty")


def test_token_with_spaces_inside_is_400(api, token):
    invalid_request(api, f"Bearer {token()} extra", SPACES)


@pytest.mark.parametrize("bad", ["abc$def", "ab\"cd", "a,b", "tok\u00e9n", "=abc"])
def test_token_with_characters_outside_b64token_is_400(api, bad):
    invalid_request(api, f"Bearer {bad}", "Bearer token contains characters that are not allowed")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerabc", "Negotiate abc"])
def test_another_scheme_is_not_ours_and_gives_401_unauthorized(api, header):
    response = api("/private", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == and_dpop('Bearer realm="api"')


def test_view_sees_the_token_principal_and_the_verified_token(api, token):
    raw = token(sub="auth0|carol", scope="read:messages", permissions=["admin:access"])
    response = api("/test/whoami", raw, HTTP_X_EXPECTED_TOKEN=raw)
    assert response.status_code == 200
    assert response.json() == {"user": "auth0|carol", "sub": "auth0|carol",
                               "is_authenticated": True, "payload_sub": "auth0|carol",
                               "kid": "key-1", "token_matches": True,
                               "scopes": ["admin:access", "read:messages"]}


def test_authenticate_returns_user_and_token_pair(auth0_settings, token):
    raw = token()
    request = Request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    user, verified = Auth0JWTAuthentication().authenticate(request)
    assert isinstance(user, TokenUser) and isinstance(verified, VerifiedToken)
    assert user.pk == user.sub == str(user) == "auth0|user-1"
    assert verified.token == raw


def test_no_header_returns_none(auth0_settings):
    assert Auth0JWTAuthentication().authenticate(Request(RequestFactory().get("/"))) is None


class TestQueryToken:
    def test_query_token_is_ignored_by_default(self, api, token):
        response = api(f"/private?access_token={token()}")
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED

    def test_header_and_switched_off_query_token_together_are_400(self, api, token):
        # Two methods were used even though the query method is off: which token was meant?
        response = api(f"/private?access_token={token()}", token())
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_request",
                                   "message": "Token sent by more than one method"}

    def test_other_query_parameters_beside_a_header_token_are_fine(self, api, token):
        assert api("/private?not_access_token=1&x=access_token", token()).status_code == 200

    def test_query_token_works_when_enabled(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        assert api(f"/private?access_token={token()}").status_code == 200

    def test_repeated_query_token_is_400(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        response = api(f"/private?access_token={token()}&access_token={token()}")
        assert response.status_code == 400
        assert response.json()["message"] == "Parameter 'access_token' is repeated"

    def test_header_and_query_token_together_are_400(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        response = api(f"/private?access_token={token()}", token())
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_request",
                                   "message": "Token sent by more than one method"}


class TestFormToken:
    def post(self, client, token=None, **extra):
        data = f"access_token={token}" if token else "x=1"
        return client.post("/test/whoami", data=data,
                           content_type="application/x-www-form-urlencoded", **extra)

    def test_form_token_is_ignored_by_default(self, client, auth0_settings, token):
        response = self.post(client, token())
        assert response.status_code == 401

    def test_header_and_switched_off_form_token_together_are_400(self, client, auth0_settings,
                                                                  token):
        response = self.post(client, token(), HTTP_AUTHORIZATION=f"Bearer {token()}")
        assert response.status_code == 400
        assert response.json()["message"] == "Token sent by more than one method"

    def test_form_token_works_when_enabled(self, client, configure, token):
        configure(ALLOW_FORM_TOKEN=True)
        response = self.post(client, token(sub="auth0|form"))
        assert response.status_code == 200
        assert response.json()["sub"] == "auth0|form"

    def test_form_token_in_a_json_body_is_not_read(self, client, configure, token):
        configure(ALLOW_FORM_TOKEN=True)
        response = client.post("/test/whoami", data={"access_token": token()},
                               content_type="application/json")
        assert response.status_code == 401

    def test_header_and_form_token_together_are_400(self, client, configure, token):
        configure(ALLOW_FORM_TOKEN=True)
        response = self.post(client, token(), HTTP_AUTHORIZATION=f"Bearer {token()}")
        assert response.status_code == 400
        assert response.json()["message"] == "Token sent by more than one method"


# -- separators and spellings: RFC 7235 (1*SP after the scheme) and RFC 6750 section 2 (a token
# sent by more than one method is a 400 whatever the spelling of the parameter on the wire) --


@pytest.mark.parametrize("separator", ["\t", "\u00a0", "\u2003", "\x0b", "\x0c"])
def test_whitespace_other_than_space_after_the_scheme_is_400(api, token, separator):
    invalid_request(api, f"Bearer{separator}{token()}",
                    "Authorization header: the Bearer scheme must be followed by a space")


def test_other_scheme_with_a_tab_is_still_not_ours(api):
    response = api("/private", HTTP_AUTHORIZATION="Basic\tdXNlcjpwYXNz")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


@pytest.mark.parametrize("name", ["access%5Ftoken", "access%5ftoken", "%61ccess_token",
                                  "%61%63%63%65%73%73%5F%74%6F%6B%65%6E"])
def test_any_spelling_of_access_token_beside_a_header_token_is_400(api, token, name):
    response = api(f"/private?{name}=x", token())
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request",
                               "message": "Token sent by more than one method"}


@pytest.mark.parametrize("name", ["access%5Ftoken", "%61ccess_token"])
def test_any_spelling_of_access_token_in_a_form_beside_a_header_token_is_400(
        client, auth0_settings, token, name):
    response = client.post("/test/whoami", f"{name}=x",
                           content_type="application/x-www-form-urlencoded",
                           HTTP_AUTHORIZATION=f"Bearer {token()}")
    assert response.status_code == 400
    assert response.json()["message"] == "Token sent by more than one method"


@pytest.mark.parametrize("pasted", ["Bearer", "bearer", "BEARER", "DPoP"])
def test_scheme_written_twice_gets_a_message_that_says_so(api, token, pasted):
    invalid_request(api, f"Bearer {pasted} {token()}",
                    "Bearer token must not contain spaces: the scheme name is written "
                    "twice; send the token alone after it")


class TestUserClass:
    """``AUTH0_JWT["USER_CLASS"]``: one hook for every path (header, query, form, session)."""

    def test_default_user_is_the_token_user(self, api, token):
        assert api("/test/whoami", token(sub="auth0|dora")).json()["user"] == "auth0|dora"

    @pytest.mark.parametrize("path", ["header", "query", "form", "session"])
    def test_configured_user_class_is_what_every_path_returns(
            self, client, configure, settings, tmp_path, token, path):
        configure(USER_CLASS="tests.app.test_authentication.Principal", ALLOW_QUERY_TOKEN=True,
                  ALLOW_FORM_TOKEN=True, SESSION_TOKEN=True)
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
        settings.SESSION_FILE_PATH = str(tmp_path)
        raw = token(sub="auth0|erin")
        if path == "header":
            response = client.get("/test/whoami", HTTP_AUTHORIZATION=f"Bearer {raw}")
        elif path == "query":
            response = client.get("/test/whoami", {"access_token": raw})
        elif path == "form":
            response = client.post("/test/whoami", f"access_token={raw}",
                                   content_type="application/x-www-form-urlencoded")
        else:
            from tests.app.test_credential_paths import plant

            response = client.get("/test/whoami", HTTP_COOKIE=f"sessionid={plant(raw)}")
        assert response.status_code == 200, response.content
        assert response.json()["user"] == "principal of auth0|erin"


class Principal:
    """A user class of a project's own: built from the verified token."""

    is_authenticated = True

    def __init__(self, token):
        self.sub = token.sub

    def __str__(self):
        return f"principal of {self.sub}"


def test_b64token_check_agrees_with_the_rfc6750_grammar():
    rng = random.Random(11)
    pool = "Aa0-._~+/= \t\u00e9\x00*,"
    for _ in range(30_000):
        token = "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        assert is_b64token(token) == bool(B64TOKEN.fullmatch(token)), repr(token)
