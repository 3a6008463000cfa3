from pathlib import Path

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Registers the project's system checks; drops per-request work it cannot need."""

    name = "config"
    verbose_name = "Project configuration"

    def ready(self):
        from . import checks  # noqa: F401
        from .fastpath import disconnect_idle_request_signals

        disconnect_idle_request_signals()
        create_session_folder()


def create_session_folder():
    """The file session engine needs its folder; created owner-only, as the local issuer's key
    folder is, and only when the token page (the one user of sessions) is on."""
    from django.conf import settings

    from auth0_jwt._settings import auth0_settings

    if (settings.SESSION_ENGINE == "django.contrib.sessions.backends.file"
            and auth0_settings.SESSION_TOKEN is True):
        try:
            Path(settings.SESSION_FILE_PATH).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            pass  # config.E007 names the folder and stops startup
