"""config/logs.py: plain and JSON formats, extra fields, and tokens redacted everywhere."""
import json
import logging
import logging.config
import re
import sys

import pytest

from config.logs import (JSONFormatter, PlainFormatter,
                         logging_config, redact)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def record(message, *args, level=logging.WARNING, exc_info=None, **extra):
    rec = logging.LogRecord("auth0_jwt.security", level, __file__, 1, message, args, exc_info)
    rec.__dict__.update(extra)
    return rec


@pytest.mark.parametrize("text, expected", [
    (f"Authorization: Bearer {JWT}", "Authorization: Bearer [redacted]"),
    ("authorization: bearer   opaque-token-value x", "authorization: bearer   [redacted] x"),
    (f"GET /api/private?a=1&access_token={JWT}&b=2 HTTP/1.1",
     "GET /api/private?a=1&access_token=[redacted]&b=2 HTTP/1.1"),
    ("/cb?code=abc&state=s&access_token=opaque", "/cb?code=[redacted]&state=s&access_token=[redacted]"),
    (f"kid {JWT}", "kid [redacted]"),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic [redacted]"),
])
def test_redact_replaces_credentials(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    'Bearer realm="api", error="invalid_token", error_description="Token expired"',
    "status_code=401 reason=token_expired route=/api/private",
    "basic setup done",
])
def test_redact_keeps_text_that_holds_no_credential(text):
    assert redact(text) == text


def test_plain_format_appends_extra_fields_as_key_value():
    line = PlainFormatter().format(record("authentication failed", reason="token_expired",
                                          route="/api/private", kid="key 1"))
    assert line.endswith(' WARNING auth0_jwt.security authentication failed '
                         'reason=token_expired route=/api/private kid="key 1"')


def test_json_format_is_one_object_per_line_with_the_extra_fields():
    line = JSONFormatter().format(record("authentication failed", reason="token_expired",
                                         status=401, kid="k\n1"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "auth0_jwt.security"
    assert entry["message"] == "authentication failed"
    assert (entry["reason"], entry["status"], entry["kid"]) == ("token_expired", 401, "k\n1")
    assert entry["time"].endswith("Z")


@pytest.mark.parametrize("formatter", [PlainFormatter(), JSONFormatter()])
def test_a_token_in_a_message_argument_or_traceback_is_redacted(formatter):
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        exc_info = sys.exc_info()
    line = formatter.format(record("saw %s", f"Bearer {JWT}", exc_info=exc_info,
                                   url=f"/x?access_token={JWT}"))
    assert JWT not in line
    assert "c2lnbmF0dXJl" not in line  # not even the signature segment
    assert "ValueError" in line


def test_logging_config_falls_back_on_unknown_values():
    config = logging_config("LOUD", "xml")
    assert config["root"]["level"] == "INFO"
    assert config["formatters"]["default"]["()"] == "config.logs.PlainFormatter"
    assert logging_config("DEBUG", "json")["formatters"]["default"]["()"] == "config.logs.JSONFormatter"


def test_logging_config_limits_per_request_lines_with_the_summary_interval():
    config = logging_config("INFO", "json", summary_interval=5)
    loggers = {name: spec["filters"] for name, spec in config["loggers"].items()
               if "filters" in spec}
    assert loggers == {"django.request": ["responses"], "auth0_jwt.security": ["refusals"],
                       "auth0_jwt.authentication": ["repeats"]}
    assert config["loggers"]["django.request"]["level"] == "ERROR"
    resolve = logging.config.BaseConfigurator({}).resolve
    built = {name: resolve(spec.pop("()"))(**spec) for name, spec in config["filters"].items()}
    assert {name: type(f).__name__ for name, f in built.items()} == {
        "refusals": "RefusalLogLimit", "responses": "ResponseLogLimit",
        "repeats": "RepeatLogLimit"}
    assert {f.interval for f in built.values()} == {5.0}


def test_logging_config_falls_back_on_a_bad_summary_interval():
    config = logging_config(summary_interval="soon")
    assert config["filters"]["refusals"]["interval"] == 60


@pytest.mark.parametrize("text, expected", [
    # Case-insensitive matching pairs the dotless "ı" with "i": not ASCII, so no shortcut.
    ("/cb?clıent_secret=abc", "/cb?clıent_secret=[redacted]"),
    (f"ÄÖÜ {JWT}", "ÄÖÜ [redacted]"),
    ("GET /x?ACCESS_TOKEN=abc HTTP/1.1", "GET /x?ACCESS_TOKEN=[redacted] HTTP/1.1"),
])
def test_redact_takes_no_shortcut_that_would_miss_a_credential(text, expected):
    assert redact(text) == expected


def test_a_django_warning_is_written_once_with_debug_on(settings, monkeypatch):
    # Django's own default LOGGING adds a console handler to "django" when DEBUG is on; ours
    # must replace it, not add a second, unformatted copy of each line.
    from io import StringIO
    from django.utils.log import configure_logging
    settings.DEBUG = True
    stream = StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        configure_logging("logging.config.dictConfig", logging_config("INFO", "plain"))
        logging.getLogger("django.security.DisallowedHost").warning("Host header is not allowed")
        logging.getLogger("django.server").warning(
            f'"GET /api/public?access_token={JWT} HTTP/1.1" 400 69', extra={"request": object()})
    finally:
        monkeypatch.undo()
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "WARNING django.security.DisallowedHost Host header is not allowed" in lines[0]
    # runserver's request line keeps Django's own format (no extra fields such as the
    # socket), with the token redacted.
    assert re.fullmatch(r'\[[^]]+\] "GET /api/public\?access_token=\[redacted\] HTTP/1.1" 400 69',
                        lines[1])
