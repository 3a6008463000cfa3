"""Content negotiation that never lets a 406 hide the 401/403 a client must see."""
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class DisregardUnsatisfiableAccept(DefaultContentNegotiation):
    """DRF's negotiation, except that an ``Accept`` header no renderer can satisfy gets the
    first renderer (JSON) instead of a 406.

    DRF negotiates before it authenticates, so with its default a browser's
    ``Accept: text/html`` on a protected JSON-only route is answered 406, not 401. RFC 9110
    section 12.5.1 lets a server disregard ``Accept``. An unknown ``?format=`` or URL suffix
    is still DRF's 404. Set ``REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]`` to this
    class (or a subclass).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type
