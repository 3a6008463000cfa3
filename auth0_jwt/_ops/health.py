"""Health endpoints for load balancers and orchestrators: no authentication, JSON bodies.

- ``healthz``: the process is up and serving: 200 ``{"status": "ok"}``, always.
- ``readyz``: this process holds signing keys, so it can verify tokens: 200
  ``{"status": "ok"}``; otherwise 503 ``{"error": "temporarily_unavailable", "message": ...}``
  with ``Retry-After`` (1-2 s while a fetch is still running, else ``JWKS_RETRY_AFTER``).
  With no keys yet it fetches them first (within the JWKS client's cooldown, so a probe
  every second does not hammer the tenant). During an outage, keys already cached still
  count: requests are still served with them.

Wire them in the root URLconf::

    re_path(r"^healthz/?$", health.healthz), re_path(r"^readyz/?$", health.readyz)

Plain Django views, not DRF ones: no authentication, permission or throttle runs, and a
probe costs next to nothing. Each worker answers for itself.
"""
import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from auth0_jwt._ops import draining
from auth0_jwt._ops.runtime import keys_retry_hint, signing_keys_available
from auth0_jwt._settings import auth0_settings

logger = logging.getLogger("auth0_jwt.health")
ALLOWED_METHODS = ("GET", "HEAD")


def probe(view):
    """GET/HEAD only (405 in the JSON shape otherwise), never cached."""

    @csrf_exempt
    @never_cache
    def wrapper(request, *args, **kwargs):
        if request.method not in ALLOWED_METHODS:
            response = JsonResponse({"error": "method_not_allowed",
                                     "message": f'Method "{request.method}" not allowed.'},
                                    status=405)
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return response
        return view(request, *args, **kwargs)

    wrapper.__doc__ = view.__doc__
    wrapper.__name__ = view.__name__
    return wrapper


@probe
def healthz(request):
    """Liveness: 200 while the process can answer at all."""
    return JsonResponse({"status": "ok"})


@probe
def readyz(request):
    """Readiness: 200 when this process holds signing keys, else 503 with Retry-After."""
    if draining.is_draining():  # shutting down: 503 first, so the balancer stops sending
        return draining.not_ready_response()
    try:
        ready = signing_keys_available()
    except Exception as exc:  # e.g. no JWKS URL configured: not ready, and say why in the log
        logger.error("Readiness check failed: %s", type(exc).__name__)
        ready = False
    if ready:
        return JsonResponse({"status": "ok"})
    response = JsonResponse({"error": "temporarily_unavailable",
                             "message": "Signing keys are temporarily unavailable"}, status=503)
    response["Retry-After"] = str(max(1, int(retry_after())))
    return response


def retry_after():
    """As for a request's 503: a second or two while a fetch is still running, else the
    configured ``JWKS_RETRY_AFTER`` (an outage)."""
    hint = keys_retry_hint()
    return auth0_settings.JWKS_RETRY_AFTER if hint is None else hint
