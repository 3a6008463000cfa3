"""The process-wide verifier and JWKS client, built lazily from the settings.

Built on first use (never at import), once per process, and dropped when ``AUTH0_JWT``
changes (``apps.py`` connects ``reset`` to ``setting_changed``).
"""
import threading

from django.conf import settings

from .jwks import JWKSClient
from .local_issuer import LocalIssuer, NoTrustedIssuer
from .settings import auth0_settings
from .verification import TokenVerifier

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
    """A ``TokenVerifier`` for the tenant, or for the local issuer; the checks are the same."""
    return TokenVerifier(
        issuer=config.issuer,
        audiences=config.audiences,
        key_source=build_key_source(config),
        algorithms=config.ALGORITHMS,
        leeway=config.LEEWAY,
        max_age=config.MAX_TOKEN_AGE,
        strict_rfc9068=config.STRICT_RFC9068,
        max_length=config.MAX_TOKEN_LENGTH,
    )


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
    )


def get_local_issuer(config):
    """The local issuer for ``LOCAL_ISSUER_KEY_FILE`` (the key is read on first use)."""
    return LocalIssuer(config.LOCAL_ISSUER_KEY_FILE)


def reset():
    """Forget the verifier (and its cached keys); the next request builds a new one."""
    global _verifier
    with _lock:
        _verifier = None
