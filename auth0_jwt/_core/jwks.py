"""Fetching and caching the tenant's signing keys (JWKS). No Django imports.

Keys are turned into python-jose key objects once per fetch, never per request. One thread
fetches while the others wait (no refetch storm), fetches are at least ``cooldown`` seconds
apart, and a failed refresh keeps the keys already held (unlike PyJWT's ``PyJWKClient``).
"""
import json
import logging
import secrets
import threading
import time

import requests
import urllib3
from jose import jwk

from auth0_jwt._core.errors import SigningKeysUnavailable, UnknownSigningKey

logger = logging.getLogger("auth0_jwt.jwks")

# RFC 7518 section 3.3: RSA keys for RS* must be at least 2048 bits.
MIN_RSA_BITS = 2048
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})


class JWKSFetchError(Exception):
    """The JWKS endpoint gave no usable key set; the message is safe to log."""


class JWKSClient:
    """Signing keys of one JWKS URL, as ``{kid: {alg: python-jose key}}``.

    ``get_key(kid, alg)`` returns the key or raises ``UnknownSigningKey`` (the set was fetched
    and has no such key: 401) or ``SigningKeysUnavailable`` (no key set could be fetched: 503).
    ``version`` changes whenever the set of keys changes, so caches built on them can be emptied.

    ``shared_store`` (optional, ``get()`` / ``set(value, timeout)``, e.g. a Django cache entry
    on Redis) shares the fetched document between processes: a refresh first looks there for a
    document newer than the one held, and only downloads when there is none. Each process
    still parses the keys once per document, never per request.
    """

    def __init__(self, url, *, algorithms=("RS256",), timeout=5.0, max_bytes=100_000,
                 cache_lifetime=600, cooldown=30, session=None, clock=time.monotonic,
                 shared_store=None):
        self.url = url
        self.algorithms = tuple(a for a in algorithms if a in RSA_ALGORITHMS)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache_lifetime = cache_lifetime
        self.cooldown = cooldown
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = {}
        self._fingerprint = frozenset()
        self._fetched_at = None
        self._last_attempt = None
        self._last_attempt_failed = False
        self._shared_store = shared_store
        self._document_id = None
        self._suppression_logged = False
        self.version = 0
        self.fetch_count = 0
        self.shared_loads = 0

    # -- public -----------------------------------------------------------------------------

    def get_key(self, kid, alg):
        """Return the key for ``kid`` and ``alg``, fetching or refetching the set if needed."""
        entry = self._keys.get(kid)
        if entry is None or self._is_stale():
            # A known kid in a stale set keeps working while one thread refreshes.
            self.refresh(wait=entry is None)
            entry = self._keys.get(kid)
        if entry is not None and alg in entry:
            return entry[alg]
        if entry is None and (self._fetched_at is None or self._last_attempt_failed):
            raise SigningKeysUnavailable()
        raise UnknownSigningKey()

    def has_keys(self):
        return bool(self._keys)

    def refresh(self, wait=True):
        """Fetch the key set unless another thread is doing it or the cooldown forbids it."""
        if not self._lock.acquire(blocking=wait):
            return
        try:
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self.cooldown:
                self._log_suppressed()
                return
            self._last_attempt = now
            self._suppression_logged = False
            self._fetch_and_store(now)
        finally:
            self._lock.release()

    # -- steps ------------------------------------------------------------------------------

    def _log_suppressed(self):
        # Once per cooldown window: a storm of forged kids must not become a storm of log lines.
        if not self._suppression_logged:
            self._suppression_logged = True
            logger.info("JWKS refetch suppressed by cooldown (%ss)", self.cooldown,
                        extra={"jwks_url": self.url})

    def _is_stale(self):
        return self._fetched_at is not None and self._clock() - self._fetched_at >= self.cache_lifetime

    def _fetch_and_store(self, now):
        started = time.monotonic()
        try:
            keys, source = self._obtain_keys()
        except JWKSFetchError as exc:
            self._last_attempt_failed = True
            logger.warning("JWKS fetch failed: %s%s", exc,
                           "; serving cached keys" if self._keys else "; no signing key known",
                           extra={"jwks_url": self.url, "stale_keys_served": bool(self._keys)})
            return
        self._last_attempt_failed = False
        self._fetched_at = now
        fingerprint = frozenset((kid, alg, _public_numbers(key))
                                for kid, by_alg in keys.items() for alg, key in by_alg.items())
        # Keys first, version second: whoever reads the new version then reads the new keys
        # (token_cache.py relies on it to never remember a token under a removed key).
        self._keys = keys
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.version += 1
        logger.info("JWKS %s: %d signing key(s) in %.0f ms", source, len(keys),
                    (time.monotonic() - started) * 1000, extra={"jwks_url": self.url})

    def _obtain_keys(self):
        """Keys of a newer document from the shared store, else of a download (then shared)."""
        shared = self._newer_shared_document()
        if shared is not None:
            try:
                keys = parse_key_set(shared[1], self.algorithms)
            except JWKSFetchError:
                pass  # a bad shared entry is not trusted: download instead
            else:
                self._document_id = shared[0]
                self.shared_loads += 1
                return keys, "loaded from the shared cache"
        self.fetch_count += 1
        body = self._download()
        keys = parse_key_set(body, self.algorithms)
        self._share(body)
        return keys, "fetched"

    def _newer_shared_document(self):
        if self._shared_store is None:
            return None
        try:
            value = self._shared_store.get()
        except Exception as exc:  # the shared cache is an optimisation: fall back to fetching
            logger.warning("JWKS shared cache unreadable: %s", type(exc).__name__)
            return None
        if (isinstance(value, (tuple, list)) and len(value) == 2
                and isinstance(value[1], bytes) and value[0] != self._document_id):
            return value
        return None

    def _share(self, body):
        self._document_id = secrets.token_hex(8)
        if self._shared_store is None:
            return
        try:
            self._shared_store.set((self._document_id, body), self.cache_lifetime)
        except Exception as exc:
            logger.warning("JWKS shared cache not written: %s", type(exc).__name__)

    def _download(self):
        session = self._session or self._default_session()
        deadline = time.monotonic() + self.timeout
        try:
            with session.get(self.url, timeout=self.timeout, stream=True, allow_redirects=False,
                             headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise JWKSFetchError(f"HTTP status {response.status_code}")
                return self._read_capped(response, deadline)
        except requests.RequestException as exc:
            raise JWKSFetchError(type(exc).__name__) from exc

    def _read_capped(self, response, deadline):
        """Read at most ``max_bytes`` (decoded) before ``deadline``.

        requests' timeout bounds each socket read, not the download, and ``iter_content``
        fills a whole chunk before returning: a server dribbling a few bytes per second
        would hold the fetch (and every thread waiting for it) for hours. ``read1`` does
        one socket read per call, so the deadline is checked after every read and a fetch
        lasts at most about twice the timeout.
        """
        body = bytearray()
        raw = response.raw
        while True:
            if time.monotonic() > deadline:
                raise JWKSFetchError("response took longer than the timeout")
            try:
                chunk = raw.read1(16384, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:  # timeouts, resets, bad gzip
                raise JWKSFetchError(type(exc).__name__) from exc
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > self.max_bytes:
                raise JWKSFetchError(f"response larger than {self.max_bytes} bytes")

    def _default_session(self):
        self._session = requests.Session()
        return self._session


def parse_key_set(body, algorithms):
    """Turn a JWKS document into ``{kid: {alg: key}}``; raise if it holds no usable key."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise JWKSFetchError("response is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JWKSFetchError("response has no 'keys' array")
    keys, duplicated = {}, set()
    for candidate in document["keys"]:
        built = build_signing_key(candidate, algorithms)
        if built is None:
            continue
        kid, by_alg = built
        if kid in keys:
            duplicated.add(kid)
        keys[kid] = by_alg
    for kid in duplicated:
        # Two keys claiming one kid: neither can be trusted to be the right one.
        del keys[kid]
    if not keys:
        raise JWKSFetchError("no usable RSA signing key in the key set")
    return keys


def build_signing_key(candidate, algorithms):
    """Return ``(kid, {alg: key})`` for a public RSA signing JWK, or None for any other key."""
    if not _is_rsa_signing_jwk(candidate):
        return None
    declared = candidate.get("alg")
    if declared is not None and declared not in algorithms:
        return None
    public = {"kty": "RSA", "n": candidate["n"], "e": candidate["e"]}
    by_alg = {}
    for alg in [declared] if declared else algorithms:
        try:
            key = jwk.construct(public, alg)
        except Exception:  # python-jose raises several types on bad numbers
            return None
        if key.prepared_key.key_size < MIN_RSA_BITS:
            return None
        by_alg[alg] = key
    return (candidate["kid"], by_alg) if by_alg else None


def _is_rsa_signing_jwk(candidate):
    if not isinstance(candidate, dict) or candidate.get("kty") != "RSA":
        return False
    # RFC 7518 section 6.3.2: any private member ("d", or CRT values without it) means a private
    # key was published by mistake: such a key is never used.
    if candidate.get("use", "sig") != "sig" or any(
            member in candidate for member in ("d", "p", "q", "dp", "dq", "qi", "oth")):
        return False
    key_ops = candidate.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return False
    kid = candidate.get("kid")
    return (isinstance(kid, str) and kid != "" and isinstance(candidate.get("n"), str)
            and isinstance(candidate.get("e"), str))


def _public_numbers(key):
    numbers = key.prepared_key.public_numbers()
    return numbers.n, numbers.e
