"""Real servers as subprocesses for end-to-end tests (redis-server and nginx here; gunicorn in
gunicorn_server.py), on 127.0.0.1, and the helpers to start them.

Each listens on a free loopback port, is waited for with a deadline, and is stopped by the
fixture that started it (terminate, then kill), never by name.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port():
    """A loopback port with nothing listening on it right now."""
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
        message = ("needs a real Redis: redis-server is not installed "
                   "(apt-get install redis-server; .ci/run does it)")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


class RedisServer:
    """``redis-server`` on a free loopback port (or ``port``, to restart one), no persistence."""

    def __init__(self, tmp_path, port=None):
        self.port = port or free_port()
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
        if self.process.poll() is None:
            self.thaw()  # a frozen server would not act on SIGTERM
        stop(self.process)

    def freeze(self):
        """SIGSTOP: the kernel still accepts connections, Redis answers nothing."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

def nginx_binary():
    """The nginx binary; missing is a failure under CI (``.ci/run`` installs it)."""
    from deploy.local_proxy import nginx_binary as find

    binary = find()
    if binary is None:
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class NginxServer:
    """nginx with the shipped proxy configuration (``deploy/nginx/gunicorn_proxy.conf``) on a
    free loopback port, in front of ``upstream`` (``host:port``); files under ``prefix``."""

    def __init__(self, prefix, upstream):
        from deploy.local_proxy import command, render

        nginx_binary()
        self.port = free_port()
        self.prefix = Path(prefix)
        conf = render(self.prefix, f"127.0.0.1:{self.port}", upstream)
        self.process = subprocess.Popen(command(conf), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(self.listening, "nginx", timeout=15, process=self.process)
        except BaseException:
            stop(self.process)
            raise

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def listening(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def error_log(self):
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        stop(self.process)  # TERM: nginx's fast shutdown
