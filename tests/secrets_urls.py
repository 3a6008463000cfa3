"""The project's URLs plus a protected view that fails, for the 500 path of the secrets tests."""
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns


class FailingView(APIView):
    """Authenticated (so ``request.auth`` holds the token), then fails unexpectedly."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        raise RuntimeError("unexpected failure after authentication")


urlpatterns = [path("failing", FailingView.as_view()), *project_urlpatterns]
