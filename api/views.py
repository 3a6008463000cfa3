"""The quickstart's routes (Auth0's Express API quickstart), as DRF APIViews.

Authentication is the project default (``Auth0JWTAuthentication``); each view states only who
may call it.
"""
from datetime import datetime, timezone

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt.permissions import ClaimCheck, ClaimEquals, ClaimIncludes, HasRequiredScopes, HasScope

from . import serializers


def timestamp():
    """ISO 8601 in UTC with milliseconds and 'Z', as JavaScript's toISOString()."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def principal_body(request, message, **extra):
    return {"message": message, "user": request.user.sub,
            "scope": " ".join(sorted(request.auth.scopes)), "timestamp": timestamp(), **extra}


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

    @extend_schema(responses=serializers.PrincipalMessage)
    def get(self, request):
        return Response(principal_body(request, "Hello from a private endpoint! You need to be "
                                                "authenticated to see this."))


class PrivateScopedView(APIView):
    permission_classes = [HasScope("read:messages")]

    @extend_schema(responses=serializers.PrincipalMessage)
    def get(self, request):
        return Response(principal_body(request, "Hello from a private endpoint! You need to be "
                                                "authenticated and have a scope of read:messages "
                                                "to see this."))


class MessagesView(APIView):
    """The view-attribute form of a scope requirement (as django-oauth-toolkit's)."""

    permission_classes = [HasRequiredScopes]
    required_scopes = ["read:messages"]

    @extend_schema(responses=serializers.Messages)
    def get(self, request):
        return Response(principal_body(request, "Here are your messages.",
                                       messages=[{"id": 1, "text": "Hello from the API"}]))


class AdminView(APIView):
    permission_classes = [HasScope("admin:access")]

    @extend_schema(responses=serializers.PrincipalMessage)
    def get(self, request):
        return Response(principal_body(request, "Hello, admin! You have the admin:access scope."))


class OrganizationView(APIView):
    permission_classes = [ClaimEquals("org_id", "org_123")]

    @extend_schema(responses=serializers.OrganizationMessage)
    def get(self, request, org_id):
        return Response(principal_body(request, "Hello, member of organization org_123!",
                                       org_id=org_id))


class RolesView(APIView):
    permission_classes = [ClaimIncludes("roles", "editor", "viewer")]

    @extend_schema(responses=serializers.PrincipalMessage)
    def get(self, request):
        return Response(principal_body(request, "Hello! Your token has the editor and viewer "
                                                "roles."))


class PremiumView(APIView):
    permission_classes = [ClaimCheck(is_verified_premium,
                                     message="A verified premium subscription is required")]

    @extend_schema(responses=serializers.PrincipalMessage)
    def get(self, request):
        return Response(principal_body(request, "Hello, verified premium subscriber!"))


class FeedView(APIView):
    """Optional authentication: anonymous is fine, but a token that is sent must be valid."""

    permission_classes = [AllowAny]

    @extend_schema(responses=serializers.Feed)
    def get(self, request):
        if request.auth is None:
            return Response({"message": "Here is the public feed. Send a token to get yours.",
                             "personalized": False, "timestamp": timestamp()})
        return Response(principal_body(request, f"Here is your feed, {request.user.sub}.",
                                       personalized=True))
