"""WSGI entry point (gunicorn config.wsgi): checks the configuration before serving."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.startup import exit_on_configuration_errors  # noqa: E402  (needs Django set up)

exit_on_configuration_errors()
