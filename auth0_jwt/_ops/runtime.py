"""The process-wide verifiers, JWKS clients and DPoP state, built lazily from the settings.

Built on first use (never at import), once per process, and dropped when ``AUTH0_JWT`` or
``CACHES`` change (``apps.py`` connects ``reset`` to ``setting_changed``). The DPoP replay
store is shared by every worker of a host by default (a SQLite file in ``STATE_DIR``), or by
every host through Django's cache framework (Redis); the JWKS document optionally too.

A registry, keyed by settings set: the project's ``AUTH0_JWT`` and each authentication class's
own overrides (``Auth0JWTAuthentication.auth0_jwt_settings``) get a verifier each, while the
key sources behind them are shared: one JWKS client per JWKS URL and one metadata client per
discovered issuer per process, whichever settings set asked first, so two classes trusting
one tenant share its keys, cache, cooldown and single flight.
"""
import hashlib
import inspect
import logging
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from auth0_jwt._core.discovery import DiscoveredKeySource, MetadataClient
from auth0_jwt._core.dpop import ProofVerifier
from auth0_jwt._core.issuers import MultiIssuerVerifier
from auth0_jwt._core.jwks import RSA_ALGORITHMS, JWKSClient
from auth0_jwt._core.static_keys import SecretKeySource, StaticKeySource
from auth0_jwt._core.validators import ClaimValidators
from auth0_jwt._dev.local_issuer import LocalIssuer, NoTrustedIssuer
from auth0_jwt._core.nonces import NonceSource
from auth0_jwt._core.remote import RemoteDocument
from auth0_jwt._core.replay import CacheReplayStore, InProcessReplayStore
from auth0_jwt._core.replay_guard import GuardedReplayStore
from auth0_jwt._core.replay_sqlite import SQLiteReplayStore
from auth0_jwt._settings import Auth0JWTSettings, auth0_settings
from auth0_jwt._core.shared_cache import CacheEntry
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.verification import TokenVerifier

logger = logging.getLogger("auth0_jwt.jwks")
issuers_logger = logging.getLogger("auth0_jwt.issuers")
_lock = threading.RLock()  # build_proof_verifier calls get_nonces; verifiers build clients
_state = {}
REPLAY_FILE_NAME = "dpop-replay.sqlite3"
# Seconds a failed replay store is left alone before one request probes it. Redis: as long as
# the 503's Retry-After. The file: a failure there is local and quick to retry.
REPLAY_STORE_PAUSE = {"cache": 5.0, "file": 1.0}
OUTAGE_SUMMARY_INTERVAL = 60.0  # seconds between two "still unavailable" lines


def _get(name, build, config=None):
    value = _state.get(name)
    if value is None:
        with _lock:
            if name not in _state:
                _state[name] = build(auth0_settings if config is None else config)
            value = _state[name]
    return value


def get_verifier(overrides=None):
    """The shared verifier of the project's settings, or of one authentication class's
    ``overrides`` (a dict, keyed by identity: a class attribute lives as long as the class).

    A ``TokenVerifier`` (a ``CachingVerifier`` with the token cache on) for one issuer, a
    ``MultiIssuerVerifier`` for ``ISSUERS``; built with its key sources on first call.
    """
    if not overrides:
        return _get("verifier", build_verifier)
    return _get(("verifier", id(overrides)), build_verifier, get_settings(overrides))


def get_settings(overrides=None):
    """The settings object of one settings set (see ``get_verifier``)."""
    if not overrides:
        return auth0_settings
    return _get(("settings", id(overrides)), lambda _: Auth0JWTSettings(overrides=overrides))


def verifier_for(request, overrides=None):
    """The verifier for one request: that of the settings set, narrowed to the issuers that
    ``ISSUER_RESOLVER`` allows for ``request`` (a Django or DRF request) when one is set."""
    verifier = get_verifier(overrides)
    if not isinstance(verifier, MultiIssuerVerifier) or verifier.default_allowed is None:
        return verifier  # no resolver: every configured issuer is allowed
    resolver = get_resolver(overrides)
    allowed = allowed_issuers(resolver, getattr(request, "_request", request), verifier)
    return RestrictedVerifier(verifier, allowed)


