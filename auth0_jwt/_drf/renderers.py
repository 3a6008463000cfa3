"""The browsable API with a navbar for the session-held token (see ``session.py``)."""
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API; the navbar links to "Use a token", or shows the held token's
    ``sub`` and scopes with a "Forget token" button."""

    template = "auth0_jwt/browsable_api.html"
