from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Registers the project's own system checks (secret key, allowed hosts)."""

    name = "config"
    verbose_name = "Project configuration"

    def ready(self):
        from . import checks  # noqa: F401