def get_resolver(overrides=None):
    """``ISSUER_RESOLVER`` as a callable (an import string is imported once)."""
    def build(config):
        resolver = config.ISSUER_RESOLVER
        return import_string(resolver) if isinstance(resolver, str) else resolver

    key = "resolver" if not overrides else ("resolver", id(overrides))
    return _get(key, build, get_settings(overrides))


class RestrictedVerifier:
    """``verify(token)`` of a ``MultiIssuerVerifier`` for the issuers allowed in one request."""

    __slots__ = ("verifier", "allowed")

    def __init__(self, verifier, allowed):
        self.verifier = verifier
        self.allowed = allowed

    def verify(self, token):
        return self.verifier.verify(token, self.allowed)


def allowed_issuers(resolver, request, verifier):
    """The issuers ``resolver(request)`` names, among those configured; fail closed (none)
    when it raises or answers something else than issuer names."""
    try:
        answer = resolver(request)
        if inspect.isawaitable(answer):
            getattr(answer, "close", lambda: None)()
            raise TypeError("ISSUER_RESOLVER returned an awaitable; it must be synchronous")
        names = frozenset((answer,) if isinstance(answer, str) else answer or ())
    except Exception as exc:
        issuers_logger.error("ISSUER_RESOLVER failed (%s): no issuer is allowed for this "
                             "request", type(exc).__name__)
        return frozenset()
    if not all(isinstance(name, str) for name in names):
        issuers_logger.error("ISSUER_RESOLVER must return issuer names (strings): no issuer is "
                             "allowed for this request")
        return frozenset()
    # The resolver selects among the configured issuers; it never adds one.
    return names.intersection(verifier.verifiers)


def get_proof_verifier():
    """Return the shared DPoP ``ProofVerifier`` (with its replay store) on first call."""
    return _get("proof_verifier", build_proof_verifier)


def get_nonces():
    """The ``NonceSource`` when ``DPOP_NONCE_LIFETIME`` is set, else None."""
    return _get("nonces", build_nonces) or None


def get_user_class():
    """``AUTH0_JWT["USER_CLASS"]``, imported once: called with a ``VerifiedToken``, it returns
    ``request.user`` (default ``auth0_jwt.TokenUser``)."""
    return _get("user_class", build_user_class)


def build_user_class(config):
    user_class = config.USER_CLASS
    return import_string(user_class) if isinstance(user_class, str) else user_class


def build_verifier(config):
    """A ``TokenVerifier`` for the tenant, or for the local issuer; the checks are the same.
    With ``ISSUERS``, a ``MultiIssuerVerifier`` of one ``TokenVerifier`` per issuer.

    With ``TOKEN_CACHE_SIZE`` > 0 it remembers verified tokens (``token_cache.py``).
    """
    if config.ISSUERS is not None and not config.uses_local_issuer:
        return build_multi_issuer_verifier(config)
    options = verifier_options(config)
    options.update(issuer=config.issuer, key_source=build_key_source(config),
                   algorithms=config.ALGORITHMS)
    if config.TOKEN_CACHE_SIZE:
        # A repeated token skips the signature check; see token_cache.py for what is re-checked.
        return CachingVerifier(cache_size=config.TOKEN_CACHE_SIZE, **options)
    return TokenVerifier(**options)


def verifier_options(config):
    """The checks every issuer of a settings set shares."""
    validators = ClaimValidators(config.VALIDATORS) if config.VALIDATORS else None
    return dict(audiences=config.audiences, leeway=config.LEEWAY, max_age=config.MAX_TOKEN_AGE,
                strict_rfc9068=config.STRICT_RFC9068, max_length=config.MAX_TOKEN_LENGTH,
                validators=validators)


