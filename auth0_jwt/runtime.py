"""The process-wide verifier and JWKS client, built lazily from the settings.

Built on first use (never at import), once per process, and dropped when ``AUTH0_JWT``
changes (``apps.py`` connects ``reset`` to ``setting_changed``).
"""
import threading

from .jwks import JWKSClient
from .settings import auth0_settings
from .token_cache import CachingVerifier
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
    jwks_client = JWKSClient(
        config.jwks_url,
        algorithms=config.ALGORITHMS,
        timeout=config.JWKS_TIMEOUT,
        max_bytes=config.JWKS_MAX_BYTES,
        cache_lifetime=config.JWKS_CACHE_LIFETIME,
        cooldown=config.JWKS_REFETCH_COOLDOWN,
    )
    options = dict(
        issuer=config.issuer,
        audiences=config.audiences,
        key_source=jwks_client,
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


def reset():
    """Forget the verifier (and its cached keys); the next request builds a new one."""
    global _verifier
    with _lock:
        _verifier = None
