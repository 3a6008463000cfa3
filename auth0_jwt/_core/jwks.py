"""Fetching and caching the tenant's signing keys (JWKS). No Django imports.

Keys are turned into python-jose key objects once per fetch, never per request. The network
is never on a request's path for a key the process holds:

- a request finds its key with two dict lookups and a clock read (``get_key``);
- the set is refreshed in the background once it is ``REFRESH_AT`` of ``cache_lifetime`` old
  (stale-while-revalidate): requests keep using the held keys while the refresh runs, and
  after it fails (unlike PyJWT's ``PyJWKClient``, which empties its cache);
- a ``kid`` the process does not hold starts one fetch (one per process at a time, and one
  per host when the set is shared through a cache) and its request waits for it at most
  ``wait`` seconds, then gets a 503 while the fetch goes on. A request waits only while the
  tenant answers promptly: once a fetch has outlasted ``wait``, later requests do not wait
  until a fetch is prompt again, so a hanging tenant costs each process that bound once;
- every fetch runs in a short-lived daemon thread, under one deadline (``fetch.py``): connect,
  TLS, headers and body together take at most ``timeout`` seconds.

Fetch schedule (``clock`` seconds):

- after a successful fetch, an unknown ``kid`` refetches only once the set is ``cooldown``
  old, so a storm of forged ``kid``s costs the tenant one request per cooldown; before that
  it is an unknown key (401);
- after a failed fetch, a process asked for a key it lacks retries ``FIRST_RETRY`` (1 s, or
  the cooldown if shorter) after the failure, so it serves again about a second after the
  tenant is back; background refreshes of a held set back off from ``FIRST_RETRY``, doubling
  up to the cooldown (nobody waits for them).

A shared copy (``shared_store``) carries its fetch time; a process that loads it judges its
age, and so refreshes and cooldowns, by that time, never by when it loaded it.

Background work is fork-safe (a forked child forgets a fetch its parent had in flight and
starts its own) and ends with the client: ``close()`` cuts a fetch in flight short. The
schedule, threads, waits, shared copy and outage log are ``remote.py``'s, shared with the
issuer metadata client (``discovery.py``); what is particular to keys lives here.
"""
import json
import logging
import time

from jose import jwk

from auth0_jwt._core.errors import UnknownSigningKey
from auth0_jwt._core.fetch import FetchError, get_capped
from auth0_jwt._core.remote import DocumentError, RemoteDocument

logger = logging.getLogger("auth0_jwt.jwks")

# RFC 7518 section 3.3: RSA keys for RS* must be at least 2048 bits.
MIN_RSA_BITS = 2048
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})


class JWKSFetchError(DocumentError):
    """The JWKS endpoint gave no usable key set; the message is safe to log."""


