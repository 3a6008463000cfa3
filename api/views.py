"""The quickstart's routes (Auth0's Express API quickstart), as DRF APIViews.

Authentication is the project default (``Auth0JWTAuthentication``); each view states only who
may call it.
"""
from datetime import datetime, timezone

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt import ClaimCheck, ClaimEquals, ClaimIncludes, HasRequiredScopes, HasScope
from auth0_jwt._settings import auth0_settings

from . import serializers


def timestamp():
    """ISO 8601 in UTC with milliseconds and 'Z', as JavaScript's toISOString()."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def token_scope(request):
    """``{"scope": <the token's scope claim as sent>}``, or ``{}`` when it has none (Express's
    ``JSON.stringify`` drops a missing value the same way)."""
    scope = request.auth.payload.get("scope")
    return {} if scope is None else {"scope": scope}


def is_verified_premium(claims):
    return claims.get("subscription") == "premium" and claims.get("verified") is True


class PublicView(APIView):
    """No authentication at all: credentials, valid or not, are not looked at."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=serializers.PublicMessage)
    def get(self, request):
        return Response({"message": "Hello from a public endpoint! You don't need to be "
                                    "authenticated to see this.", "timestamp": timestamp()})


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=serializers.PrivateMessage)
    def get(self, request):
        return Response({"message": "Hello from a protected endpoint! You successfully "
                                    "authenticated.",
                         "user": request.user.sub, "timestamp": timestamp()})


class PrivateScopedView(APIView):
    permission_classes = [HasScope("read:messages")]

    @extend_schema(responses=serializers.ScopedMessage)
    def get(self, request):
        return Response({"message": "Hello from a scoped endpoint! You have the required "
                                    "permission.",
                         "user": request.user.sub, **token_scope(request),
                         "timestamp": timestamp()})


class MessagesView(APIView):
    """The view-attribute form of a scope requirement (as django-oauth-toolkit's)."""

    permission_classes = [HasRequiredScopes]
    required_scopes = ["read:messages"]

    @extend_schema(responses=serializers.Messages)
    def get(self, request):
        return Response({"messages": [{"id": 1, "text": "Hello!"}, {"id": 2, "text": "World!"}]})


class AdminView(APIView):
    permission_classes = [HasScope("admin:access")]

    @extend_schema(responses=serializers.AdminMessage)
    def get(self, request):
        return Response({"message": "Admin access granted", "userId": request.user.sub})


class OrganizationView(APIView):
    permission_classes = [ClaimEquals("org_id", "org_123")]

    @extend_schema(responses=serializers.Message)
    def get(self, request, org_id):
        return Response({"message": "Organization access granted"})


class RolesView(APIView):
    permission_classes = [ClaimIncludes("roles", "editor", "viewer")]

    @extend_schema(responses=serializers.Message)
    def get(self, request):
        return Response({"message": "Role check passed"})


class PremiumView(APIView):
    permission_classes = [ClaimCheck(is_verified_premium,
                                     message="A verified premium subscription is required")]

    @extend_schema(responses=serializers.Message)
    def get(self, request):
        return Response({"message": "Premium feature access granted"})


class FeedView(APIView):
    """Optional authentication: anonymous is fine, but a token that is sent must be valid."""

    permission_classes = [AllowAny]

    @extend_schema(responses=serializers.Feed)
    def get(self, request):
        if request.auth is None:
            return Response({"message": "Welcome, guest!", "personalizedContent": False})
        return Response({"message": f"Welcome back, {request.user.sub}!",
                         "personalizedContent": True})


# The API root's table: each route of api/urls.py (by name), its example arguments and what it
# asks of the caller, as the quickstart's README lists them.
ROUTES = [
    ("public", {}, "nothing"),
    ("private", {}, "a valid access token"),
    ("private-scoped", {}, "a token with scope read:messages"),
    ("messages", {}, "a token with scope read:messages"),
    ("admin", {}, "a token with scope admin:access"),
    ("org", {"org_id": "org_123"}, "a token whose org_id claim is org_123"),
    ("roles", {}, "a token whose roles claim includes editor and viewer"),
    ("premium", {}, "a token with subscription premium and verified true"),
    ("feed", {}, "nothing; a valid token personalises the answer"),
]


class ApiRootView(APIView):
    """``/`` and ``/api/``: the routes of this API, each with what it asks of the caller, and
    where the docs and tokens come from; JSON, or the browsable API's page in a browser."""

    name = "API root"
    description = ("The routes of this API, each with what it asks of the caller, and where "
                   "its documentation is.")
    authentication_classes = []
    permission_classes = [AllowAny]
    # An index of the schema's routes, not one of them; and left out before the schema's path
    # prefix is worked out, so the operations keep their names (private_retrieve...).
    schema = None

    def get(self, request):
        def url(name, **kwargs):
            return request.build_absolute_uri(reverse(name, kwargs=kwargs))

        body = {"message": "The demo API: send an access token as 'Authorization: Bearer "
                           "<token>'.",
                "routes": [{"url": url(name, **kwargs), "requires": requires}
                           for name, kwargs, requires in ROUTES],
                "docs": url("docs"), "schema": url("schema")}
        if auth0_settings.uses_local_issuer:
            body["tokens"] = ("Local issuer: make token ARGS='--scope read:messages' "
                              "(python manage.py mint_token)")
        if auth0_settings.SESSION_TOKEN:
            body["token_page"] = url("auth0_jwt:token")
        return Response(body)
