"""The process-wide verifiers, JWKS client and DPoP state, built lazily from the settings.

Built on first use (never at import), once per process, and dropped when ``AUTH0_JWT`` or
``CACHES`` change (``apps.py`` connects ``reset`` to ``setting_changed``). The DPoP replay
store is shared by every worker of a host by default (a SQLite file in ``STATE_DIR``), or by
every host through Django's cache framework (Redis); the JWKS document optionally too.
"""
import hashlib
import logging
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac

from auth0_jwt._core.dpop import ProofVerifier
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._dev.local_issuer import LocalIssuer, NoTrustedIssuer
from auth0_jwt._core.nonces import NonceSource
from auth0_jwt._core.replay import CacheReplayStore, InProcessReplayStore
from auth0_jwt._core.replay_guard import GuardedReplayStore
from auth0_jwt._core.replay_sqlite import SQLiteReplayStore
from auth0_jwt._settings import auth0_settings
from auth0_jwt._core.shared_cache import CacheEntry
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.verification import TokenVerifier

logger = logging.getLogger("auth0_jwt.jwks")
_lock = threading.RLock()  # build_proof_verifier calls get_nonces
_state = {}
REPLAY_FILE_NAME = "dpop-replay.sqlite3"
# Seconds a failed replay store is left alone before one request probes it. Redis: as long as
# the 503's Retry-After. The file: a failure there is local and quick to retry.
REPLAY_STORE_PAUSE = {"cache": 5.0, "file": 1.0}
OUTAGE_SUMMARY_INTERVAL = 60.0  # seconds between two "still unavailable" lines


def _get(name, build):
    value = _state.get(name)
    if value is None:
        with _lock:
            if name not in _state:
                _state[name] = build(auth0_settings)
            value = _state[name]
    return value


def get_verifier():
    """Return the shared ``TokenVerifier``, building it and its JWKS client on first call."""
    return _get("verifier", build_verifier)


def get_proof_verifier():
    """Return the shared DPoP ``ProofVerifier`` (with its replay store) on first call."""
    return _get("proof_verifier", build_proof_verifier)


def get_nonces():
    """The ``NonceSource`` when ``DPOP_NONCE_LIFETIME`` is set, else None."""
    return _get("nonces", build_nonces) or None


def build_verifier(config):
    """A ``TokenVerifier`` for the tenant, or for the local issuer; the checks are the same.

    With ``TOKEN_CACHE_SIZE`` > 0 it remembers verified tokens (``token_cache.py``).
    """
    options = dict(
        issuer=config.issuer,
        audiences=config.audiences,
        key_source=build_key_source(config),
        algorithms=config.ALGORITHMS,
        leeway=config.LEEWAY,
        max_age=config.MAX_TOKEN_AGE,
        strict_rfc9068=config.STRICT_RFC9068,
        max_length=config.MAX_TOKEN_LENGTH,
    )
    if config.TOKEN_CACHE_SIZE:
        # A repeated token skips the signature check; see token_cache.py for what is re-checked.
        return CachingVerifier(cache_size=config.TOKEN_CACHE_SIZE, **options)
    return TokenVerifier(**options)


def build_key_source(config):
    """The tenant's JWKS client, or the local issuer's key (only ever with ``DEBUG`` on)."""
    if config.uses_local_issuer:
        # Fail closed even if system checks were skipped: no local key without DEBUG.
        return get_local_issuer(config) if settings.DEBUG else NoTrustedIssuer()
    if config.issuer is None:
        return NoTrustedIssuer()
    return JWKSClient(
        config.jwks_url,
        algorithms=config.ALGORITHMS,
        timeout=config.JWKS_TIMEOUT,
        max_bytes=config.JWKS_MAX_BYTES,
        cache_lifetime=config.JWKS_CACHE_LIFETIME,
        cooldown=config.JWKS_REFETCH_COOLDOWN,
        shared_store=build_jwks_store(config),
    )


def get_local_issuer(config):
    """The local issuer for ``LOCAL_ISSUER_KEY_FILE`` (the key is read on first use)."""
    return LocalIssuer(config.LOCAL_ISSUER_KEY_FILE)


def build_jwks_store(config):
    alias = config.JWKS_SHARED_CACHE
    if alias is None:
        return None
    url_hash = hashlib.sha256((config.jwks_url or "").encode("utf-8")).hexdigest()[:32]
    return CacheEntry(AliasCache(alias), f"auth0_jwt:jwks:{url_hash}")


def build_proof_verifier(config):
    return ProofVerifier(
        algorithms=config.DPOP_ALGORITHMS,
        replay_store=build_replay_store(config),
        iat_window=config.DPOP_IAT_WINDOW,
        iat_leeway=config.DPOP_IAT_LEEWAY,
        nonces=get_nonces(),
    )


def build_replay_store(config):
    """The store named by ``DPOP_REPLAY_STORE``; the shared ones behind a circuit breaker.

    An unknown name (a system check reports it) gets the default, the shared file.
    """
    kind = config.DPOP_REPLAY_STORE
    if kind == "memory":
        return InProcessReplayStore()
    if kind == "cache":
        store = CacheReplayStore(AliasCache(config.DPOP_REPLAY_CACHE))
    else:
        kind, store = "file", SQLiteReplayStore(replay_file(config))
    return GuardedReplayStore(store, name=kind, pause=REPLAY_STORE_PAUSE[kind],
                              summary_interval=OUTAGE_SUMMARY_INTERVAL)


def replay_file(config):
    """The SQLite file of the "file" replay store."""
    return config.state_dir / REPLAY_FILE_NAME


def build_nonces(config):
    if config.DPOP_NONCE_LIFETIME is None:
        return False  # cached "off" (None would mean "not built yet")
    # Derived from SECRET_KEY, so every worker and host of the API issues and accepts the same.
    secret = salted_hmac("auth0_jwt._core.dpop-nonce", "nonce-key", algorithm="sha256").digest()
    return NonceSource(secret, lifetime=config.DPOP_NONCE_LIFETIME)


class AliasCache:
    """Django's cache ``alias``, looked up on each use (Django keeps cache objects per thread)."""

    def __init__(self, alias):
        self.alias = alias

    def __getattr__(self, name):
        return getattr(caches[self.alias], name)


def reset():
    """Forget the verifiers (and their cached keys); the next request builds new ones."""
    with _lock:
        _state.clear()


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
