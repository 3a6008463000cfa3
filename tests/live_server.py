"""A real ``manage.py runserver`` on a free 127.0.0.1 port, configured only by environment
variables, as ``make run`` starts it (DEBUG on, no tenant: the local issuer)."""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
# Blank values win over a developer's .env (real environment variables take precedence).
NO_TENANT = {"AUTH0_DOMAIN": "", "AUTH0_ISSUER": "", "AUTH0_AUDIENCE": "", "AUTH0_JWKS_URL": ""}


def project_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH0_", "DJANGO_"))}
    env.update(NO_TENANT)
    env.update(overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


def manage(*args, timeout=60, **env):
    """Run ``manage.py`` in a fresh interpreter; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=project_env(**env),
                          capture_output=True, text=True, timeout=timeout)


class RunServer:
    """``manage.py runserver --noreload``; ``start()`` returns once /api/public answers."""

    def __init__(self, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = project_env(**env)
        self.process = None

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"runserver exited: {self.process.stdout.read()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/public", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("runserver did not answer within the timeout")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
