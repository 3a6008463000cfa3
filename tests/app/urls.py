"""The routes of the app's test suite: views defined here, one per guard the app offers (none,
a token, a scope, a claim, optional), plus routes for the error table rows no guard triggers.

Paths follow the quickstart's names without its ``/api/`` prefix, so a test reads as the
guard it exercises; the bodies only echo what the view saw.
"""
from django.urls import include, path, re_path
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from auth0_jwt import (ClaimCheck, ClaimEquals, ClaimIncludes, HasRequiredScopes, HasScope,
                       healthz, page_not_found, readyz)


class PublicView(APIView):
    """No authentication at all: credentials, valid or not, are not looked at."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"message": "public"})


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"message": "private", "user": request.user.sub})


class ScopedView(APIView):
    permission_classes = [HasScope("read:messages")]

    def get(self, request):
        return Response({"message": "scoped", "user": request.user.sub,
                         "scope": request.auth.payload.get("scope")})


class RequiredScopesView(APIView):
    """The view-attribute form of a scope requirement."""

    permission_classes = [HasRequiredScopes]
    required_scopes = ["read:messages"]

    def get(self, request):
        return Response({"message": "messages"})


class AdminView(APIView):
    permission_classes = [HasScope("admin:access")]

    def get(self, request):
        return Response({"message": "admin", "userId": request.user.sub})


class OrganizationView(APIView):
    permission_classes = [ClaimEquals("org_id", "org_123")]

    def get(self, request, org_id):
        return Response({"message": "organization"})


class RolesView(APIView):
    permission_classes = [ClaimIncludes("roles", "editor", "viewer")]

    def get(self, request):
        return Response({"message": "roles"})


def is_verified_premium(claims):
    return claims.get("subscription") == "premium" and claims.get("verified") is True


class PremiumView(APIView):
    permission_classes = [ClaimCheck(is_verified_premium,
                                     message="A verified premium subscription is required")]

    def get(self, request):
        return Response({"message": "premium"})


class OptionalView(APIView):
    """Optional authentication: anonymous is fine, but a token that is sent must be valid."""

    permission_classes = [AllowAny]

    def get(self, request):
        if request.auth is None:
            return Response({"message": "Welcome, guest!", "personalizedContent": False})
        return Response({"message": f"Welcome back, {request.user.sub}!",
                         "personalizedContent": True})


class EchoSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10)


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class OncePerDayThrottle(AnonRateThrottle):
    rate = "1/day"
    cache_format = "test-throttle-%(scope)s-%(ident)s"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OncePerDayThrottle]

    def get(self, request):
        return Response({"ok": True})


class BrokenView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internal detail")


class FailingView(APIView):
    """Authenticated (so ``request.auth`` holds the token), then fails unexpectedly."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        raise RuntimeError("unexpected failure after authentication")


class WhoAmIView(APIView):
    """Echoes what a view sees: request.user and request.auth."""

    def get(self, request):
        return Response(self.describe(request))

    def post(self, request):
        return Response(self.describe(request))

    def describe(self, request):
        return {"user": str(request.user), "sub": request.user.sub,
                "is_authenticated": request.user.is_authenticated,
                "payload_sub": request.auth.payload["sub"], "kid": request.auth.header["kid"],
                "token_matches": request.auth.token == request.META.get("HTTP_X_EXPECTED_TOKEN"),
                "scopes": sorted(request.auth.scopes)}


def broken_django_view(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    re_path(r"^public/?$", PublicView.as_view()),
    re_path(r"^private/?$", PrivateView.as_view()),
    re_path(r"^private-scoped/?$", ScopedView.as_view()),
    re_path(r"^messages/?$", RequiredScopesView.as_view()),
    re_path(r"^admin/?$", AdminView.as_view()),
    re_path(r"^org/(?P<org_id>[^/]+)/?$", OrganizationView.as_view()),
    re_path(r"^roles/?$", RolesView.as_view()),
    re_path(r"^premium/?$", PremiumView.as_view()),
    re_path(r"^feed/?$", OptionalView.as_view()),
    path("test/echo", EchoView.as_view()),
    path("test/throttled", ThrottledView.as_view()),
    path("test/broken", BrokenView.as_view()),
    path("test/broken-django", broken_django_view),
    path("test/failing", FailingView.as_view()),
    path("test/whoami", WhoAmIView.as_view()),
    re_path(r"^healthz/?$", healthz),
    re_path(r"^readyz/?$", readyz),
    path("auth/", include("auth0_jwt.urls")),
    re_path(r"", page_not_found),
]

handler400 = "auth0_jwt.bad_request"
handler403 = "auth0_jwt.permission_denied"
handler404 = "auth0_jwt.page_not_found"
handler500 = "auth0_jwt.server_error"
