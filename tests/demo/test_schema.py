"""The OpenAPI schema and Swagger UI: every route, its bearer scheme, scopes and errors."""
import re

import pytest

from api.urls import urlpatterns

SCHEMA = "/api/schema?format=json"


@pytest.fixture
def schema(client):
    response = client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return response.json()


def operation(schema, path):
    return schema["paths"][path]["get"]


def test_every_api_route_is_described(schema):
    expected = {"/api/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", p.pattern.regex.pattern)
                .strip("^$").removesuffix("/?") for p in urlpatterns}
    assert set(schema["paths"]) == expected


def test_the_demo_routes_carry_their_guards_in_the_schema(schema):
    """How guards become security, scopes and error examples is the app's (tests/app);
    here, that each demo route states its own."""
    assert operation(schema, "/api/private")["security"] == [{"bearerAuth": []}]
    assert operation(schema, "/api/feed")["security"] == [{"bearerAuth": []}, {}]  # optional
    assert operation(schema, "/api/public")["security"] == [{}]
    for path, scopes in [("/api/private-scoped", ["read:messages"]),
                         ("/api/messages", ["read:messages"]), ("/api/admin", ["admin:access"])]:
        assert operation(schema, path)["x-required-scopes"] == scopes, path
    org = operation(schema, "/api/org/{org_id}")
    assert org["responses"]["403"]["content"]["application/json"]["examples"]["forbidden"][
        "value"] == {"error": "forbidden",
                     "message": "Claim 'org_id' does not have the required value"}
    assert "claim `org_id` must equal `\"org_123\"`" in org["description"]


def test_docs_are_public_even_with_a_bad_token(client):
    response = client.get(SCHEMA, HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 200


def test_swagger_ui_loads_its_assets_from_this_server(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    # Hashed (swagger-ui-bundle.<hash>.js) once `make serve` has run collectstatic.
    assert re.search(r"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle"
                     r"(\.[0-9a-f]{12})?\.js", page)
    assert not re.search(r"""(src|href)=["']https?://""", page)  # no CDN: works offline


def bearer_description(client):
    response = client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()["components"]["securitySchemes"]["bearerAuth"]["description"]


def test_authorize_dialog_says_where_a_tenant_token_comes_from_and_to_paste_it_bare(
        client, auth0_settings):
    description = bearer_description(client)
    assert "from `https://tenant.test.example/` for the audience `https://api.test.example`" \
        in description
    assert "Auth0 Dashboard" in description and "client-credentials" in description
    assert "Paste the token alone, without `Bearer `" in description


def test_authorize_dialog_names_mint_token_on_the_local_issuer(client, local_settings):
    description = bearer_description(client)
    assert "`python manage.py mint_token --scope \"read:messages\"`" in description
    assert "without `Bearer `" in description


def test_operations_are_named_after_their_route_not_a_common_prefix(schema):
    # Swagger UI's anchors (#operations-private-private_retrieve) and client generators use them.
    assert operation(schema, "/api/private")["operationId"] == "private_retrieve"
    assert operation(schema, "/api/private")["tags"] == ["private"]
