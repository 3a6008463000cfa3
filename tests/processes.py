"""Real servers as subprocesses for end-to-end tests: redis-server and gunicorn, on 127.0.0.1.

Each listens on a free loopback port, is waited for with a deadline, and is stopped by the
fixture that started it (terminate, then kill), never by name.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what, timeout=30.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {timeout} s")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def redis_binary():
    """The redis-server binary; missing is a failure under CI (``.ci/run`` installs it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class RedisServer:
    """``redis-server`` on a free loopback port, no persistence."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, "redis-server", timeout=15, process=self.process)

    def ping(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self):
        stop(self.process)


class Gunicorn:
    """``gunicorn config.wsgi`` with ``workers`` sync workers; the access log records each
    request's worker pid, status and query (``access_log()``)."""

    def __init__(self, tmp_path, env, workers=2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"access-{self.port}.log"
        self.error_path = tmp_path / f"error-{self.port}.log"
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync",
                   "-b", f"127.0.0.1:{self.port}", "--timeout", "30",
                   "--access-logfile", str(self.log_path),
                   "--access-logformat", "%(p)s %(s)s %(q)s",
                   "--error-logfile", str(self.error_path), "config.wsgi"]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**base_env(), **env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(self.ready, "gunicorn", timeout=60, process=self.process)
        except RuntimeError:
            stop(self.process)
            raise RuntimeError(self.error_path.read_text() if self.error_path.exists() else "")

    def ready(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def access_log(self):
        """``[(pid, status, query), ...]`` in the order gunicorn logged them."""
        lines = self.log_path.read_text().splitlines() if self.log_path.exists() else []
        return [tuple(line.split(" ", 2)) for line in lines if line.strip()]

    def stop(self):
        stop(self.process)


def base_env():
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV")
    return {name: os.environ[name] for name in keep if name in os.environ}
