"""Project system checks: production settings that must be set before serving."""
import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register

from .logs import FORMATTERS, LEVELS


@register(Tags.security)
def check_logging(app_configs=None, **kwargs):
    problems = []
    if settings.LOG_FORMAT not in FORMATTERS:
        problems.append(Error(
            f"DJANGO_LOG_FORMAT must be one of {', '.join(FORMATTERS)}.",
            hint="Example: DJANGO_LOG_FORMAT=json", id="config.E004"))
    if settings.LOG_LEVEL not in LEVELS:
        problems.append(Error(
            f"DJANGO_LOG_LEVEL must be one of {', '.join(LEVELS)}.",
            hint="Example: DJANGO_LOG_LEVEL=INFO", id="config.E005"))
    interval = settings.LOG_SUMMARY_INTERVAL
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        problems.append(Error(
            "DJANGO_LOG_SUMMARY_INTERVAL must be a number of seconds above 0.",
            hint="Example: DJANGO_LOG_SUMMARY_INTERVAL=60", id="config.E008"))
    return problems


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
    problems += check_hsts()
    return problems


def check_hsts():
    seconds = settings.SECURE_HSTS_SECONDS
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds >= 0:
        return []
    return [Error("DJANGO_SECURE_HSTS_SECONDS must be a whole number of seconds.",
                  hint="Example: DJANGO_SECURE_HSTS_SECONDS=31536000", id="config.E006")]


@register(Tags.security)
def check_session_folder(app_configs=None, **kwargs):
    """The token page keeps sessions in files (config/settings.py): the folder must be usable."""
    from auth0_jwt._settings import auth0_settings

    if (settings.SESSION_ENGINE != "django.contrib.sessions.backends.file"
            or auth0_settings.SESSION_TOKEN is not True):
        return []
    folder = Path(settings.SESSION_FILE_PATH)
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return []
    return [Error(f"The session folder {folder} is not a writable directory (the token page "
                  "keeps its sessions there).",
                  hint="Example: DJANGO_SESSION_FILE_PATH=/var/lib/api/sessions, or set "
                       "CACHE_URL to keep sessions in a shared cache", id="config.E007")]
