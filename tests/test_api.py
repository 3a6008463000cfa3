"""The quickstart's routes, end to end through Django with a real JWKS server."""
import re

import pytest

from tests.keys import mint

ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UNAUTHORIZED = {"error": "unauthorized", "message": "Authentication required"}
PROTECTED = ["/api/private", "/api/private-scoped", "/api/messages", "/api/admin",
             "/api/org/org_123", "/api/roles", "/api/premium"]


def test_public_needs_no_token(api):
    response = api("/api/public")
    assert response.status_code == 200
    body = response.json()
    assert body["message"].startswith("Hello from a public endpoint!")
    assert ISO_TIMESTAMP.fullmatch(body["timestamp"])


def test_public_ignores_an_invalid_token(api):
    # As in the quickstart, the public route does not look at credentials at all.
    assert api("/api/public", "not-a-jwt").status_code == 200
    assert api("/api/public", HTTP_AUTHORIZATION="Bearer").status_code == 200


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_route_without_token_is_401_unauthorized(api, path):
    response = api(path)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_route_with_invalid_token_is_401_invalid_token(api, path, other_key):
    response = api(path, mint(other_key, header={"alg": "RS256", "kid": "key-1"},
                              scope="read:messages admin:access"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Invalid token signature"}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="Invalid token signature"')


def test_private_returns_the_principal(api, token):
    response = api("/api/private", token(sub="auth0|alice", scope="read:messages openid"))
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == ("Hello from a private endpoint! You need to be authenticated "
                               "to see this.")
    assert body["user"] == "auth0|alice"
    assert body["scope"] == "openid read:messages"
    assert ISO_TIMESTAMP.fullmatch(body["timestamp"])


@pytest.mark.parametrize("path", ["/api/private-scoped", "/api/messages"])
def test_read_messages_routes_accept_the_scope(api, token, path):
    response = api(path, token(scope="read:messages"))
    assert response.status_code == 200
    assert response.json()["user"] == "auth0|user-1"


@pytest.mark.parametrize("path,scope", [("/api/private-scoped", "read:messages"),
                                        ("/api/messages", "read:messages"),
                                        ("/api/admin", "admin:access")])
def test_scoped_route_without_the_scope_is_403_insufficient_scope(api, token, path, scope):
    response = api(path, token(scope="openid write:messages"))
    assert response.status_code == 403
    assert response.json() == {"error": "insufficient_scope", "message": "Insufficient scope",
                               "required_scopes": [scope]}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="insufficient_scope", '
        f'error_description="Insufficient scope", scope="{scope}"')


def test_permissions_array_grants_scopes(api, token):
    # Auth0 RBAC puts granted permissions in a "permissions" array.
    response = api("/api/admin", token(scope=None, permissions=["admin:access"]))
    assert response.status_code == 200
    assert response.json()["scope"] == "admin:access"


def test_admin_with_admin_scope(api, token):
    assert api("/api/admin", token(scope="admin:access")).status_code == 200


def test_org_route_requires_org_id_claim(api, token):
    ok = api("/api/org/org_123", token(org_id="org_123"))
    assert ok.status_code == 200
    assert ok.json()["org_id"] == "org_123"
    wrong = api("/api/org/org_123", token(org_id="org_999"))
    assert wrong.status_code == 403
    assert wrong.json() == {"error": "forbidden",
                            "message": "Claim 'org_id' does not have the required value"}
    assert "WWW-Authenticate" not in wrong


def test_roles_route_requires_both_roles(api, token):
    assert api("/api/roles", token(roles=["viewer", "editor", "x"])).status_code == 200
    response = api("/api/roles", token(roles=["viewer"]))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("claims,status", [
    ({"subscription": "premium", "verified": True}, 200),
    ({"subscription": "premium", "verified": "true"}, 403),
    ({"subscription": "basic", "verified": True}, 403),
    ({}, 403),
])
def test_premium_route_checks_subscription_and_verified(api, token, claims, status):
    response = api("/api/premium", token(**claims))
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"error": "forbidden",
                                   "message": "A verified premium subscription is required"}


def test_feed_is_anonymous_without_token(api):
    response = api("/api/feed")
    assert response.status_code == 200
    assert response.json()["personalized"] is False


def test_feed_is_personalised_with_a_valid_token(api, token):
    response = api("/api/feed", token(sub="auth0|bob"))
    assert response.status_code == 200
    body = response.json()
    assert body["personalized"] is True
    assert body["user"] == "auth0|bob"


def test_feed_with_an_invalid_token_is_still_401(api, token):
    response = api("/api/feed", token(exp=1))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Token expired"}


def test_trailing_slash_is_accepted(api, token):
    assert api("/api/private/", token()).status_code == 200


def test_a_10_kb_token_with_many_permissions_is_accepted(api, token):
    permissions = [f"read:resource-{i:04d}" for i in range(450)] + ["admin:access"]
    big = token(permissions=permissions)
    assert 10_000 <= len(big) <= 16_384
    response = api("/api/admin", big)
    assert response.status_code == 200


def test_a_100_kb_token_is_401_before_any_crypto(api, jwks_server):
    response = api("/api/private", "a" * 50_000 + "." + "b" * 50_000 + ".c")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token exceeds the maximum length"}
    assert jwks_server.hits == 0


class TestCors:
    ORIGIN = "https://app.example.com"

    @pytest.fixture(autouse=True)
    def origins(self, settings):
        settings.CORS_ALLOWED_ORIGINS = [self.ORIGIN]

    def test_preflight_allows_authorization(self, client, auth0_settings):
        response = client.options("/api/private", HTTP_ORIGIN=self.ORIGIN,
                                  HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == self.ORIGIN
        assert "authorization" in response["Access-Control-Allow-Headers"].lower()

    def test_401_carries_cors_headers_and_exposes_www_authenticate(self, api):
        response = api("/api/private", HTTP_ORIGIN=self.ORIGIN)
        assert response.status_code == 401
        assert response["Access-Control-Allow-Origin"] == self.ORIGIN
        exposed = [h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")]
        assert "www-authenticate" in exposed

    def test_unknown_origin_gets_no_cors_headers(self, api):
        response = api("/api/private", HTTP_ORIGIN="https://evil.example.com")
        assert "Access-Control-Allow-Origin" not in response
