"""Test-only routes for the error table rows the demo API cannot trigger."""
from django.urls import include, path, re_path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from auth0_jwt._drf.views import page_not_found


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
    path("test/echo", EchoView.as_view()),
    path("test/throttled", ThrottledView.as_view()),
    path("test/broken", BrokenView.as_view()),
    path("test/broken-django", broken_django_view),
    path("test/whoami", WhoAmIView.as_view()),
    path("", include("config.urls")),
    re_path(r"", page_not_found),
]

handler400 = "auth0_jwt._drf.views.bad_request"
handler404 = "auth0_jwt._drf.views.page_not_found"
handler500 = "auth0_jwt._drf.views.server_error"