def build_multi_issuer_verifier(config):
    """One plain ``TokenVerifier`` per issuer behind one token cache (``issuers.py``)."""
    options = verifier_options(config)
    verifiers = {}
    for entry in config.issuer_entries:
        verifiers[entry["ISSUER"]] = TokenVerifier(
            issuer=entry["ISSUER"], algorithms=entry["ALGORITHMS"],
            key_source=build_entry_key_source(entry), **options)
    return MultiIssuerVerifier(
        verifiers, cache_size=config.TOKEN_CACHE_SIZE, max_length=config.MAX_TOKEN_LENGTH,
        # With a resolver, a caller that does not ask it (verify(token) alone) gets no issuer.
        default_allowed=frozenset() if config.ISSUER_RESOLVER is not None else None)


def build_key_source(config):
    """The tenant's key source, or the local issuer's key (only ever with ``DEBUG`` on)."""
    if config.uses_local_issuer:
        # Fail closed even if system checks were skipped: no local key without DEBUG.
        return get_local_issuer(config) if settings.DEBUG else NoTrustedIssuer()
    if config.issuer is None:
        return NoTrustedIssuer()
    return build_entry_key_source(config.issuer_entries[0])


def build_entry_key_source(entry):
    """The key source of one issuer: a static key, a secret, discovery, or its JWKS URL."""
    if entry.get("PUBLIC_KEY"):
        return StaticKeySource(entry["PUBLIC_KEY"], entry["ALGORITHMS"])
    if entry.get("SECRET"):
        return SecretKeySource(entry["SECRET"], entry["ALGORITHMS"])
    algorithms = entry["ALGORITHMS"]
    if entry.get("DISCOVERY"):
        return DiscoveredKeySource(get_metadata_client(entry["ISSUER"]),
                                   lambda url: get_jwks_client(url, algorithms))
    return get_jwks_client(entry["JWKS_URL"], algorithms)


def get_jwks_client(url, algorithms=("RS256",)):
    """The one ``JWKSClient`` of ``url`` in this process, shared by every verifier using it.

    Its fetch policy (``JWKS_*``) is the project's. Keyed by the RS ``algorithms`` too (a key
    set whose keys are all for other algorithms is no key set for this API: 503, not 401),
    which settings sets almost always share.
    """
    algorithms = tuple(sorted(a for a in algorithms if a in RSA_ALGORITHMS))
    return _get(("jwks", url, algorithms),
                lambda config: build_jwks_client(url, algorithms, config))


def build_jwks_client(url, algorithms, config):
    return JWKSClient(
        url,
        algorithms=algorithms,
        timeout=config.JWKS_TIMEOUT,
        max_bytes=config.JWKS_MAX_BYTES,
        cache_lifetime=config.JWKS_CACHE_LIFETIME,
        cooldown=config.JWKS_REFETCH_COOLDOWN,
        wait=config.JWKS_WAIT,
        shared_store=build_shared_store(config, "jwks", url),
    )


def get_metadata_client(issuer):
    """The one ``MetadataClient`` (discovery) of ``issuer`` in this process, with the JWKS
    fetch policy (``JWKS_*``): the metadata is one more document the keys depend on."""
    return _get(("metadata", issuer), lambda config: MetadataClient(
        issuer, timeout=config.JWKS_TIMEOUT, max_bytes=config.JWKS_MAX_BYTES,
        cache_lifetime=config.JWKS_CACHE_LIFETIME, cooldown=config.JWKS_REFETCH_COOLDOWN,
        wait=config.JWKS_WAIT, shared_store=build_shared_store(config, "metadata", issuer)))


def get_local_issuer(config):
    """The local issuer for ``LOCAL_ISSUER_KEY_FILE`` (the key is read on first use)."""
    return LocalIssuer(config.LOCAL_ISSUER_KEY_FILE)


def build_shared_store(config, kind, url):
    """The entry of ``JWKS_SHARED_CACHE`` sharing the ``kind`` ("jwks", "metadata") document
    of ``url`` (a JWKS URL, an issuer), or None."""
    alias = config.JWKS_SHARED_CACHE
    if alias is None:
        return None
    url_hash = hashlib.sha256((url or "").encode("utf-8")).hexdigest()[:32]
    return CacheEntry(AliasCache(alias), f"auth0_jwt:{kind}:{url_hash}")


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
        store = CacheReplayStore(replay_cache(config.DPOP_REPLAY_CACHE))
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


