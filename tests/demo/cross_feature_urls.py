"""The demo's routes plus /quoted, whose scope refusal carries a developer's message with a
quote and a backslash (they must be escaped in ``error_description``)."""
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from auth0_jwt import HasScope
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns

QUOTED_MESSAGE = 'Needs the "reader" role \\ ask an admin'


class ReaderScope(HasScope):
    message = QUOTED_MESSAGE


class QuotedView(APIView):
    permission_classes = [ReaderScope("read:reports")]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("quoted", QuotedView.as_view()), *project_urlpatterns]
