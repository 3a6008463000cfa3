"""``ClientErrorMiddleware``: no request a client can craft turns into a 500 or a traceback.

Put it near the top of ``MIDDLEWARE`` (after CORS, before Django's ``SecurityMiddleware`` and
``CommonMiddleware``)::

    MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware",
                  "auth0_jwt.ClientErrorMiddleware", ...]

DRF views are covered by the exception handler already; this covers the rest of the request:
the ``Host`` header (read by Django's middleware before any view), a form body read by
``CsrfViewMiddleware``, and Django views (the token page, health probes...). Each refusal is
a 400 ``invalid_request`` with one WARNING line (``client_errors.py``).
"""
from django.core.exceptions import DisallowedHost

from auth0_jwt._drf import client_errors


class ClientErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            host = request.get_host()
        except DisallowedHost as exc:
            return client_errors.response_for(exc, request)
        # Django validates the Host again on each get_host() call (about 5 us each: the
        # common, security and CSRF middleware and DRF all ask). It is validated now and
        # cannot change during the request, so later calls get the answer directly.
        request.get_host = lambda: host
        return self.get_response(request)

    def process_view(self, request, callback, callback_args, callback_kwargs):
        # CsrfViewMiddleware reads the form body of a POST to a view that is not exempt,
        # before the view runs, where process_exception does not reach: read it here first
        # (it is parsed once either way).
        if request.method == "POST" and not getattr(callback, "csrf_exempt", False):
            try:
                request.POST
            except client_errors.CLIENT_ERRORS as exc:
                return client_errors.response_for(exc, request)
        return None

    def process_exception(self, request, exception):
        if client_errors.is_client_error(exception):
            return client_errors.response_for(exception, request)
        return None
