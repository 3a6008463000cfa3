"""Production settings and the gunicorn configuration: `check --deploy` is clean with the
variables of docs/deployment.md, and a missing secret is a clear startup error, not a
traceback."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_PREFIXES = ("DJANGO_", "AUTH0_", "GUNICORN_", "CORS_", "WEB_CONCURRENCY", "PORT")


def clean_environ(**extra):
    """This process's environment without any project variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PRODUCTION_PREFIXES)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(extra)
    return env


def readme_production_block():
    text = (ROOT / "docs" / "deployment.md").read_text()
    match = re.search(r"<!-- production-env[^>]*-->\s*```sh\n(.*?)```", text, re.S)
    assert match, "docs/deployment.md lost its production variables block"
    return match.group(1)


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          **kwargs)


def test_check_deploy_is_clean_with_the_readme_variables():
    script = (readme_production_block()
              + f'exec "{sys.executable}" manage.py check --deploy --fail-level WARNING\n')
    result = run(["bash", "-c", script], clean_environ())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_warns_when_hsts_is_left_out():
    block = readme_production_block().replace("export DJANGO_SECURE_HSTS_SECONDS=31536000", "")
    result = run(["bash", "-c", block + f'exec "{sys.executable}" manage.py check --deploy'],
                 clean_environ())
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.parametrize("missing, code", [("DJANGO_SECRET_KEY", "config.E001"),
                                           ("DJANGO_ALLOWED_HOSTS", "config.E002")])
def test_gunicorn_refuses_to_start_without_a_required_variable(missing, code, tmp_path):
    env = clean_environ(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 60,
                        DJANGO_ALLOWED_HOSTS="api.example.com",
                        AUTH0_DOMAIN="dev-abc123.us.auth0.com",
                        AUTH0_AUDIENCE="https://api.example.com",
                        GUNICORN_BIND="127.0.0.1:0", WEB_CONCURRENCY="1",
                        DJANGO_STATIC_ROOT=str(tmp_path / "static"))
    del env[missing]
    result = run([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                  "config.wsgi"], env)
    assert result.returncode == 4  # gunicorn's "App failed to load"
    assert "Configuration errors; the server will not start:" in result.stderr
    assert f"({code}) {missing} is not set (required when DJANGO_DEBUG is off)." in result.stderr
    assert "Traceback" not in result.stderr


PAGES_AND_ASSETS = """
from django.test import Client
client = Client(HTTP_HOST="api.example.com", HTTP_ACCEPT="text/html")
for path in ("/api/docs", "/api/public",
             "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
             "/static/rest_framework/css/bootstrap.min.css"):
    print(path, client.get(path, secure=True).status_code)
"""


def test_pages_and_their_static_files_work_without_collectstatic(tmp_path):
    env = clean_environ(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 60,
                        DJANGO_ALLOWED_HOSTS="api.example.com",
                        AUTH0_DOMAIN="dev-abc123.us.auth0.com",
                        AUTH0_AUDIENCE="https://api.example.com", DJANGO_BROWSABLE_API="true",
                        DJANGO_STATIC_ROOT=str(tmp_path / "never-collected"))
    assert run([sys.executable, "manage.py", "check"], env).returncode == 0
    result = run([sys.executable, "manage.py", "shell", "--no-imports", "-c", PAGES_AND_ASSETS],
                 env)
    assert result.stdout.split("\n")[:4] == [
        "/api/docs 200", "/api/public 200",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js 200",
        "/static/rest_framework/css/bootstrap.min.css 200"], result.stderr


@pytest.mark.parametrize("name, value", [("WEB_CONCURRENCY", "0"), ("PORT", "http"),
                                         ("GUNICORN_TIMEOUT", "-1")])
def test_gunicorn_config_names_a_bad_variable(name, value):
    # (A WEB_CONCURRENCY that is not a number makes gunicorn itself fail on import.)
    env = clean_environ(**{name: value})
    result = run([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                  "--check-config", "config.wsgi"], env)
    assert result.returncode != 0
    assert f"{name} must be a whole number of at least" in result.stdout + result.stderr


def test_gunicorn_config_defaults_admit_a_16k_token_header():
    namespace = {"__file__": str(ROOT / "config" / "gunicorn.conf.py")}
    env_before = dict(os.environ)
    try:
        for key in list(os.environ):
            if key.startswith(PRODUCTION_PREFIXES):
                del os.environ[key]
        exec(compile((ROOT / "config" / "gunicorn.conf.py").read_text(), "conf", "exec"),
             namespace)
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert namespace["limit_request_field_size"] >= len("Authorization: Bearer ") + 16384
    assert namespace["bind"] == ["0.0.0.0:8000"]
    assert 1 <= namespace["workers"] <= 12
    assert namespace["worker_class"] == "sync"
    assert namespace["control_socket_disable"] is True
    assert "%(r)s" in namespace["access_log_format"]  # redacted by the logger class
    assert namespace["logger_class"] == "config.gunicorn_logging.RedactingLogger"


@pytest.mark.parametrize("setting, value, check_id, example", [
    ("LOG_FORMAT", "xml", "config.E004", "DJANGO_LOG_FORMAT=json"),
    ("LOG_LEVEL", "LOUD", "config.E005", "DJANGO_LOG_LEVEL=INFO"),
    ("SECURE_HSTS_SECONDS", "1y", "config.E006", "DJANGO_SECURE_HSTS_SECONDS=31536000"),
])
def test_bad_settings_stop_startup_naming_the_variable(settings, setting, value, check_id,
                                                           example):
    setattr(settings, setting, value)
    found = {m.id: m for m in checks.run_checks() if m.id == check_id}
    assert found[check_id].level == checks.ERROR
    assert example in found[check_id].hint
