"""The README's "Add it to your project", followed word for word in a brand-new project.

The wheel is built from this checkout, installed into a fresh virtualenv, a project is made
with ``django-admin startproject``, and every marked block of the README section goes into
the file its marker names. The project then runs under ``manage.py runserver`` against a
tenant on loopback (``AUTH0_DOMAIN=127.0.0.1:<port>``: its JWKS over TLS, trusted through
``REQUESTS_CA_BUNDLE``), and answers 200 / 401 / 403. The only words the test changes are the
ones a reader changes too: the path of the package, the tenant's values, the address.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, SigningKey, mint
from tests.processes import free_port, stop, wait_for
from tests.tls import serve_tls, write_certificate
from tests.expected import and_dpop

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Add it to your project"
MARKED_BLOCK = re.compile(r"<!-- five-minute-path: (.+?) -->\n```\w*\n(.*?)```", re.DOTALL)
# What auth0_jwt imports, and nothing else (the demo's packages stay out of users' projects).
DEPENDENCIES = {"cryptography", "django", "djangorestframework", "python-jose", "requests",
                "urllib3"}
# Left out of the copy the wheel is built from: local state a checkout may hold.
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "build", "dist",
                                    "*.egg-info", ".local", "staticfiles", ".hypothesis",
                                    "node_modules", ".env")


def readme_steps():
    """``[(marker, block), ...]`` from the README's "Add it to your project" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return MARKED_BLOCK.findall(section)


def run(*args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result


def clean_env(**extra):
    """No variable of this checkout's own project (DJANGO_SETTINGS_MODULE above all)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_FIND_LINKS", "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_CERT")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


def build_wheel(workdir):
    source = workdir / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(workdir / "dist"),
        str(source), env=clean_env())
    [wheel] = (workdir / "dist").glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    """A JWKS server on loopback over TLS, as a tenant serves it at https://DOMAIN/."""
    directory = tmp_path_factory.mktemp("tenant")
    cert_path, key_path = write_certificate(directory)
    server = JWKSServer()
    serve_tls(server.httpd, cert_path, key_path)
    server.start()
    key = SigningKey("fresh-key")
    server.serve_keys(key.jwk())
    domain = f"127.0.0.1:{server.httpd.server_address[1]}"
    yield {"domain": domain, "issuer": f"https://{domain}/", "key": key, "ca": cert_path,
           "server": server}
    server.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory, tenant):
    """The README's five steps in a new project; yields the running server's URL."""
    workdir = tmp_path_factory.mktemp("fresh")
    steps = dict(readme_steps())
    assert list(steps) == ["shell", "append to mysite/settings.py", "create mysite/views.py",
                           "append to mysite/urls.py", "run"]
    wheel = build_wheel(workdir)
    assert {n for n in top_level_names(wheel) if not n.endswith(".dist-info")} == {"auth0_jwt"}

    # A fresh virtualenv with nothing in it; this checkout's pip installs into it (pip's own
    # copy in every new virtualenv would only add seconds).
    run(sys.executable, "-m", "venv", "--without-pip", str(workdir / "venv"))
    python = str(workdir / "venv" / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python]
    assert shlex.split(steps["shell"]) == ["pip", "install", "path/to/drf-auth0-jwt"]
    run(*pip, "install", "--quiet", str(wheel), env=clean_env())
    shown = run(*pip, "show", "drf-auth0-jwt", env=clean_env()).stdout
    requires = re.search(r"^Requires: (.*)$", shown, re.MULTILINE).group(1)
    assert {name.strip().lower() for name in requires.split(",")} == DEPENDENCIES

    run(str(workdir / "venv" / "bin" / "django-admin"), "startproject", "mysite",
        cwd=workdir, env=clean_env())
    site = workdir / "mysite"
    for marker, block in steps.items():
        action, _, path = marker.partition(" to " if marker.startswith("append") else " ")
        if action == "append":
            with open(site / path, "a") as handle:
                handle.write("\n\n" + block)
        elif action == "create":
            assert not (site / path).exists()
            (site / path).write_text(block)

    server = start_runserver(python, site, steps["run"], tenant)
    yield f"http://127.0.0.1:{server.port}"
    stop(server)


def top_level_names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return {name.split("/", 1)[0] for name in archive.namelist()}


def start_runserver(python, site, block, tenant):
    """The README's run command: its variables set to the loopback tenant, on a free port."""
    words = shlex.split(block.replace("\\\n", " "))
    assignments = [w.split("=", 1)[0] for w in words if re.match(r"[A-Z0-9_]+=", w)]
    assert assignments == ["AUTH0_DOMAIN", "AUTH0_AUDIENCE"]
    assert words[len(assignments):] == ["python", "manage.py", "runserver"]
    port = free_port()
    env = clean_env(AUTH0_DOMAIN=tenant["domain"], AUTH0_AUDIENCE=AUDIENCE,
                    REQUESTS_CA_BUNDLE=str(tenant["ca"]), PYTHONUNBUFFERED="1")
    server = subprocess.Popen([python, "manage.py", "runserver", "--noreload",
                               f"127.0.0.1:{port}"], cwd=site, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.port = port
    wait_for(lambda: get(f"http://127.0.0.1:{port}/api/private")[0] == 401, "runserver",
             timeout=60, process=server)
    return server


def get(url, token=None):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def test_without_a_token_the_new_project_answers_401_with_the_challenge(project):
    status, body, headers = get(f"{project}/api/private")
    assert (status, body) == (401, {"error": "unauthorized",
                                    "message": "Authentication required"})
    assert headers["WWW-Authenticate"] == and_dpop('Bearer realm="api"')


def test_a_token_from_the_tenant_gets_200_with_its_subject(project, tenant):
    token = mint(tenant["key"], iss=tenant["issuer"], sub="auth0|fresh", scope="openid")
    assert get(f"{project}/api/private", token)[:2] == (200, {"message": "Hello, auth0|fresh"})
    assert tenant["server"].hits >= 1  # the keys came from the tenant, over TLS


def test_a_token_without_the_scope_gets_403_and_with_it_200(project, tenant):
    without = mint(tenant["key"], iss=tenant["issuer"], scope="openid")
    status, body, headers = get(f"{project}/api/private-scoped", without)
    assert (status, body["error"], body["required_scopes"]) == (403, "insufficient_scope",
                                                                ["read:messages"])
    assert 'scope="read:messages"' in headers["WWW-Authenticate"]
    scoped = mint(tenant["key"], iss=tenant["issuer"], scope="read:messages")
    assert get(f"{project}/api/private-scoped", scoped)[:2] == (
        200, {"messages": ["Hello!", "World!"]})


def test_a_token_for_another_issuer_gets_401_invalid_token(project, tenant):
    token = mint(tenant["key"])  # signed by the tenant's key, but iss is another issuer's
    status, body, _ = get(f"{project}/api/private", token)
    assert (status, body) == (401, {"error": "invalid_token", "message": "Unexpected 'iss' value"})
