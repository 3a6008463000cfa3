"""Work a stateless JSON API request does not need, skipped without changing any response.

Measured on the request path under gunicorn (``make bench``, docs/performance.md):

- Django connects database and cache clean-up to every request's start and end. With no
  database configured (this API keeps no state) and only in-process caches, those receivers
  find nothing to do, yet each walks an ``asgiref.local.Local``: together about a tenth of
  a public request. They are disconnected only in that configuration.
- django-cors-headers reads ``request.headers`` on every request, which builds a dict of all
  headers from the WSGI environ, only to find no ``Origin``. Requests without ``Origin`` (not
  from a browser's cross-origin call) and that are not ``OPTIONS`` get exactly what it would
  do, ``Vary: origin``, without that; all others go through it unchanged.
- Django's session middleware serves one feature here, the browsable API's pasted token
  (``AUTH0_JWT['SESSION_TOKEN']``, off unless ``DEBUG``). While it is off nothing reads or
  writes a session, yet the middleware costs about 6% of an API request (cookie parsing, a
  session object, response checks). It stands aside then; with the feature on it is
  Django's own, unchanged.
- DRF's content negotiation parses the ``Accept`` header into media types and matches each
  renderer against them, also for the clients that send no ``Accept`` or ``*/*`` (curl,
  ``fetch``, wrk). For those, the answer is always the first renderer with its own media
  type; anything else goes through DRF's negotiation unchanged.
"""
from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core import signals
from django.utils.cache import patch_vary_headers
from auth0_jwt._drf.negotiation import DisregardUnsatisfiableAccept
from auth0_jwt._settings import auth0_settings

DUMMY_DATABASE = "django.db.backends.dummy"
# Backends whose close() is BaseCache's no-op.
NO_OP_CLOSE_CACHES = frozenset({"django.core.cache.backends.locmem.LocMemCache",
                                "django.core.cache.backends.dummy.DummyCache"})


def disconnect_idle_request_signals():
    """Drop the per-request DB/cache receivers that cannot do anything in this configuration."""
    from django.core.cache import caches, close_caches
    from django.db import close_old_connections, connections, reset_queries

    if all(db.get("ENGINE") == DUMMY_DATABASE for db in connections.settings.values()):
        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
    if all(cache.get("BACKEND") in NO_OP_CLOSE_CACHES for cache in caches.settings.values()):
        signals.request_finished.disconnect(close_caches)


class FastContentNegotiation(DisregardUnsatisfiableAccept):
    """auth0_jwt's negotiation, with the answer for "anything goes" requests taken directly.

    With no ``Accept`` header, or ``Accept: */*``, and no format override (URL suffix or
    ``?format=``), DRF selects the first renderer and its media type; this returns the same
    pair without parsing. Every other request goes through the parent class (DRF's
    negotiation, JSON where DRF would answer 406).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix is None and renderers and self._accepts_anything(request):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)

    def _accepts_anything(self, request):
        meta = request._request.META
        if meta.get("HTTP_ACCEPT", "*/*").strip() != "*/*":
            return False
        override = self.settings.URL_FORMAT_OVERRIDE
        return not (override and meta.get("QUERY_STRING") and override in request.query_params)



class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers' middleware, with a short path for requests it has nothing to add to.

    For a request without ``Origin`` that is not ``OPTIONS``, the base class only marks the
    request and adds ``Vary: origin`` when CORS is enabled for the path (no CORS header can be
    sent without an ``Origin``); this does the same without reading ``request.headers``.
    """

    def __call__(self, request):
        if (self.async_mode or request.method == "OPTIONS"
                or "HTTP_ORIGIN" in request.META):
            return super().__call__(request)
        request._cors_enabled = enabled = self.is_enabled(request)
        response = self.get_response(request)
        if enabled:
            patch_vary_headers(response, ("origin",))
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """``django.contrib.sessions``' middleware, standing aside while no session is used.

    Only ``auth0_jwt/_drf/session.py`` and the token page use ``request.session``, and both do
    nothing unless ``AUTH0_JWT['SESSION_TOKEN']`` is on (read per request, so a settings
    change applies at once). While it is off, a leftover session cookie is left alone (Django
    would expire an empty session's cookie and add ``Vary: Cookie``).
    """

    def __call__(self, request):
        if auth0_settings.SESSION_TOKEN is True:
            return super().__call__(request)
        return self.get_response(request)  # (a coroutine under ASGI: awaited by the caller)
