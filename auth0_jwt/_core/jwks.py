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
starts its own) and ends with the client: ``close()`` cuts a fetch in flight short.
"""
import json
import logging
import math
import os
import threading
import time
import weakref

from jose import jwk

from auth0_jwt._core.errors import SigningKeysUnavailable, UnknownSigningKey
from auth0_jwt._core.fetch import Deadline, FetchError, deadline_session, get_capped
from auth0_jwt._core.outage import OutageLog

logger = logging.getLogger("auth0_jwt.jwks")

# RFC 7518 section 3.3: RSA keys for RS* must be at least 2048 bits.
MIN_RSA_BITS = 2048
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
REFRESH_AT = 0.8  # of cache_lifetime: the background refresh starts this early
FIRST_RETRY = 1.0  # seconds after a failed fetch (doubling for background refreshes)
SHARED_POLL = 0.05  # seconds between looks at the shared copy while another process fetches
# A shared copy outlives its freshness: a process starting during an outage is better off
# with keys it knows to be old (it refreshes them at once) than with none.
SHARED_COPY_TTL = 24 * 3600
NEVER = float("inf")


class JWKSFetchError(Exception):
    """The JWKS endpoint gave no usable key set; the message is safe to log."""


class _Fetch:
    """One fetch in flight: what it is for, when it started, who may wait for it."""

    def __init__(self, kid, started, waitable):
        self.kid = kid  # the kid a request is missing, or None (refresh, readiness)
        self.started = started  # client clock
        self.started_real = time.monotonic()  # waits and durations are real time
        self.waitable = waitable
        self.done = threading.Event()
        self.deadline = None


class JWKSClient:
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

    def __init__(self, url, *, algorithms=("RS256",), timeout=5.0, max_bytes=100_000,
                 cache_lifetime=600, cooldown=30, wait=1.0, session=None, clock=time.monotonic,
                 wall_clock=time.time, shared_store=None, log_summary_every=60.0):
        self.url = url
        self.algorithms = tuple(a for a in algorithms if a in RSA_ALGORITHMS)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache_lifetime = cache_lifetime
        self.cooldown = cooldown
        self.wait = wait
        self._session = session
        self._clock = clock
        self._wall = wall_clock
        self._shared_store = shared_store
        self._first_retry = min(FIRST_RETRY, cooldown)
        self._refresh_age = max(REFRESH_AT * cache_lifetime, cooldown)
        self._lock = threading.Lock()
        self._keys = {}
        self._fingerprint = frozenset()
        self._fetched_at = None  # clock time of the held set's fetch (ours or a shared copy's)
        self._fetched_wall = None  # the same in wall time, as the shared copy carries it
        self._due = -NEVER  # before this clock time, get_key looks no further than the dict
        self._fetch = None
        self._failures = 0  # consecutive failed fetches
        self._attempt_ended = None
        self._prompt = True  # the last fetch ended within ``wait``: requests may wait again
        self._suppressed_for = None
        self._closed = False
        self._outage = OutageLog(logger, "JWKS endpoint", summary_every=log_summary_every,
                                 clock=clock, extra={"jwks_url": url})
        self.version = 0
        self.fetch_count = 0
        self.shared_loads = 0
        _track_for_fork(self)

    # -- public -----------------------------------------------------------------------------

    def get_key(self, kid, alg):
        """Return the key for ``kid`` and ``alg``; see the class docstring for the errors."""
        entry = self._keys.get(kid)
        if entry is not None and self._clock() < self._due:
            key = entry.get(alg)
            if key is not None:
                return key
        return self._get_key_slowly(kid, alg, entry)

    def has_keys(self):
        return bool(self._keys)

    def ready(self, wait=None):
        """True when keys are held; else start a fetch (if the schedule allows) and wait for
        it at most ``wait`` seconds (default: the client's ``wait``)."""
        if self._keys:
            return True
        fetch = self._current_or_new_fetch(None, self._clock())
        if fetch is not None:
            self._wait_for(fetch, self.wait if wait is None else wait)
        return bool(self._keys)

    def refresh(self, wait=True):
        """Fetch now unless a fetch is running or the schedule forbids it (a successful fetch
        less than ``cooldown`` ago, a failed one less than ``FIRST_RETRY`` ago). With ``wait``,
        block until the fetch in flight ends: at most ``timeout`` (a server hook, never a
        request: requests wait at most ``wait``)."""
        fetch = self._current_or_new_fetch(None, self._clock(), quiet=True)
        if fetch is not None and wait:
            fetch.done.wait(self.timeout + 1)

    def wait_for_fetch(self, timeout):
        """Block until no fetch is in flight (or ``timeout`` real seconds); True if none is."""
        fetch = self._fetch
        return fetch is None or fetch.done.wait(timeout)

    def close(self):
        """Start no more fetches and cut the one in flight short (its thread ends at once)."""
        self._closed = True
        fetch = self._fetch
        if fetch is not None and fetch.deadline is not None:
            fetch.deadline.expire()

    # -- the request path -------------------------------------------------------------------

    def _get_key_slowly(self, kid, alg, entry):
        if entry is not None:
            self._refresh_if_due()  # in the background: this request goes on with the key
            return _key_for(entry, alg)
        now = self._clock()
        fetch = self._current_or_new_fetch(kid, now)
        if fetch is not None:
            self._wait_for(fetch, self.wait)
            entry = self._keys.get(kid)
            if entry is not None:
                return _key_for(entry, alg)
        if self._fetch is not None or not self._keys or self._failures:
            # The kid may be a key published since the last good fetch: the token may be
            # fine, so a retryable 503, never a 401 that makes the client drop it.
            self._outage.refused()
            raise SigningKeysUnavailable()
        raise UnknownSigningKey()

    def _refresh_if_due(self):
        with self._lock:
            now = self._clock()
            if self._fetch is None and now >= self._due and not self._closed:
                self._start(None, now, waitable=False)

    def _current_or_new_fetch(self, kid, now, quiet=False):
        """The fetch in flight, or a new one if the schedule allows it now, or None."""
        with self._lock:
            if self._fetch is not None:
                return self._fetch
            if self._closed or not self._may_fetch_now(now, quiet):
                return None
            return self._start(kid, now, waitable=self._prompt)

    def _may_fetch_now(self, now, quiet):
        if self._attempt_ended is None:
            return True
        if self._failures or not self._keys:
            return now - self._attempt_ended >= self._first_retry
        if now - self._fetched_at >= self.cooldown:
            return True
        if not quiet:
            self._log_suppressed()
        return False

    def _wait_for(self, fetch, wait):
        # Waits are bounded from the fetch's start: however many requests pile up behind a
        # hanging fetch, together they wait ``wait`` once.
        if fetch.waitable and wait > 0:
            remaining = fetch.started_real + wait - time.monotonic()
            if remaining > 0:
                fetch.done.wait(remaining)

    def _log_suppressed(self):
        # Once per fetched set: a storm of forged kids must not become a storm of log lines.
        if self._suppressed_for != self._fetched_at:
            self._suppressed_for = self._fetched_at
            logger.info("JWKS refetch suppressed by cooldown (%ss)", self.cooldown,
                        extra={"jwks_url": self.url})

    # -- the fetch thread -------------------------------------------------------------------

    def _start(self, kid, now, waitable):
        """Start a fetch thread (the caller holds the lock)."""
        fetch = _Fetch(kid, now, waitable)
        fetch.deadline = Deadline(self.timeout)
        thread = threading.Thread(target=self._run, args=(fetch,), daemon=True,
                                  name="auth0_jwt-jwks-fetch")
        self._fetch, self._due = fetch, NEVER
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: fail this attempt, serve what is held
            self._fetch, self._due = None, now + self._first_retry
            return None
        return fetch

    def _run(self, fetch):
        try:
            source = self._update(fetch)
        except JWKSFetchError as exc:
            if not self._closed:  # cut short by close(): no outage to report
                self._failed(fetch, str(exc))
        except Exception as exc:  # a bug must not leave the client without fetches for good
            logger.exception("JWKS fetch raised %s", type(exc).__name__)
            self._failed(fetch, type(exc).__name__)
        else:
            self._succeeded(fetch, source)
        finally:
            with self._lock:
                if self._fetch is fetch:
                    self._fetch = None
            fetch.done.set()

    def _update(self, fetch):
        """Bring the held set up to date for ``fetch``: a newer shared copy, else a download."""
        if self._adopt_shared_copy() and not self._download_needed(fetch.kid):
            return "loaded from the shared cache"
        deadline = fetch.deadline
        while True:
            if self._claim():
                try:
                    return self._download(deadline)
                finally:
                    self._release()
            # Another process is downloading: its copy will do, unless it is not enough.
            time.sleep(min(SHARED_POLL, deadline.remaining()))
            if self._adopt_shared_copy() and not self._download_needed(fetch.kid):
                return "loaded from the shared cache"
            if deadline.expired or deadline.remaining() <= 0:
                raise JWKSFetchError(f"no complete response within {self.timeout:g} s")

    def _download_needed(self, kid):
        """Is the held set (just loaded from the shared copy) too old for this fetch?"""
        age = self._clock() - self._fetched_at
        if kid is not None and kid not in self._keys:
            return age >= self.cooldown  # younger: the key is simply unknown (401)
        return age >= self._refresh_age

    def _download(self, deadline):
        self.fetch_count += 1
        started, wall = self._clock(), self._wall()
        session = self._session or deadline_session()
        try:
            with deadline:
                body = get_capped(session, self.url, deadline=deadline, max_bytes=self.max_bytes,
                                  headers={"Accept": "application/json"})
        except FetchError as exc:
            raise JWKSFetchError(str(exc)) from exc
        finally:
            if session is not self._session:
                session.close()  # the next fetch opens a connection under its own deadline
        self._install(parse_key_set(body, self.algorithms), started, wall)
        self._share(body, wall)
        return "fetched"

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

    def _succeeded(self, fetch, source):
        elapsed = time.monotonic() - fetch.started_real
        with self._lock:
            self._failures = 0
            self._attempt_ended = self._clock()
            self._prompt = elapsed < self.wait
            self._due = self._fetched_at + self._refresh_age
        refused = self._outage.recovered()
        logger.info("JWKS %s: %d signing key(s) in %.0f ms%s", source, len(self._keys),
                    elapsed * 1000, f"; {refused} request(s) answered 503 meanwhile"
                    if refused else "", extra={"jwks_url": self.url})

    def _failed(self, fetch, reason):
        elapsed = time.monotonic() - fetch.started_real
        with self._lock:
            self._failures += 1
            self._attempt_ended = now = self._clock()
            self._prompt = elapsed < self.wait
            backoff = self._first_retry * 2 ** min(self._failures - 1, 32)
            self._due = now + min(self.cooldown, backoff)
        held = bool(self._keys)
        self._outage.failure("JWKS fetch failed: %s; %s", reason,
                             "serving cached keys" if held else "no signing key known",
                             stale_keys_served=held)

    # -- the shared copy --------------------------------------------------------------------

    def _adopt_shared_copy(self):
        """Install the shared copy if it was fetched after the held set; True if it was."""
        copy = self._read_shared()
        if copy is None:
            return False
        fetched_wall, body = copy
        if self._fetched_wall is not None and fetched_wall <= self._fetched_wall:
            return False
        try:
            keys = parse_key_set(body, self.algorithms)
        except JWKSFetchError:
            return False  # a bad shared entry is not trusted: download instead
        age = max(0.0, self._wall() - fetched_wall)  # another host's clock may run ahead
        self._install(keys, self._clock() - age, fetched_wall)
        self.shared_loads += 1
        logger.info("JWKS shared copy loaded: %d signing key(s), fetched %.0f s ago", len(keys),
                    age, extra={"jwks_url": self.url})
        return True

    def _read_shared(self):
        if self._shared_store is None:
            return None
        try:
            value = self._shared_store.get()
        except Exception as exc:  # the shared cache is an optimisation: fall back to fetching
            logger.warning("JWKS shared cache unreadable: %s", type(exc).__name__)
            return None
        if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], (int, float))
                and not isinstance(value[0], bool) and math.isfinite(value[0])
                and isinstance(value[1], bytes)):
            return value
        return None

    def _share(self, body, fetched_wall):
        if self._shared_store is None:
            return
        try:
            self._shared_store.set((fetched_wall, body), max(SHARED_COPY_TTL,
                                                             self.cache_lifetime))
        except Exception as exc:
            logger.warning("JWKS shared cache not written: %s", type(exc).__name__)

    def _claim(self):
        """True if this process may download now (no other one holds the shared claim)."""
        claim = getattr(self._shared_store, "claim", None)
        if claim is None:
            return True
        try:
            return bool(claim(self.timeout + 1))
        except Exception as exc:  # a cache outage must not stop the fetch
            logger.warning("JWKS shared cache unreadable: %s", type(exc).__name__)
            return True

    def _release(self):
        release = getattr(self._shared_store, "release", None)
        if release is not None:
            try:
                release()
            except Exception:  # the claim expires by itself
                pass

    # -- fork -------------------------------------------------------------------------------

    def _after_fork_in_child(self):
        self._lock = threading.Lock()
        self._outage.after_fork()
        if self._fetch is not None:
            # Its thread exists only in the parent: start over (the next request refreshes).
            self._fetch = None
            self._due = -NEVER


def _key_for(entry, alg):
    key = entry.get(alg)
    if key is None:
        raise UnknownSigningKey()
    return key


_clients = weakref.WeakSet()
_fork_hook = []


def _track_for_fork(client):
    if not _fork_hook:
        _fork_hook.append(True)
        os.register_at_fork(after_in_child=_after_fork_in_child)
    _clients.add(client)


def _after_fork_in_child():
    for client in list(_clients):
        client._after_fork_in_child()


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
