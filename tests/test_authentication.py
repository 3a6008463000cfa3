"""Auth0JWTAuthentication: where tokens are read (RFC 6750 section 2) and what views see."""
import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from auth0_jwt._drf.authentication import Auth0JWTAuthentication
from auth0_jwt._core.tokens import VerifiedToken
from auth0_jwt._drf.users import TokenUser

pytestmark = pytest.mark.urls("tests.urls")

UNAUTHORIZED = {"error": "unauthorized", "message": "Authentication required"}


def invalid_request(api, header, message):
    response = api("/api/private", HTTP_AUTHORIZATION=header)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": message}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_request", error_description="{message}"')


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_scheme_is_case_insensitive(api, token, scheme):
    assert api("/api/private", HTTP_AUTHORIZATION=f"{scheme} {token()}").status_code == 200


def test_extra_spaces_after_the_scheme_are_tolerated(api, token):
    assert api("/api/private", HTTP_AUTHORIZATION=f"Bearer    {token()}").status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer    "])
def test_missing_token_is_400(api, header):
    invalid_request(api, header, "Bearer token is missing")


def test_empty_authorization_header_is_400(api):
    invalid_request(api, "", "Authorization header is empty")


def test_token_with_spaces_inside_is_400(api, token):
    invalid_request(api, f"Bearer {token()} extra", "Bearer token must not contain spaces")


@pytest.mark.parametrize("bad", ["abc$def", "ab\"cd", "a,b", "tok\u00e9n", "=abc"])
def test_token_with_characters_outside_b64token_is_400(api, bad):
    invalid_request(api, f"Bearer {bad}", "Bearer token contains characters that are not allowed")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerabc", "DPoP abc"])
def test_another_scheme_is_not_ours_and_gives_401_unauthorized(api, header):
    response = api("/api/private", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


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
        response = api(f"/api/private?access_token={token()}")
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED

    def test_header_and_switched_off_query_token_together_are_400(self, api, token):
        # Two methods were used even though the query method is off: which token was meant?
        response = api(f"/api/private?access_token={token()}", token())
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_request",
                                   "message": "Token sent by more than one method"}

    def test_other_query_parameters_beside_a_header_token_are_fine(self, api, token):
        assert api("/api/private?not_access_token=1&x=access_token", token()).status_code == 200

    def test_query_token_works_when_enabled(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        assert api(f"/api/private?access_token={token()}").status_code == 200

    def test_repeated_query_token_is_400(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        response = api(f"/api/private?access_token={token()}&access_token={token()}")
        assert response.status_code == 400
        assert response.json()["message"] == "Parameter 'access_token' is repeated"

    def test_header_and_query_token_together_are_400(self, api, token, configure):
        configure(ALLOW_QUERY_TOKEN=True)
        response = api(f"/api/private?access_token={token()}", token())
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
