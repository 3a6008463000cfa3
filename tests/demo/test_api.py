"""The quickstart's routes, end to end through Django with a real JWKS server."""
import re

import pytest
from django.urls import reverse

from api.urls import urlpatterns
from tests.keys import mint
from tests.expected import and_dpop

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
    assert response["WWW-Authenticate"] == and_dpop('Bearer realm="api"')


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_route_with_invalid_token_is_401_invalid_token(api, path, other_key):
    response = api(path, mint(other_key, header={"alg": "RS256", "kid": "key-1"},
                              scope="read:messages admin:access"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Invalid token signature"}
    assert response["WWW-Authenticate"] == (
        and_dpop('Bearer realm="api", error="invalid_token", error_description="Invalid token signature"'))


# The Express quickstart's 200 bodies, key for key and string for string ("timestamp": any
# ISO 8601 UTC time with milliseconds, as JavaScript's toISOString()).
TIMESTAMP = object()
QUICKSTART_BODIES = [
    ("/api/public", {}, {
        "message": "Hello from a public endpoint! You don't need to be authenticated to see this.",
        "timestamp": TIMESTAMP}),
    ("/api/private", {}, {
        "message": "Hello from a protected endpoint! You successfully authenticated.",
        "user": "auth0|alice", "timestamp": TIMESTAMP}),
    ("/api/private-scoped", {"scope": "openid read:messages"}, {
        "message": "Hello from a scoped endpoint! You have the required permission.",
        "user": "auth0|alice", "scope": "openid read:messages", "timestamp": TIMESTAMP}),
    ("/api/messages", {"scope": "read:messages"}, {
        "messages": [{"id": 1, "text": "Hello!"}, {"id": 2, "text": "World!"}]}),
    ("/api/admin", {"scope": "admin:access"}, {
        "message": "Admin access granted", "userId": "auth0|alice"}),
    ("/api/org/org_123", {"org_id": "org_123"}, {"message": "Organization access granted"}),
    ("/api/roles", {"roles": ["editor", "viewer"]}, {"message": "Role check passed"}),
    ("/api/premium", {"subscription": "premium", "verified": True}, {
        "message": "Premium feature access granted"}),
    ("/api/feed", {}, {"message": "Welcome back, auth0|alice!", "personalizedContent": True}),
]


def matches(body, expected):
    if body.keys() != expected.keys():
        return False
    return all(ISO_TIMESTAMP.fullmatch(body[k]) if v is TIMESTAMP else body[k] == v
               for k, v in expected.items())


@pytest.mark.parametrize("path,claims,expected", QUICKSTART_BODIES,
                         ids=[row[0] for row in QUICKSTART_BODIES])
def test_route_answers_exactly_as_the_quickstart(api, token, path, claims, expected):
    response = api(path, token(sub="auth0|alice", **{"scope": None, **claims}))
    assert response.status_code == 200
    assert matches(response.json(), expected), response.json()


def test_feed_without_a_token_answers_as_the_quickstart(api):
    response = api("/api/feed")
    assert response.status_code == 200
    assert response.json() == {"message": "Welcome, guest!", "personalizedContent": False}


def test_scoped_route_omits_scope_when_the_token_has_no_scope_claim(api, token):
    # Express's JSON.stringify drops an undefined "scope"; scopes here come from RBAC.
    response = api("/api/private-scoped", token(scope=None, permissions=["read:messages"]))
    assert response.status_code == 200
    assert "scope" not in response.json()


@pytest.mark.parametrize("path", ["/api/private-scoped", "/api/messages"])
def test_read_messages_routes_accept_the_scope(api, token, path):
    response = api(path, token(scope="read:messages"))
    assert response.status_code == 200


@pytest.mark.parametrize("path,scope", [("/api/private-scoped", "read:messages"),
                                        ("/api/messages", "read:messages"),
                                        ("/api/admin", "admin:access")])
def test_scoped_route_without_the_scope_is_403_insufficient_scope(api, token, path, scope):
    response = api(path, token(scope="openid write:messages"))
    assert response.status_code == 403
    assert response.json() == {"error": "insufficient_scope", "message": "Insufficient scope",
                               "required_scopes": [scope]}
    assert response["WWW-Authenticate"] == (
        and_dpop(f'Bearer realm="api", error="insufficient_scope", '
        f'error_description="Insufficient scope", scope="{scope}"'))


def test_permissions_array_grants_scopes(api, token):
    # Auth0 RBAC puts granted permissions in a "permissions" array.
    response = api("/api/admin", token(scope=None, permissions=["admin:access"]))
    assert response.status_code == 200
    assert response.json()["userId"] == "auth0|user-1"


def test_admin_with_admin_scope(api, token):
    assert api("/api/admin", token(scope="admin:access")).status_code == 200


def test_org_route_requires_org_id_claim(api, token):
    ok = api("/api/org/org_123", token(org_id="org_123"))
    assert ok.status_code == 200
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

EXAMPLE_ARGUMENTS = {"org": {"org_id": "org_123"}}


@pytest.mark.parametrize("path", ["/", "/api/", "/api"])
def test_the_root_lists_every_demo_route_with_what_it_requires(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    listed = [route["url"] for route in body["routes"]]
    expected = {"http://testserver" + reverse(p.name, kwargs=EXAMPLE_ARGUMENTS.get(p.name, {}))
                for p in urlpatterns}
    assert set(listed) == expected and len(listed) == len(expected)
    assert all(route["requires"] for route in body["routes"])
    assert (body["docs"], body["schema"]) == ("http://testserver/api/docs",
                                              "http://testserver/api/schema")


def test_the_root_reads_no_credentials(client):
    assert client.get("/", HTTP_AUTHORIZATION="Bearer not-a-jwt").status_code == 200


def test_the_root_names_the_local_issuer_and_token_page_when_they_are_on(client, local_settings):
    body = client.get("/api/").json()
    assert "make token" in body["tokens"]
    assert body["token_page"] == "http://testserver/auth/token"


def test_the_root_is_a_browsable_page_in_a_browser(client, monkeypatch):
    # As DJANGO_BROWSABLE_API=true configures it (DRF reads the renderers at import time).
    from rest_framework.renderers import JSONRenderer

    from api.views import ApiRootView
    from auth0_jwt import BrowsableAPIRenderer

    monkeypatch.setattr(ApiRootView, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    response = client.get("/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'href="http://testserver/api/private"' in response.content