class JWKSClient(RemoteDocument):
    """Signing keys of one JWKS URL, as ``{kid: {alg: python-jose key}}``.

    ``get_key(kid, alg)`` returns the key or raises ``UnknownSigningKey`` (the latest key set
    was fetched and has no such key: 401) or ``SigningKeysUnavailable`` (no key set could be
    fetched, or a fetch that may bring the key is still running: 503). ``version`` changes
    whenever the set of keys changes, so caches built on them can be emptied.

    ``shared_store`` (optional: ``get()``, ``set(value, timeout)``, and optionally
    ``claim(timeout)`` / ``release()``, e.g. a Django cache entry on Redis) shares the fetched
    document, with its fetch time, between processes: a fetch first looks there for a copy
    newer than the one held, and only downloads when that copy is too old for the purpose
    (``_download_needed``). With ``claim``, one process downloads while the others wait for
    its copy.

    ``session`` is a ``requests.Session``; the default one bounds every phase of a fetch by
    ``timeout`` (an injected session should mount ``fetch.DeadlineAdapter`` for the same).
    ``clock`` (monotonic) drives lifetimes, cooldowns and retries; ``wall_clock`` dates the
    shared copy, which other hosts read.
    """

    logger = logger
    label = "JWKS"
    thread_name = "auth0_jwt-jwks-fetch"
    held_note = "serving cached keys"
    none_note = "no signing key known"
    stale_field = "stale_keys_served"

    def __init__(self, url, *, algorithms=("RS256",), timeout=5.0, max_bytes=100_000,
                 cache_lifetime=600, cooldown=30, wait=1.0, session=None, clock=time.monotonic,
                 wall_clock=time.time, shared_store=None, log_summary_every=60.0):
        self.url = url
        self.algorithms = tuple(a for a in algorithms if a in RSA_ALGORITHMS)
        self.max_bytes = max_bytes
        self._keys = {}
        self._fingerprint = frozenset()
        self._suppressed_for = None
        self.version = 0
        super().__init__(endpoint="JWKS endpoint", timeout=timeout,
                         cache_lifetime=cache_lifetime, cooldown=cooldown, wait=wait,
                         session=session, clock=clock, wall_clock=wall_clock,
                         shared_store=shared_store, log_summary_every=log_summary_every)

    # -- public -----------------------------------------------------------------------------

    def get_key(self, kid, alg):
        """Return the key for ``kid`` and ``alg``; see the class docstring for the errors."""
        entry = self._keys.get(kid)
        if entry is not None and self._clock() < self._due:
            key = entry.get(alg)
            if key is not None:
                return key
        return self._get_key_slowly(kid, alg, entry, self.wait)

    def get_key_within(self, kid, alg, wait):
        """``get_key``, waiting at most ``wait`` seconds for a fetch (the rest of a caller's
        budget, e.g. after it waited for the issuer's metadata)."""
        return self._get_key_slowly(kid, alg, self._keys.get(kid), min(wait, self.wait))

    def has_keys(self):
        return bool(self._keys)

    @property
    def log_extra(self):
        return {"jwks_url": self.url}

    # -- the request path -------------------------------------------------------------------

    def _get_key_slowly(self, kid, alg, entry, wait):
        if entry is not None:
            self._refresh_if_due()  # in the background: this request goes on with the key
            return _key_for(entry, alg)
        now = self._clock()
        fetch = self._current_or_new_fetch(kid, now)
        if fetch is not None:
            self._wait_for(fetch, wait)
            entry = self._keys.get(kid)
            if entry is not None:
                return _key_for(entry, alg)
        if self._fetch is not None or not self._keys or self._failures:
            # The kid may be a key published since the last good fetch: the token may be
            # fine, so a retryable 503, never a 401 that makes the client drop it.
            raise self.unavailable()
        raise UnknownSigningKey()

    def _refused_by_cooldown(self):
        # Once per fetched set: a storm of forged kids must not become a storm of log lines.
        if self._suppressed_for != self._fetched_at:
            self._suppressed_for = self._fetched_at
            logger.info("JWKS refetch suppressed by cooldown (%ss)", self.cooldown,
                        extra={"jwks_url": self.url})

    # -- what RemoteDocument asks of a key set ----------------------------------------------

    def _holds(self):
        return bool(self._keys)

    def _download_needed(self, kid):
        """Is the held set (just loaded from the shared copy) too old for this fetch?"""
        if kid is not None and kid not in self._keys:
            # Younger than the cooldown: the key is simply unknown (401).
            return self._clock() - self._fetched_at >= self.cooldown
        return super()._download_needed(kid)

    def _download_document(self, session, deadline):
        try:
            body = get_capped(session, self.url, deadline=deadline, max_bytes=self.max_bytes,
                              headers={"Accept": "application/json"})
        except FetchError as exc:
            raise JWKSFetchError(str(exc)) from exc
        return self._parse(body), body

    def _parse(self, body):
        return parse_key_set(body, self.algorithms)

    def _install(self, keys, fetched_at, fetched_wall):
        fingerprint = frozenset((kid, alg, _public_numbers(key))
                                for kid, by_alg in keys.items() for alg, key in by_alg.items())
        # Keys first, version second: whoever reads the new version then reads the new keys
        # (token_cache.py relies on it to never remember a token under a removed key).
        self._keys = keys
        self._fetched_at, self._fetched_wall = fetched_at, fetched_wall
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.version += 1

    def _summary(self):
        return f"{len(self._keys)} signing key(s)"


def _key_for(entry, alg):
    key = entry.get(alg)
    if key is None:
        raise UnknownSigningKey()
    return key


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
