"""The demo's routes plus /partner, protected by an authentication class with its own
audience (settings per authentication class), for tests/demo/test_sdk_gunicorn.py."""
import os

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt import Auth0JWTAuthentication
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns


class PartnerAuthentication(Auth0JWTAuthentication):
    auth0_jwt_settings = {"AUDIENCE": os.environ.get("SDK_TEST_PARTNER_AUDIENCE", "")}


class PartnerView(APIView):
    authentication_classes = [PartnerAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"partner": request.user.sub})


urlpatterns = [path("partner", PartnerView.as_view()), *project_urlpatterns]
