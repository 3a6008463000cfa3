from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Registers the project's system checks; drops per-request work it cannot need."""

    name = "config"
    verbose_name = "Project configuration"

    def ready(self):
        from . import checks  # noqa: F401
        from .fastpath import disconnect_idle_request_signals

        disconnect_idle_request_signals()
