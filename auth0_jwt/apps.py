from django.apps import AppConfig
from django.core.signals import setting_changed


class Auth0JWTConfig(AppConfig):
    name = "auth0_jwt"
    verbose_name = "Auth0 JWT"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)

        setting_changed.connect(reload_on_change, dispatch_uid="auth0_jwt.reload")


def reload_on_change(*, setting, **kwargs):
    if setting in ("AUTH0_JWT", "REST_FRAMEWORK", "CACHES", "SECRET_KEY"):
        from . import runtime
        from .settings import auth0_settings

        auth0_settings.reload()
        runtime.reset()
