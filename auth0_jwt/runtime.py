"""The process-wide verifier and JWKS client, built lazily from the settings.

Built on first use (never at import), once per process, and dropped when ``AUTH0_JWT``
changes (``apps.py`` connects ``reset`` to ``setting_changed``).
"""
import logging
import threading
import time

from .jwks import JWKSClient
from .settings import auth0_settings
from .verification import TokenVerifier

logger = logging.getLogger("auth0_jwt.jwks")
_lock = threading.Lock()
_verifier = None


def get_verifier():
    """Return the shared ``TokenVerifier``, building it and its JWKS client on first call."""
    global _verifier
    verifier = _verifier
    if verifier is None:
        with _lock:
            if _verifier is None:
                _verifier = build_verifier(auth0_settings)
            verifier = _verifier
    return verifier


def build_verifier(config):
    jwks_client = JWKSClient(
        config.jwks_url,
        algorithms=config.ALGORITHMS,
        timeout=config.JWKS_TIMEOUT,
        max_bytes=config.JWKS_MAX_BYTES,
        cache_lifetime=config.JWKS_CACHE_LIFETIME,
        cooldown=config.JWKS_REFETCH_COOLDOWN,
    )
    return TokenVerifier(
        issuer=config.issuer,
        audiences=config.audiences,
        key_source=jwks_client,
        algorithms=config.ALGORITHMS,
        leeway=config.LEEWAY,
        max_age=config.MAX_TOKEN_AGE,
        strict_rfc9068=config.STRICT_RFC9068,
        max_length=config.MAX_TOKEN_LENGTH,
    )


def reset():
    """Forget the verifier (and its cached keys); the next request builds a new one."""
    global _verifier
    with _lock:
        _verifier = None


def warm_up(force=False):
    """Fetch the signing keys now, when ``JWKS_WARMUP`` is on (or ``force``); never raises.

    Meant for a server hook that runs once per worker before it serves (gunicorn's
    ``post_worker_init``), so the first request does not wait for the JWKS. A tenant that
    cannot be reached is logged and the worker serves anyway: requests fetch on demand.
    Returns True when signing keys are held afterwards.
    """
    if not (force or auth0_settings.JWKS_WARMUP):
        return False
    started = time.monotonic()
    try:
        client = get_verifier().key_source
        client.refresh()
        ready = client.has_keys()
    except Exception as exc:  # a broken configuration must not stop the worker here either
        logger.warning("JWKS warm-up failed: %s", type(exc).__name__,
                       extra={"event": "jwks_warmup", "ready": False})
        return False
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if ready:
        logger.info("JWKS warm-up done in %d ms", elapsed_ms,
                    extra={"event": "jwks_warmup", "ready": True})
    else:
        logger.warning("JWKS warm-up found no signing key; serving anyway, keys are fetched "
                       "on demand", extra={"event": "jwks_warmup", "ready": False})
    return ready


def signing_keys_available():
    """True when the process holds signing keys, fetching them first if it holds none.

    The fetch obeys the JWKS client's cooldown, so frequent readiness probes during an
    outage do not turn into a request storm against the tenant.
    """
    client = get_verifier().key_source
    if not client.has_keys():
        client.refresh()
    return client.has_keys()
