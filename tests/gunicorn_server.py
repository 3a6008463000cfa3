"""A real gunicorn process for end-to-end tests: docs/deployment.md's production command on
127.0.0.1, an OS-chosen port, logs captured to files."""
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PREFIXES = ("DJANGO_", "AUTH0_", "GUNICORN_", "CORS_", "WEB_CONCURRENCY", "PORT")
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+) \((\d+)\)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
EXITED = re.compile(r"Worker exiting \(pid: (\d+)\)")


def production_environ(static_root, **overrides):
    """docs/deployment.md's production variables for a loopback server (no inherited project vars)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_PREFIXES)}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(static_root),
        "GUNICORN_BIND": "127.0.0.1:0",  # the OS picks a free port; read back from the log
        "WEB_CONCURRENCY": "2",
        # No drain on TERM (production default: 5 s), so that stopping a test's server does not
        # wait; the tests of the drain set their own.
        "GUNICORN_DRAIN_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(overrides)
    return env


def collect_static(env):
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity",
                    "0"], cwd=ROOT, env=env, check=True, timeout=120)


class GunicornServer:
    """``gunicorn -c config/gunicorn.conf.py config.wsgi`` as a child process."""

    def __init__(self, env, log_dir):
        self.env = dict(env)
        self.access_path = Path(log_dir) / "access.log"
        self.error_path = Path(log_dir) / "error.log"
        self.env["GUNICORN_ACCESS_LOG"] = str(self.access_path)
        self.process = None
        self.port = None

    def start(self, timeout=30):
        with open(self.error_path, "ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                 "config.wsgi"], cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=stderr)
        try:
            self.port = self._wait_for(lambda: self._port(), timeout, "a listening socket")
            self._wait_for(lambda: self._healthy(), timeout, "GET /healthz == 200")
        except BaseException:
            self.stop()  # a fixture that fails in setup gets no teardown: never leak a server
            raise
        return self

    def stop(self, timeout=20):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful shutdown
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def reload(self):
        """SIGHUP: gunicorn boots new workers, then retires the old ones gracefully."""
        self.process.send_signal(signal.SIGHUP)

    def terminate(self):
        """SIGTERM without waiting: for tests that watch the shutdown (``wait_exited``)."""
        self.process.send_signal(signal.SIGTERM)

    def wait_exited(self, timeout):
        """The master's exit status once it has exited, within ``timeout`` seconds."""
        return self.process.wait(timeout)

    def exited_workers(self):
        return EXITED.findall(self.app_log())

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def app_log(self):
        return self.error_path.read_text(errors="replace")

    def access_log(self):
        return self.access_path.read_text(errors="replace") if self.access_path.exists() else ""

    def wait_for_log(self, text, count=1, timeout=30):
        """Block until ``text`` occurs ``count`` times in the app log."""
        self._wait_for(lambda: self.app_log().count(text) >= count, timeout, repr(text))

    def booted_workers(self):
        return BOOTED.findall(self.app_log())

    def _port(self):
        match = LISTENING.search(self.app_log())
        return int(match.group(1)) if match else None

    def _healthy(self):
        # The master listens before its workers have booted: a request can wait in the
        # backlog for a while on a busy machine.
        try:
            return requests.get(self.url("/healthz"), timeout=5).status_code == 200 or None
        except requests.RequestException:
            return None

    def _wait_for(self, probe, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n"
                                   + self.app_log()[-3000:])
            value = probe()
            if value:
                return value
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn: no {what} after {timeout} s:\n" + self.app_log()[-3000:])
