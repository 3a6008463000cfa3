"""Scope and claim permissions: semantics, composition, and misuse."""
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt._drf.permissions import (ClaimCheck, ClaimEquals, ClaimIncludes, HasAnyScope,
                                   HasRequiredScopes, HasScope)


def view_with(*permissions, **attributes):
    class GuardedView(APIView):
        permission_classes = list(permissions)

        def get(self, request):
            return Response({"ok": True})

    for name, value in attributes.items():
        setattr(GuardedView, name, value)
    return GuardedView.as_view()


@pytest.fixture
def call(auth0_settings, signing_key):
    from tests.keys import mint

    def run(view, token=None, **claims):
        headers = {}
        if token is not False:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token or mint(signing_key, **claims)}"
        response = view(RequestFactory().get("/", **headers))
        response.render()
        return response.status_code, json.loads(response.content)

    return run


def test_has_scope_requires_every_scope(call):
    view = view_with(HasScope("read:messages", "write:messages"))
    assert call(view, scope="read:messages write:messages")[0] == 200
    status, body = call(view, scope="read:messages")
    assert status == 403
    assert body == {"error": "insufficient_scope", "message": "Insufficient scope",
                    "required_scopes": ["read:messages", "write:messages"]}


def test_has_any_scope_requires_one(call):
    view = view_with(HasAnyScope("read:messages", "admin:access"))
    assert call(view, scope="admin:access")[0] == 200
    status, body = call(view, scope="openid")
    assert status == 403
    assert body["required_scopes"] == ["read:messages", "admin:access"]


def test_scope_must_match_a_whole_word(call):
    view = view_with(HasScope("read:messages"))
    assert call(view, scope="read:messages:all xread:messages")[0] == 403


def test_scopes_are_read_from_the_permissions_array_too(call):
    view = view_with(HasScope("read:messages"))
    assert call(view, scope=None, permissions=["read:messages"])[0] == 200


def test_anonymous_request_on_a_scoped_route_is_401(call):
    status, body = call(view_with(HasScope("read:messages")), token=False)
    assert status == 401
    assert body["error"] == "unauthorized"


def test_and_composition(call):
    view = view_with(HasScope("read:messages") & ClaimEquals("org_id", "org_123"))
    assert call(view, scope="read:messages", org_id="org_123")[0] == 200
    assert call(view, scope="read:messages", org_id="org_9")[0] == 403
    assert call(view, scope="openid", org_id="org_123")[0] == 403


def test_or_composition(call):
    view = view_with(HasScope("admin:access") | ClaimEquals("org_id", "org_123"))
    assert call(view, scope="admin:access")[0] == 200
    assert call(view, org_id="org_123")[0] == 200
    assert call(view, scope="openid")[0] == 403


def test_not_composition(call):
    view = view_with(IsAuthenticated & ~HasScope("suspended"))
    assert call(view, scope="openid")[0] == 200
    assert call(view, scope="suspended")[0] == 403


def test_composition_with_drf_classes_on_either_side(call):
    assert call(view_with(IsAuthenticated & HasScope("a")), scope="a")[0] == 200
    assert call(view_with(HasScope("a") & IsAuthenticated), scope="a")[0] == 200
    assert call(view_with(AllowAny | HasScope("a")), scope="b")[0] == 200


def test_view_attribute_form(call):
    view = view_with(HasRequiredScopes, required_scopes=["read:messages"])
    assert call(view, scope="read:messages")[0] == 200
    status, body = call(view, scope="openid")
    assert (status, body["required_scopes"]) == (403, ["read:messages"])


def test_view_attribute_form_without_scopes_is_a_configuration_error(call):
    status, body = call(view_with(HasRequiredScopes), scope="anything")
    assert status == 500
    assert body == {"error": "server_error", "message": "Internal Server Error"}


@pytest.mark.parametrize("make", [
    lambda: HasScope(), lambda: HasAnyScope(), lambda: HasScope(""),
    lambda: HasScope("two words"), lambda: HasScope(["read:messages"]),
    lambda: ClaimEquals("", "x"), lambda: ClaimEquals("org_id", {"a": 1}),
    lambda: ClaimIncludes("roles"), lambda: ClaimIncludes("roles", ["a"]),
    lambda: ClaimCheck("not callable"),
])
def test_misuse_is_a_configuration_error(make):
    with pytest.raises(ImproperlyConfigured):
        make()


def test_async_predicate_is_refused():
    async def predicate(claims):
        return True

    with pytest.raises(ImproperlyConfigured, match="synchronous"):
        ClaimCheck(predicate)


def test_predicate_returning_an_awaitable_is_a_configuration_error(call):
    async def coroutine():
        return True

    status, body = call(view_with(ClaimCheck(lambda claims: coroutine())))
    assert (status, body["error"]) == (500, "server_error")


@pytest.mark.parametrize("claim,expected,status", [
    ("org_123", "org_123", 200), ("org_124", "org_123", 403), (1, True, 403), (True, 1, 403),
    (None, "org_123", 403),
])
def test_claim_equals_compares_values_and_json_types(call, claim, expected, status):
    claims = {"org_id": claim} if claim is not None else {}
    assert call(view_with(ClaimEquals("org_id", expected)), **claims)[0] == status


@pytest.mark.parametrize("roles,status", [
    (["editor", "viewer"], 200), ("viewer editor", 200), (["editor"], 403), ("editorviewer", 403),
    ({"editor": 1, "viewer": 1}, 403), (None, 403),
])
def test_claim_includes_accepts_arrays_and_space_separated_strings(call, roles, status):
    claims = {"roles": roles} if roles is not None else {}
    assert call(view_with(ClaimIncludes("roles", "editor", "viewer")), **claims)[0] == status


def test_claim_check_requires_exactly_true(call):
    assert call(view_with(ClaimCheck(lambda c: c.get("tier") == "gold")), tier="gold")[0] == 200
    assert call(view_with(ClaimCheck(lambda c: c.get("tier"))), tier="gold")[0] == 403


def test_claim_check_that_raises_denies_access(call, caplog):
    status, body = call(view_with(ClaimCheck(lambda c: c["missing"]["deep"], message="Nope")))
    assert (status, body) == (403, {"error": "forbidden", "message": "Nope"})
    assert "predicate raised" in caplog.text


def test_claims_come_only_from_a_verified_token(rf):
    # A request whose auth is a plain dict (e.g. set by another authenticator) grants nothing.
    class DictAuth:
        def authenticate(self, request):
            return (type("U", (), {"is_authenticated": True})(), {"scope": "read:messages"})

        def authenticate_header(self, request):
            return "Bearer"

    class View(APIView):
        authentication_classes = [DictAuth]
        permission_classes = [HasScope("read:messages")]

        def get(self, request):
            return Response({"ok": True})

    response = View.as_view()(rf.get("/"))
    assert response.status_code == 403


def test_configured_permission_is_reusable_and_stateless():
    permission = HasScope("a")
    assert permission() is permission
    assert isinstance(permission, BasePermission)
