"""Django-level error views in the same JSON shape, for errors raised outside DRF views.

Wire them in the project's root URLconf::

    handler400 = "auth0_jwt._drf.views.bad_request"
    handler403 = "auth0_jwt._drf.views.permission_denied"
    handler404 = "auth0_jwt._drf.views.page_not_found"
    handler500 = "auth0_jwt._drf.views.server_error"

and end ``urlpatterns`` with ``re_path(r"", page_not_found)`` so unknown routes answer JSON
even with ``DEBUG`` on (Django's debug 404 page would otherwise replace ``handler404``).
"""
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from auth0_jwt._drf import client_errors


def json_error(status, code, message):
    return JsonResponse({"error": code, "message": message}, status=status)


def bad_request(request, exception=None):
    """Django's 400 (a ``SuspiciousOperation`` or ``BadRequest`` that reached Django's own
    handling): the same body ``ClientErrorMiddleware`` gives."""
    body = client_errors.body_for(exception)
    return json_error(400, body["error"], body["message"])


def permission_denied(request, exception=None):
    return json_error(403, "forbidden", "Forbidden")


@csrf_exempt
def page_not_found(request, exception=None, **kwargs):
    return json_error(404, "not_found", "Not found")


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the reason stays in Django's log, not in the body."""
    return json_error(403, "forbidden", "Forbidden")


def server_error(request):
    return json_error(500, "server_error", "Internal Server Error")
