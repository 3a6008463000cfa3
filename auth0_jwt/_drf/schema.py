"""OpenAPI (drf-spectacular): the bearer scheme, each route's scopes, and the error bodies.

Set ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "auth0_jwt._drf.schema.AutoSchema"``. Every
operation that reads a token gets ``security: [{bearerAuth: []}]``, its required scopes (in
the description and ``x-required-scopes``; OpenAPI 3.0 allows scopes only for OAuth2 schemes)
and the documented error responses (docs/errors.md), with ``WWW-Authenticate`` on 400/401/403.
Imported only when drf-spectacular is installed.
"""
import json

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions, serializers

from auth0_jwt._drf.authentication import Auth0JWTAuthentication
from auth0_jwt._drf.permissions import (ClaimCheck, ClaimEquals, ClaimIncludes, HasAnyScope,
                          HasRequiredScopes, HasScope)
from auth0_jwt._settings import auth0_settings

SCHEME = "bearerAuth"


class Auth0JWTScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <access token>`` (RFC 6750), an RS256 JWT."""

    target_class = "auth0_jwt._drf.authentication.Auth0JWTAuthentication"
    match_subclasses = True
    name = SCHEME

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": token_source() + " " + PASTE_HINT}


# Swagger UI adds the scheme itself: a pasted "Bearer eyJ..." would be sent as "Bearer Bearer".
PASTE_HINT = ("Paste the token alone, without `Bearer `: it is sent as "
              "`Authorization: Bearer <token>`.")


def token_source():
    """Where a token for this API comes from, for the "Authorize" dialog of Swagger UI."""
    if auth0_settings.uses_local_issuer:
        return ("An access token from the local issuer (development, no tenant): "
                "`python manage.py mint_token --scope \"read:messages\"` prints one.")
    issuer = auth0_settings.issuer or "your tenant"
    audience = ", ".join(f"`{a}`" for a in auth0_settings.audiences) or "this API's identifier"
    return (f"An access token (RS256 JWT) from `{issuer}` for the audience {audience}: the "
            "Auth0 Dashboard shows a test token (Applications > APIs > your API > Test), and "
            "an application gets one with a client-credentials request to the tenant's "
            "`/oauth/token` endpoint.")


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """The session-held token is a browser convenience, not part of the API contract."""

    target_class = "auth0_jwt._drf.session.SessionTokenAuthentication"
    name = "sessionToken"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}

    def get_security_requirement(self, auto_schema):
        return None


class ErrorSerializer(serializers.Serializer):
    """The one error body of every route (docs/errors.md)."""

    error = serializers.CharField(help_text="machine-readable code, e.g. invalid_token")
    message = serializers.CharField(help_text="what failed, safe to show")
    required_scopes = serializers.ListField(child=serializers.CharField(), required=False,
                                            help_text="only with insufficient_scope")


def error_body(code, message, **extra):
    return {"error": code, "message": message, **extra}


CHALLENGE = {"WWW-Authenticate": {"schema": {"type": "string"}, "description":
                                  'RFC 6750 challenge, e.g. Bearer realm="api", '
                                  'error="invalid_token", error_description="Token expired"'}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}


class Requirements:
    """What a view's permissions ask of the token: scopes (all / any) and claim rules."""

    def __init__(self, view):
        self.all_scopes, self.any_scopes, self.claim_rules, self.messages = [], [], [], []
        self.authenticated = False
        for permission in view.get_permissions():
            self.add(permission, view)

    def add(self, permission, view):
        if isinstance(permission, (ClaimEquals, ClaimIncludes, ClaimCheck)):
            self.messages.append(permission.message)
        if isinstance(permission, permissions.AND):
            self.add(permission.op1, view)
            self.add(permission.op2, view)
        elif isinstance(permission, HasAnyScope):
            self.any_scopes += permission.required_scopes
        elif isinstance(permission, HasScope):
            self.all_scopes += permission.required_scopes
        elif isinstance(permission, HasRequiredScopes):
            self.all_scopes += list(getattr(view, "required_scopes", None) or ())
        elif isinstance(permission, ClaimEquals):
            self.claim_rules.append(f"claim `{permission.name}` must equal "
                                    f"`{json.dumps(permission.expected)}`")
        elif isinstance(permission, ClaimIncludes):
            self.claim_rules.append(f"claim `{permission.name}` must include "
                                    + ", ".join(f"`{json.dumps(v)}`" for v in permission.values))
        elif isinstance(permission, ClaimCheck):
            self.claim_rules.append(permission.message)
        elif isinstance(permission, (permissions.OR, permissions.NOT)):
            self.claim_rules.append("a combined rule on scopes and claims")
        if not isinstance(permission, permissions.AllowAny):
            self.authenticated = True

    @property
    def scopes(self):
        return self.all_scopes + self.any_scopes


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the token requirements and error responses."""

    def reads_tokens(self):
        return any(isinstance(a, Auth0JWTAuthentication) for a in self.view.get_authenticators())

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self.reads_tokens():
            scopes = Requirements(self.view).scopes
            if scopes:
                operation["x-required-scopes"] = scopes
        return operation

    def get_description(self):
        description = super().get_description() or ""
        if not self.reads_tokens():
            return description
        need = Requirements(self.view)
        lines = []
        if need.all_scopes:
            lines.append("Requires scope " + ", ".join(f"`{s}`" for s in need.all_scopes) + ".")
        if need.any_scopes:
            lines.append("Requires one of the scopes "
                         + ", ".join(f"`{s}`" for s in need.any_scopes) + ".")
        for rule in need.claim_rules:
            lines.append(f"Requires: {rule} (else 403 `forbidden`).")
        if not need.authenticated:
            lines.append("The token is optional, but a token that is sent must be valid.")
        return "\n\n".join(filter(None, [description, *lines]))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response" and self.reads_tokens():
            for code, (description, examples, headers) in self.error_responses().items():
                responses.setdefault(code, self.error_response(description, examples, headers))
        return responses

    def error_response(self, description, examples, headers):
        response = self._get_response_for_code(ErrorSerializer, "400")
        response["description"] = description
        response["content"]["application/json"]["examples"] = {
            name: {"value": value} for name, value in examples.items()}
        if headers:
            response["headers"] = headers
        return response

    def error_responses(self):
        need = Requirements(self.view)
        errors = {
            "400": ("Malformed Authorization header, or a token sent twice", {
                "invalid_request": error_body("invalid_request", "Bearer token is missing")},
                CHALLENGE),
            "401": ("No token, or a token that fails a check", {
                **({"unauthorized": error_body("unauthorized", "Authentication required")}
                   if need.authenticated else {}),
                "invalid_token": error_body("invalid_token", "Token expired")}, CHALLENGE),
        }
        forbidden = {}
        if need.scopes:
            forbidden["insufficient_scope"] = error_body(
                "insufficient_scope", "Insufficient scope", required_scopes=need.scopes)
        if need.claim_rules:
            forbidden["forbidden"] = error_body("forbidden", (need.messages or ["Forbidden"])[0])
        if forbidden:
            errors["403"] = ("The token is valid but lacks a scope or claim", forbidden,
                             CHALLENGE if need.scopes else None)
        errors["503"] = ("The issuer's signing keys cannot be fetched", {
            "temporarily_unavailable": error_body(
                "temporarily_unavailable", "Signing keys are temporarily unavailable")},
            RETRY_AFTER)
        return errors
