"""Requests through the project's WSGI application in process, as gunicorn hands them over
for a wrk request (``Host`` and, when given, ``Authorization``), with the production settings
(``DEBUG`` off, the JWKS from a loopback server). Shared by ``base_cost.py``, ``hit_miss.py``
and ``rsa_contexts.py``.
"""
import io
import os
import sys

from bench.common import AUDIENCE, ISSUER

PUBLIC, PRIVATE = "/api/public", "/api/private"


def configure(jwks_url):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50, "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "AUTH0_ISSUER": ISSUER, "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks_url,
        "AUTH0_TOKEN_CACHE_SIZE": "64"})
    from config.wsgi import application  # checks the configuration, then gc.freeze()

    return application


def environ(path, token=None):
    """A WSGI environ as gunicorn builds it for a wrk request (Host, optional Authorization)."""
    env = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
           "RAW_URI": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
           "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
           "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
           "wsgi.run_once": False}
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def _start_response(status, headers, exc_info=None):
    return None


def caller(app, env):
    """One request through ``app``: the call, the body, ``close()`` (as gunicorn does)."""
    def call():
        response = app({**env, "wsgi.input": io.BytesIO()}, _start_response)
        for _ in response:
            pass
        response.close()
    return call


def new_request(env):
    from django.core.handlers.wsgi import WSGIRequest

    return WSGIRequest({**env, "wsgi.input": io.BytesIO()})


def drf_request(env, user=None, auth=None):
    from rest_framework.request import Request

    request = Request(new_request(env))
    if user is not None:
        request.user, request.auth = user, auth
    return request
