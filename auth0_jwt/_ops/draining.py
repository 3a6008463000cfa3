"""Draining: this process is shutting down and asks for no new requests.

A server hook calls ``start()`` when the process is told to stop (gunicorn: a worker's
``TERM``, see the project's ``config/gunicorn_lifecycle.py``). From then on ``/readyz``
answers 503 while requests are still served, so a load balancer that probes it stops
sending before the process exits; ``/healthz`` stays 200 (the process is alive). There is no
way back: a draining process only ever exits.
"""
from django.http import JsonResponse

_state = {"draining": False}


def start():
    """Mark the process as draining (safe to call from a signal handler: one assignment)."""
    _state["draining"] = True


def is_draining():
    return _state["draining"]


def not_ready_response():
    """``/readyz``'s answer while draining: 503 ``temporarily_unavailable``. No
    ``Retry-After``: this process will not be ready again; the balancer sends elsewhere."""
    return JsonResponse({"error": "temporarily_unavailable",
                         "message": "The server is shutting down"}, status=503)
