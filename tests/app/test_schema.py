"""auth0_jwt.AutoSchema (the ``openapi`` extra) without the demo: drf-spectacular's generator
over the test app's views, each guard described as its permission classes say."""
import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema

from tests.app import urls as views
from tests.keys import AUDIENCE, ISSUER


def described(view):
    """The test view with a response body declared (drf-spectacular cannot guess an APIView's,
    and would warn); its guard, the part under test, is unchanged. Called once the schema class
    is set: ``extend_schema`` subclasses the schema class of the moment."""
    get = extend_schema(responses={200: OpenApiTypes.OBJECT})(view.get)
    return type(view.__name__, (view,), {"get": get}).as_view()


def patterns():
    return [
        path("public", described(views.PublicView)),
        path("private", described(views.PrivateView)),
        path("scoped", described(views.ScopedView)),
        path("messages", described(views.RequiredScopesView)),
        path("admin", described(views.AdminView)),
        path("org/<str:org_id>", described(views.OrganizationView)),
        path("feed", described(views.OptionalView)),
    ]


@pytest.fixture
def generate(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_SCHEMA_CLASS": "auth0_jwt.AutoSchema"}

    def schema():
        return SchemaGenerator(patterns=patterns()).get_schema(request=None, public=True)

    return schema


@pytest.fixture
def schema(generate, auth0_settings):
    return generate()


def operation(schema, route):
    return schema["paths"][route]["get"]


def test_bearer_security_scheme_on_protected_routes_only(schema):
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert {k: scheme[k] for k in ("type", "scheme", "bearerFormat")} == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert operation(schema, "/private")["security"] == [{"bearerAuth": []}]
    assert operation(schema, "/feed")["security"] == [{"bearerAuth": []}, {}]  # optional
    assert operation(schema, "/public")["security"] == [{}]
    assert set(operation(schema, "/public")["responses"]) == {"200"}


@pytest.mark.parametrize("route, scopes", [("/scoped", ["read:messages"]),
                                           ("/messages", ["read:messages"]),
                                           ("/admin", ["admin:access"])])
def test_required_scopes_are_stated_for_both_forms_of_scope_requirement(schema, route, scopes):
    op = operation(schema, route)
    assert op["x-required-scopes"] == scopes
    assert f"Requires scope `{scopes[0]}`." in op["description"]
    forbidden = op["responses"]["403"]["content"]["application/json"]["examples"]
    assert forbidden["insufficient_scope"]["value"] == {
        "error": "insufficient_scope", "message": "Insufficient scope", "required_scopes": scopes}
    assert "WWW-Authenticate" in op["responses"]["403"]["headers"]


def test_error_bodies_are_documented(schema):
    responses = operation(schema, "/private")["responses"]
    assert set(responses) == {"200", "400", "401", "503"}
    examples = responses["401"]["content"]["application/json"]["examples"]
    assert examples["unauthorized"]["value"] == {"error": "unauthorized",
                                                 "message": "Authentication required"}
    assert responses["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["error", "message"]


def test_a_claim_check_is_described_with_its_403(schema):
    org = operation(schema, "/org/{org_id}")
    assert org["responses"]["403"]["content"]["application/json"]["examples"]["forbidden"][
        "value"] == {"error": "forbidden",
                     "message": "Claim 'org_id' does not have the required value"}
    assert "claim `org_id` must equal `\"org_123\"`" in org["description"]


def test_the_bearer_scheme_names_the_issuer_and_audience_a_token_comes_from(schema):
    description = schema["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert f"from `{ISSUER}` for the audience `{AUDIENCE}`" in description
    assert "without `Bearer `" in description


def test_the_bearer_scheme_names_mint_token_on_the_local_issuer(generate, local_settings):
    description = generate()["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert "`python manage.py mint_token --scope \"read:messages\"`" in description
    assert "without `Bearer `" in description
