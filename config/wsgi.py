"""WSGI entry point (gunicorn config.wsgi): checks the configuration before serving."""
import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.startup import exit_on_configuration_errors  # noqa: E402  (needs Django set up)

exit_on_configuration_errors()

# Everything loaded so far (Django, DRF, the URL map: ~70,000 objects) lives as long as the
# process. Frozen, the garbage collector stops walking it in every full collection, which
# each request's short-lived reference cycles (DRF's request <-> view <-> response) and the
# token cache's entries trigger: GC time per request about halves (docs/performance.md).
gc.freeze()
