"""Log formats for the app and gunicorn: one line per record, plain or JSON, tokens redacted.

No Django imports: gunicorn's master process imports this (``config/gunicorn_logging.py``)
and must not load Django, or workers forked after a ``HUP`` would keep the old code.

Records carry their facts as ``extra={...}`` fields (``reason``, ``route``, ``kid``...): the
JSON format writes them as keys, the plain format appends them as ``key=value``. Whatever the
format, the finished line goes through ``redact``: a bearer token, a JWT-shaped string or a
sensitive query parameter never reaches the output, even inside a traceback.
"""
import json
import logging
import re
from copy import deepcopy
from datetime import datetime, timezone

from django.utils.log import DEFAULT_LOGGING, ServerFormatter

REDACTED = "[redacted]"
# Query parameters whose values are credentials (RFC 6750 section 2.3 names access_token).
SENSITIVE_PARAMETERS = ("access_token", "id_token", "refresh_token", "token", "client_secret",
                        "code", "password", "api_key")
_PATTERNS = (
    # A compact JWS/JWE: its header is base64url JSON, so it starts with "eyJ" ('{"').
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_.~+/=-]*"), REDACTED),
    # An Authorization value, whatever the scheme's case (RFC 7235: case-insensitive).
    # (An auth-param such as realm="api" in a challenge is not a credential.)
    (re.compile(r"(?i)\b(bearer)(\s+)(?![A-Za-z_]+=\")[^\s\"',;]+"), r"\1\2" + REDACTED),
    (re.compile(r"\b(Basic)(\s+)[A-Za-z0-9+/]{8,}=*"), r"\1\2" + REDACTED),
    # name=value in a query string, form body or log line.
    (re.compile(r"(?i)(?<![A-Za-z0-9_])(" + "|".join(SENSITIVE_PARAMETERS)
                + r")(=|%3D)[^&\s\"',;]*"), r"\1\2" + REDACTED),
)
# Every pattern above needs one of these words in the text: an ASCII line that has none of
# them, in any case, holds nothing to redact. Almost no log line has one, so most lines cost
# one lower() and a few substring tests instead of four regular-expression scans. (Not for
# other text: case-insensitive matching pairs a few non-ASCII letters, such as the dotless
# "ı", with ASCII ones that lower() leaves apart.)
_TRIGGERS = ("eyj", "bearer", "basic") + SENSITIVE_PARAMETERS
# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def redact(text):
    """``text`` with credentials replaced by ``[redacted]``."""
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in _TRIGGERS):
            return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def extra_fields(record):
    """The ``extra={...}`` fields of a record, in the order they were given."""
    return {key: value for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")}


class PlainFormatter(logging.Formatter):
    """``2026-01-31 12:00:00,123 WARNING logger message key=value ...``, redacted."""

    default_format = "%(asctime)s %(levelname)s %(name)s %(message)s"

    def __init__(self, fmt=None, datefmt=None, style="%", **kwargs):
        super().__init__(fmt or self.default_format, datefmt, style, **kwargs)

    def format(self, record):
        line = super().format(record)
        fields = " ".join(f"{key}={_plain_value(value)}"
                          for key, value in extra_fields(record).items())
        if fields:
            head, newline, rest = line.partition("\n")  # keep a traceback below the fields
            line = f"{head} {fields}{newline}{rest}"
        return redact(line)


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, the extra
    fields, and ``exc_info`` (the traceback as text) when there is one; redacted."""

    def format(self, record):
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                 .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        # ensure_ascii: a control character in a field can never split the line.
        return redact(json.dumps(entry, default=str, ensure_ascii=True))


class RunserverFormatter(ServerFormatter):
    """runserver's request lines in Django's own format, redacted like every other line (a
    query-string token would otherwise be written as sent)."""

    def format(self, record):
        return redact(super().format(record))


FORMATTERS = {"plain": PlainFormatter, "json": JSONFormatter}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def logging_config(level="INFO", fmt="plain", summary_interval=60):
    """A ``LOGGING`` dict: every record to stderr, in ``fmt`` ("plain" or "json").

    ``django.request`` is raised to ERROR: it would add an unstructured "Unauthorized: /path"
    line beside the ``auth0_jwt.security`` line for every 4xx.

    Per-request lines are limited by ``auth0_jwt``'s filters, each writing the count of what
    it held back once per ``summary_interval`` seconds: refusals (10 per reason), the 503s of
    the error contract on ``django.request`` (counted only; a genuine 500 is always
    written) and repeated messages of the authentication class.
    """
    # An unknown value falls back here; config/checks.py then stops startup naming it.
    formatter = FORMATTERS.get(fmt, PlainFormatter)
    level = level if level in LEVELS else "INFO"
    interval = summary_interval if _is_positive(summary_interval) else 60
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"},
                       "django.server": {**DEFAULT_LOGGING["formatters"]["django.server"],
                                         "()": f"{__name__}.RunserverFormatter"}},
        "filters": {
            "refusals": {"()": "auth0_jwt.RefusalLogLimit", "interval": interval},
            "responses": {"()": "auth0_jwt.ResponseLogLimit", "interval": interval},
            "repeats": {"()": "auth0_jwt.RepeatLogLimit", "interval": interval},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"},
                     "django.server": deepcopy(DEFAULT_LOGGING["handlers"]["django.server"])},
        "root": {"handlers": ["console"], "level": level},
        # Django's default LOGGING gives "django" its own console handler under DEBUG: with
        # the root's, every django.* line (a refused Host...) was written twice, once raw.
        # Configuring "django" resets its existing children (logging.config does), so
        # runserver's request lines ("django.server") are declared again as Django has them.
        "loggers": {"django": {"handlers": []},
                    "django.server": deepcopy(DEFAULT_LOGGING["loggers"]["django.server"]),
                    "django.request": {"level": "ERROR", "filters": ["responses"]},
                    "auth0_jwt.security": {"filters": ["refusals"]},
                    "auth0_jwt.authentication": {"filters": ["repeats"]}},
    }


def _is_positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _plain_value(value):
    text = str(value)
    if text and not re.search(r"[\s\"=\\]", text):
        return text
    return json.dumps(text, ensure_ascii=True)
