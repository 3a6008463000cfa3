"""The project's configuration from the environment, in fresh processes (as at boot)."""
import json
import shlex
import urllib.error
import urllib.request

import pytest

from auth0_jwt._dev.local_issuer import LocalIssuer
from tests.live_server import ROOT, RunServer, manage

PRODUCTION = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50,
              "DJANGO_ALLOWED_HOSTS": "api.example.com", "AUTH0_AUDIENCE": "https://api.example.com"}


def test_debug_off_without_auth0_domain_refuses_to_start_naming_it():
    result = manage("check", **PRODUCTION)
    assert result.returncode == 1
    assert ("(auth0_jwt.E003) AUTH0_JWT['DOMAIN'] is not set (nor ISSUER), so no token can be "
            "trusted (the local issuer only runs with DEBUG on).") in result.stderr
    assert "HINT: Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com" in result.stderr


def test_wsgi_boot_with_debug_off_and_no_tenant_exits_with_the_message(tmp_path):
    result = manage("shell", "-c", "import config.wsgi", **PRODUCTION)
    assert result.returncode == 4
    assert result.stderr.startswith("Configuration errors; the server will not start:")
    assert "AUTH0_DOMAIN=dev-abc123.us.auth0.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_on_without_tenant_uses_the_local_issuer_and_creates_the_key(tmp_path):
    key_file = tmp_path / "key" / "issuer-key.pem"
    result = manage("check", DJANGO_DEBUG="true", AUTH0_LOCAL_ISSUER_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_mint_token_bad_argument_is_one_line_without_traceback(tmp_path):
    result = manage("mint_token", "--expires-in", "soon", DJANGO_DEBUG="true",
                    AUTH0_LOCAL_ISSUER_KEY_FILE=str(tmp_path / "k.pem"))
    assert result.returncode == 1
    assert result.stderr.endswith("\nCommandError: --expires-in 'soon' is not a duration; "
                                  "use e.g. 30s, 15m, 2h, 1d\n")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    key_file = tmp_path_factory.mktemp("server-key") / "issuer-key.pem"
    server = RunServer(DJANGO_DEBUG="true", AUTH0_LOCAL_ISSUER_KEY_FILE=str(key_file)).start()
    yield server, key_file
    server.stop()


def call(url, token=None):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_minted_token_works_against_a_running_server(local_server):
    server, key_file = local_server
    result = manage("mint_token", "--sub", "local|cli", "--scope", "read:messages",
                    "--verbosity", "0", DJANGO_DEBUG="true",
                    AUTH0_LOCAL_ISSUER_KEY_FILE=str(key_file))
    token = result.stdout.strip()
    status, body = call(f"{server.url}/api/private-scoped", token)
    assert (status, body["user"]) == (200, "local|cli")
    status, body = call(f"{server.url}/api/admin", token)
    assert status == 403 and body["error"] == "insufficient_scope"
    other = LocalIssuer(key_file.parent / "other.pem").mint(
        sub="x", audience="https://local-api.invalid")
    status, body = call(f"{server.url}/api/private", other)
    assert (status, body["message"]) == (401, "Token signing key is not known")


def run_curl_line(line):
    """Do what a printed ``curl -s URL [-H "Authorization: ..."]   # -> STATUS`` line does."""
    command, expected = line.split("   # -> ")
    words = shlex.split(command)
    assert words[:2] == ["curl", "-s"]
    request = urllib.request.Request(words[2])
    if len(words) > 3:
        assert words[3] == "-H" and len(words) == 5
        name, value = words[4].split(": ", 1)
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        status, body = exc.code, json.loads(exc.read())
    return expected.split(), status, body


def test_printed_curl_lines_work_as_shown(local_server):
    server, key_file = local_server
    result = manage("curl_examples", "--url", server.url, DJANGO_DEBUG="true",
                    AUTH0_LOCAL_ISSUER_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("curl ")]
    assert len(lines) == 5
    for line in lines:
        expected, status, body = run_curl_line(line)
        assert status == int(expected[0]), (line[:80], body)
        if len(expected) > 1:
            assert body["error"] == expected[1]
        if status == 200 and "/api/private" in line:
            assert body["user"] == "local|developer"


@pytest.mark.parametrize("env, expected", [
    ({"DJANGO_DEBUG": "true"}, "True True"),
    ({"DJANGO_DEBUG": "true", "AUTH0_DOMAIN": "dev-abc123.us.auth0.com"}, "False True"),
    ({**PRODUCTION, "AUTH0_DOMAIN": "dev-abc123.us.auth0.com"}, "False False"),
    ({**PRODUCTION, "AUTH0_DOMAIN": "dev-abc123.us.auth0.com", "AUTH0_SESSION_TOKEN": "true"},
     "False True"),
])
def test_local_issuer_and_session_token_defaults_follow_debug_and_tenant(env, expected):
    script = ("from django.conf import settings as s; "
              "print(s.AUTH0_JWT['LOCAL_ISSUER'], s.AUTH0_JWT['SESSION_TOKEN'])")
    result = manage("shell", "--no-imports", "-c", script, **env)
    assert result.stdout.strip() == expected, result.stderr


def test_runserver_with_debug_off_and_no_hosts_names_make_run_and_django_debug():
    result = manage("runserver", "--noreload", "127.0.0.1:0", DJANGO_DEBUG="", timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: DEBUG is off (DJANGO_DEBUG is not true) and "
                                    "DJANGO_ALLOWED_HOSTS is empty.\n")
    assert "make run, or DJANGO_DEBUG=true python manage.py runserver" in result.stderr
    assert "ALLOWED_HOSTS if DEBUG is False" not in result.stderr
    assert "Traceback" not in result.stderr


def env_example():
    """The variables ``cp .env.example .env`` sets (comments and blank lines skipped)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_env_example_copied_unedited_stops_startup_at_its_placeholders(tmp_path):
    result = manage("check", **env_example(),
                    AUTH0_LOCAL_ISSUER_KEY_FILE=str(tmp_path / "k.pem"))
    assert result.returncode == 1
    assert ("(auth0_jwt.E033) AUTH0_JWT['DOMAIN'] is a placeholder ('your-tenant.us.auth0.com'), "
            "not a real value.") in result.stderr
    assert "AUTH0_JWT['AUDIENCE'] is a placeholder" in result.stderr
    assert "Traceback" not in result.stderr


def test_runserver_with_a_bad_setting_prints_the_message_not_a_traceback():
    # With the autoreloader (as make run starts it), where Django's own check runs in a thread.
    result = manage("runserver", "127.0.0.1:0", DJANGO_DEBUG="true", AUTH0_DOMAIN="bogus",
                    AUTH0_AUDIENCE="https://api.example.com", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("SystemCheckError: System check identified some issues:")
    assert "AUTH0_JWT['DOMAIN'] is not a domain name ('bogus')" in result.stderr
    assert "Traceback" not in result.stderr
