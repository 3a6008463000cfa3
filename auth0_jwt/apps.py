from django.apps import AppConfig
from django.core.signals import setting_changed


class Auth0JWTConfig(AppConfig):
    name = "auth0_jwt"
    verbose_name = "Auth0 JWT"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from auth0_jwt._ops import checks  # noqa: F401  (registers the system checks)

        register_schema_extensions()

        setting_changed.connect(reload_on_change, dispatch_uid="auth0_jwt.reload")


def register_schema_extensions():
    """drf-spectacular is optional: its extensions register when the module is imported."""
    try:
        import drf_spectacular  # noqa: F401
    except ImportError:
        return
    from auth0_jwt._drf import schema  # noqa: F401


def reload_on_change(*, setting, **kwargs):
    # DEBUG too: the local issuer's key is only ever trusted while DEBUG is on.
    if setting in ("AUTH0_JWT", "REST_FRAMEWORK", "CACHES", "SECRET_KEY", "DEBUG"):
        from auth0_jwt._ops import runtime
        from auth0_jwt._settings import auth0_settings

        auth0_settings.reload()
        runtime.reset()
