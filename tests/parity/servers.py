"""The servers compared, on 127.0.0.1, started together and stopped by their own handles.

- ours: the production command (``tests/gunicorn_server.py``: gunicorn, DEBUG off), one
  worker, the project's defaults plus the tenant (issuer, audience, JWKS URL);
- the SDK's: ``node server.js`` in ``express/``, the quickstart on the pinned
  ``express-oauth2-jwt-bearer`` (``npm ci`` from the committed lock file).

Each configuration compared is a ``Pair``: DPoP "allowed" (both defaults), "required" (ours
``AUTH0_DPOP_MODE=required``, the SDK's ``dpop.required``) and "nonce" (ours with server nonces;
the SDK has no such option, so its side is its default server).
"""
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER

EXPRESS_DIR = Path(__file__).resolve().parent / "express"
SDK_PACKAGE = EXPRESS_DIR / "node_modules" / "express-oauth2-jwt-bearer" / "package.json"
SDK_VERSION = "1.10.0"
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
NPM_TIMEOUT = 300  # seconds: a first install on a fresh machine downloads ~70 packages

OURS = {
    "allowed": {},
    "required": {"AUTH0_DPOP_MODE": "required"},
    "nonce": {"AUTH0_DPOP_NONCE_LIFETIME": "60"},
}
SDK = {"allowed": {}, "required": {"DPOP_REQUIRED": "true"}}
SDK_SIDE_OF = {"allowed": "allowed", "required": "required", "nonce": "allowed"}


def node_missing():
    """Why the SDK's side cannot run here (no node or npm), or None."""
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    return f"{' and '.join(missing)} not installed" if missing else None


def install_sdk():
    """``npm ci`` (the lock file's exact versions) unless the pinned SDK is already there."""
    if SDK_PACKAGE.exists() and f'"version": "{SDK_VERSION}"' in SDK_PACKAGE.read_text():
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=EXPRESS_DIR, check=True, timeout=NPM_TIMEOUT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class ExpressServer:
    """``node server.js`` (the quickstart) with ``environ``; the OS picks the port."""

    def __init__(self, environ, log_path):
        self.environ = environ
        self.log_path = Path(log_path)
        self.process = None
        self.port = None

    def start(self, timeout=30):
        env = {"PATH": os.environ.get("PATH", ""), "NODE_ENV": "production", "PORT": "0",
               **self.environ}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["node", "server.js"], cwd=EXPRESS_DIR, env=env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while self.port is None:
            match = LISTENING.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
            elif self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Express quickstart did not start:\n"
                                   + self.log_path.read_text(errors="replace")[-2000:])
            else:
                time.sleep(0.05)
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Pair:
    """One configuration: ``ours`` and ``sdk``, each with a ``port``."""

    def __init__(self, name, ours, sdk):
        self.name, self.ours, self.sdk = name, ours, sdk


class Servers:
    """Every server of ``OURS`` and ``SDK``, started in parallel; a context manager."""

    def __init__(self, jwks_url, workdir):
        self.jwks_url = jwks_url
        self.workdir = Path(workdir)
        self.ours = {}
        self.sdk = {}

    def __enter__(self):
        with ThreadPoolExecutor(len(OURS) + len(SDK)) as pool:
            ours = {name: pool.submit(self._start_ours, name, env) for name, env in OURS.items()}
            sdk = {name: pool.submit(self._start_sdk, name, env) for name, env in SDK.items()}
        # Every start has ended (the pool waited); keep the ones that worked so that a failure
        # of another stops them too.
        self.ours = {name: f.result() for name, f in ours.items() if f.exception() is None}
        self.sdk = {name: f.result() for name, f in sdk.items() if f.exception() is None}
        failed = [f.exception() for f in [*ours.values(), *sdk.values()] if f.exception()]
        if failed:
            self.__exit__()
            raise failed[0]
        return self

    def __exit__(self, *exc_info):
        for server in [*self.ours.values(), *self.sdk.values()]:
            server.stop()

    def pairs(self):
        return {name: Pair(name, self.ours[name], self.sdk[SDK_SIDE_OF[name]]) for name in OURS}

    def _start_ours(self, name, env):
        log_dir = self.workdir / f"ours-{name}"
        log_dir.mkdir(parents=True, exist_ok=True)
        environ = production_environ(
            log_dir / "static", WEB_CONCURRENCY="1", DJANGO_LOG_LEVEL="WARNING",
            AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE, AUTH0_JWKS_URL=self.jwks_url,
            AUTH0_STATE_DIR=str(log_dir / "state"), **env)
        return GunicornServer(environ, log_dir).start(timeout=60)

    def _start_sdk(self, name, env):
        environ = {"ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "JWKS_URL": self.jwks_url, **env}
        return ExpressServer(environ, self.workdir / f"sdk-{name}.log").start()
