"""Project system checks: production settings that must be set before serving."""
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_production_settings(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    problems = []
    if not settings.SECRET_KEY_FROM_ENV:
        problems.append(Error(
            "DJANGO_SECRET_KEY is not set (required when DJANGO_DEBUG is off).",
            hint="Example: DJANGO_SECRET_KEY=$(python -c 'import secrets; "
                 "print(secrets.token_urlsafe(50))')", id="config.E001"))
    if not settings.ALLOWED_HOSTS:
        problems.append(Error(
            "DJANGO_ALLOWED_HOSTS is not set (required when DJANGO_DEBUG is off).",
            hint="Example: DJANGO_ALLOWED_HOSTS=api.example.com", id="config.E002"))
    return problems
