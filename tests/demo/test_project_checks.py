"""The demo project's startup: a bad setting stops ``manage.py check`` and the WSGI boot with
the variable's name and an example, never a traceback; the project's own checks (config.*).

The app's checks themselves (auth0_jwt.*) are in ``tests/app/test_checks.py``."""
import os
import subprocess
import sys
from pathlib import Path

from django.core import checks

from tests.keys import AUDIENCE, ISSUER

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AUTH0_", "DJANGO_", "CORS_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def test_manage_check_reports_missing_tenant_variables_without_traceback():
    result = run_manage("check", DJANGO_DEBUG="true", AUTH0_DOMAIN="https://bad.example/")
    assert result.returncode != 0
    assert "AUTH0_DOMAIN=dev-abc123.us.auth0.com" in result.stderr
    assert "AUTH0_AUDIENCE=https://api.example.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_wsgi_startup_refuses_to_serve_with_a_bad_configuration():
    code = "import config.wsgi"
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AUTH0_", "DJANGO_", "CORS_"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env={**base, "DJANGO_DEBUG": "false", "AUTH0_ISSUER": ISSUER})
    assert result.returncode == 4
    assert "the server will not start" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "AUTH0_AUDIENCE" in result.stderr
    assert "Traceback" not in result.stderr


def test_wsgi_startup_succeeds_with_the_documented_variables():
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AUTH0_", "DJANGO_", "CORS_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi; print('ready')"], cwd=ROOT,
        capture_output=True, text=True, timeout=60,
        env={**base, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50,
             "DJANGO_ALLOWED_HOSTS": "api.example.com", "AUTH0_DOMAIN": "dev-abc123.us.auth0.com",
             "AUTH0_AUDIENCE": AUDIENCE})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ready"


def test_manage_check_refuses_auth0_domain_bogus_with_an_example():
    result = run_manage("check", DJANGO_DEBUG="true", AUTH0_DOMAIN="bogus",
                        AUTH0_AUDIENCE="https://api.example.com")
    assert result.returncode == 1
    assert ("(auth0_jwt.E002) AUTH0_JWT['DOMAIN'] is not a domain name ('bogus'): a tenant's "
            "domain has at least one dot.\n\tHINT: Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com"
            ) in result.stderr
    assert "Traceback" not in result.stderr


def test_unusable_session_folder_stops_startup_naming_it(local_settings, tmp_path):
    not_a_folder = tmp_path / "sessions"
    not_a_folder.write_text("")
    local_settings.SESSION_FILE_PATH = str(not_a_folder)
    [message] = [m for m in checks.run_checks() if m.id == "config.E007"]
    assert str(not_a_folder) in message.msg
    assert "DJANGO_SESSION_FILE_PATH=" in message.hint