def replay_cache(alias):
    """The cache of the "cache" replay store: Django's cache ``alias``, its ``add`` through
    one held redis-py client when it is Django's Redis backend (``HeldRedisCache``)."""
    if isinstance(caches[alias], RedisCache):
        return HeldRedisCache(alias)
    return AliasCache(alias)


class HeldRedisCache:
    """``add(key, value, timeout)`` of Django's Redis cache ``alias``, as
    ``RedisCache.add`` does it (``SET key value NX EX timeout`` on the first server, the key
    made by the cache's ``make_key``: prefix and version), on one redis-py client held for
    the store's life instead of a new one per call, which was half the cost of a write.

    The client uses the cache's own connection pool, so its options (socket timeouts) hold;
    redis-py's pool is thread-safe and opens new connections in a forked child. Only plain
    integers are written: Django's serializer stores those as their digits, as here. The
    client comes from ``RedisCache._cache.get_client``, the accessor Django's own methods
    use but not a public API: ``tests/test_replay.py`` checks it against a real Redis.
    """

    def __init__(self, alias):
        self.alias = alias
        self._cache = caches[alias]
        self._client = None

    def add(self, key, value, timeout):
        if type(value) is not int or not isinstance(timeout, int) or timeout <= 0:
            return self._cache.add(key, value, timeout)  # what only Django's code does right
        if self._client is None:
            self._client = self._cache._cache.get_client(write=True)
        return bool(self._client.set(self._cache.make_key(key), value, ex=timeout, nx=True))


def reset():
    """Forget the verifiers (and their cached keys); the next request builds new ones.

    Every dropped JWKS and metadata client is closed: a fetch it has in flight ends now, not
    at its deadline (settings overrides in tests reset constantly: no thread outlives its
    client for long).
    """
    with _lock:
        dropped = list(_state.values())
        _state.clear()
    for value in dropped:
        if isinstance(value, RemoteDocument):
            value.close()


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
        # A list, not a generator: every issuer's keys are fetched, not only the first's.
        ready = any([fetch_keys_now(source) for source in key_sources(get_verifier())])
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


def fetch_keys_now(key_source):
    """Fetch the JWKS and wait for it (bounded by ``JWKS_TIMEOUT``); True if keys are held.

    For a server hook only: a request never waits longer than ``JWKS_WAIT``.
    """
    refresh = getattr(key_source, "refresh", None)
    if refresh is None:  # the local issuer (or no issuer): nothing to fetch
        return key_source.ready(wait=0)
    refresh(wait=True)
    return key_source.has_keys()


def signing_keys_available():
    """True when the process can verify tokens: it holds signing keys, or gets them within
    ``JWKS_WAIT`` (the fetch goes on in the background if it takes longer).

    Fetches follow the key sources' schedules, so frequent readiness probes during an outage
    do not turn into a request storm against the tenant, and a probe never waits on a tenant
    that hangs for more than that bound. With several issuers, keys of one of them are
    enough: one issuer's outage must not take the API away from the others (its own tokens
    get 503 meanwhile).
    """
    sources = key_sources(get_verifier())
    # First without waiting (which also starts a fetch wherever no key is held), then the
    # remaining wait shared by all, so several issuers never add up their waits.
    if any([source.ready(wait=0) for source in sources]):
        return True
    deadline = time.monotonic() + auth0_settings.JWKS_WAIT
    return any([source.ready(wait=max(0.0, deadline - time.monotonic())) for source in sources])


def keys_retry_hint():
    """Seconds after which the keys missing now may be held (a fetch still running: a second
    or two), or None during an outage (then ``JWKS_RETRY_AFTER``). For ``/readyz``'s 503."""
    hints = [hint for hint in (getattr(source, "retry_hint", lambda: None)()
                               for source in key_sources(get_verifier())) if hint is not None]
    return min(hints) if hints else None


def key_sources(verifier):
    """The key sources behind a verifier: one, or one per issuer."""
    sources = getattr(verifier, "key_sources", None)
    return sources() if sources is not None else [verifier.key_source]
