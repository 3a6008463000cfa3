"""Scope and claim permissions: semantics, composition, and misuse."""
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt import InsufficientScopeError
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
    assert call(view, org_id="org_123")[0] == 200  # the second operand is evaluated
    # A scope or a claim would do: no single scope to ask for, so a plain 403.
    assert call(view, scope="openid") == (403, FORBIDDEN)


def test_not_composition(call):
    view = view_with(IsAuthenticated & ~HasScope("suspended"))
    assert call(view, scope="openid")[0] == 200
    # Denied because a scope is present: never "insufficient_scope".
    assert call(view, scope="suspended") == (403, FORBIDDEN)


FORBIDDEN = {"error": "forbidden", "message": "You do not have permission to perform this action."}


def scope_error(scopes, message="Insufficient scope"):
    return {"error": "insufficient_scope", "message": message, "required_scopes": scopes}


ONE_OF = "Insufficient scope: one of the listed scopes is required"


@pytest.mark.parametrize("permission", [
    lambda: IsAuthenticated & HasScope("a"),  # composed by DRF's own operator
    lambda: HasScope("a") & IsAuthenticated,
    lambda: HasScope("a") & ClaimEquals("org_id", "org_123"),
    lambda: ClaimEquals("org_id", "org_123") & HasScope("a"),
    lambda: (IsAuthenticated & HasScope("a")) & AllowAny,
])
def test_and_failing_on_a_scope_answers_insufficient_scope(call, permission):
    view = view_with(permission())
    assert call(view, scope="b", org_id="org_123") == (403, scope_error(["a"]))


def test_and_failing_on_a_claim_answers_forbidden_with_its_message(call):
    view = view_with(HasScope("a") & ClaimEquals("org_id", "org_123"))
    assert call(view, scope="a", org_id="org_9") == (403, {
        "error": "forbidden", "message": "Claim 'org_id' does not have the required value"})


@pytest.mark.parametrize("permission, scopes", [
    (lambda: HasScope("a") | HasScope("b"), ["a", "b"]),
    (lambda: HasAnyScope("a", "b") | HasScope("c"), ["a", "b", "c"]),
    (lambda: HasScope("a") | (HasScope("b") | HasScope("a")), ["a", "b"]),
])
def test_or_of_single_scopes_answers_one_of_them(call, permission, scopes):
    view = view_with(permission())
    status, body = call(view, scope="z")
    assert (status, body) == (403, scope_error(scopes, ONE_OF))
    assert call(view, scope=scopes[-1])[0] == 200


@pytest.mark.parametrize("permission", [
    lambda: HasScope("a", "b") | HasScope("c"),  # (a and b) or c: no list says that
    lambda: HasScope("a") | ClaimEquals("org_id", "org_123"),
    lambda: (IsAuthenticated & HasScope("a")) | IsAdminUser,
    lambda: ~HasScope("z"),
    lambda: ~(IsAuthenticated & ~HasScope("a")),
])
def test_ambiguous_composed_denial_is_a_plain_forbidden(call, permission):
    assert call(view_with(permission()), scope="z") == (403, FORBIDDEN)


def test_or_built_by_drf_around_ours_still_evaluates_its_second_operand(call):
    view = view_with((IsAuthenticated & HasScope("a")) | ClaimEquals("org_id", "org_123"))
    assert call(view, scope="z", org_id="org_123")[0] == 200
    view = view_with(~(IsAuthenticated & HasScope("a")))
    assert call(view, scope="z")[0] == 200  # NOT of a failing scope rule grants


def test_error_raised_by_a_view_after_its_permissions_passed_is_left_alone(call):
    class Custom(APIView):
        permission_classes = [HasScope("a")]

        def get(self, request):
            raise PermissionDenied("Not on Sundays")

    assert call(Custom.as_view(), scope="a") == (403, {"error": "forbidden",
                                                        "message": "Not on Sundays"})


def test_insufficient_scope_error_raised_by_a_view_gets_the_rfc_6750_shape(call):
    class Custom(APIView):
        def get(self, request):
            raise InsufficientScopeError(["write:messages"])

    assert call(Custom.as_view(), scope="a") == (403, scope_error(["write:messages"]))


def test_composed_scope_denial_is_logged_as_insufficient_scope(call, caplog):
    caplog.set_level(logging.INFO, logger="auth0_jwt.security")
    call(view_with(IsAuthenticated & HasScope("a")), scope="b")
    [record] = [r for r in caplog.records if r.name == "auth0_jwt.security"]
    assert (record.event, record.reason) == ("authorization_denied", "insufficient_scope")


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
