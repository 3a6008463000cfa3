"""The servers the benchmark starts on 127.0.0.1, and stops (process group, never by name).

- ``Gunicorn``: the production command of docs/deployment.md, ``gunicorn -c
  config/gunicorn.conf.py``, with its defaults (sync workers, access log on stdout: here a
  file), ``WEB_CONCURRENCY`` workers and, as the WSGI app, ``bench/wsgi_timing.py`` (the
  project's ``config.wsgi`` plus CPU accounting). A peer is the same command run by the
  peers' python with ``bench.peers.settings``.
- ``Express``: ``node server.js`` in ``bench/express``, one process, the SDK's defaults.
- ``Redis``: ``redis-server`` without persistence, for the DPoP replay store variant.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPRESS_DIR = Path(__file__).with_name("express")
WORKERS = 2
PRODUCTION_COMMAND = "gunicorn -c config/gunicorn.conf.py"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port, path, headers=None):
    """``(status, body)`` of a GET to 127.0.0.1."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """A server process; ``cpu_seconds()`` adds up its serving processes' CPU time."""

    kind = ""

    def __init__(self, name, workdir, env=None):
        self.name = name
        self.env = env or {}
        self.port = free_port()
        self.log = open(Path(workdir) / f"{name.replace(' ', '_').replace('/', '_')}.log", "w")
        self.process = None

    def launch(self):
        self.process = subprocess.Popen(self.command(), cwd=self.cwd(),
                                        env={**os.environ, **self.environment()},
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                if request(self.port, "/api/public")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s: see {self.log.name}")

    def environment(self):
        return self.env

    def pids(self):
        return [self.process.pid]

    def cpu_seconds(self):
        return sum(self.cpu_split())

    def cpu_split(self):
        """(user, system) CPU seconds of the serving processes, from ``/proc``."""
        ticks = os.sysconf("SC_CLK_TCK")
        user = system = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            user, system = user + int(fields[11]), system + int(fields[12])
        return user / ticks, system / ticks

    def memory(self):
        """``[(pid, rss_kib, pss_kib)]`` of the processes serving requests."""
        return [(pid, _kib(Path(f"/proc/{pid}/status"), "VmRSS:"),
                 _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")) for pid in self.pids()]

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Gunicorn(Server):
    kind = "django"

    def __init__(self, name, workdir, env=None, python=None, config="config/gunicorn.conf.py"):
        super().__init__(name, workdir, env)
        self.python = str(python or sys.executable)
        self.config = config

    def command(self):
        return [self.python, "-m", "gunicorn", "-c", self.config, "bench.wsgi_timing:application"]

    def environment(self):
        return {"WEB_CONCURRENCY": str(WORKERS), "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                **self.env}

    def cwd(self):
        return ROOT

    def pids(self):
        """The workers (the master only supervises)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return [self.process.pid]


class Express(Server):
    kind = "express"

    def command(self):
        return ["node", "server.js"]

    def environment(self):
        return {"PORT": str(self.port), **self.env}

    def cwd(self):
        return EXPRESS_DIR


class Redis:
    """``redis-server`` on a free loopback port, no persistence; None when not installed."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not self._ping():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)

    @staticmethod
    def available():
        return shutil.which("redis-server") is not None

    def _ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def install_express(out):
    """``npm install`` into bench/express once; False when node or npm is missing or fails."""
    if (EXPRESS_DIR / "node_modules" / "express-oauth2-jwt-bearer").is_dir():
        return True
    if not (shutil.which("node") and shutil.which("npm")):
        out("node/npm not found: the Express comparison is skipped")
        return False
    out("npm install (Express quickstart) ...")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=EXPRESS_DIR, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        out(f"npm install failed, the Express comparison is skipped:\n{done.stderr[-2000:]}")
    return done.returncode == 0


def node_version():
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _kib(path, field):
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return None
