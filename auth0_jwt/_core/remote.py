"""A remote document fetched on a schedule, with bounded waits. No Django imports.

What the JWKS client (``jwks.py``) and the issuer metadata client (``discovery.py``) share:
both hold a small document from the tenant that every request needs, and neither may put the
network on a request's path once it holds one. ``RemoteDocument`` owns the schedule, the
fetch threads, the waits, the shared copy and the outage log; a subclass says where the
document comes from, how it is parsed and what it holds.

- Every fetch runs in a short-lived daemon thread, under one deadline (``fetch.py``): connect,
  TLS, headers and body together take at most ``timeout`` seconds. One fetch is in flight per
  client at a time.
- A held document is refreshed in the background once it is ``REFRESH_AT`` of
  ``cache_lifetime`` old (stale-while-revalidate); requests keep using it while the refresh
  runs, and after it fails.
- A request that needs a fetch (nothing held, or a subclass's reason) waits for it at most
  ``wait`` seconds, counted from the fetch's start: however many requests pile up behind a
  hanging fetch, together they wait ``wait`` once. Once a fetch has outlasted ``wait``, later
  requests do not wait until a fetch is prompt again, so a hanging tenant costs each process
  that bound once.
- After a success, a request-driven fetch is allowed once the document is ``cooldown`` old.
  After a failure, a process that holds nothing retries ``FIRST_RETRY`` (1 s, or the cooldown
  if shorter) after it, so it serves again about a second after the tenant is back;
  background refreshes of a held document back off from ``FIRST_RETRY``, doubling up to the
  cooldown (nobody waits for them).
- A shared copy (``shared_store``) carries its fetch time; a process that loads it judges its
  age, and so refreshes and cooldowns, by that time, never by when it loaded it.
- An outage is logged once (``outage.py``), not once per request.
- Fork-safe (a forked child forgets a fetch its parent had in flight and starts its own);
  ``close()`` cuts a fetch in flight short and starts no more.
"""
import math
import os
import threading
import time
import weakref

from auth0_jwt._core.errors import SigningKeysUnavailable
from auth0_jwt._core.fetch import Deadline, FetchError, deadline_session
from auth0_jwt._core.outage import OutageLog

REFRESH_AT = 0.8  # of cache_lifetime: the background refresh starts this early
FIRST_RETRY = 1.0  # seconds after a failed fetch (doubling for background refreshes)
SHARED_POLL = 0.05  # seconds between looks at the shared copy while another process fetches
# A shared copy outlives its freshness: a process starting during an outage is better off
# with a document it knows to be old (it refreshes it at once) than with none.
SHARED_COPY_TTL = 24 * 3600
NEVER = float("inf")
# Seconds a client is told to wait (Retry-After) when its request outwaited a fetch that is
# still running and nothing has failed: its result is a second or two away, not an outage.
RETRY_SOON = (1, 2)  # at least, at most


class DocumentError(Exception):
    """The endpoint gave no usable document; the message is safe to log."""


class _Fetch:
    """One fetch in flight: what it is for, when it started, who may wait for it."""

    def __init__(self, wanted, started, waitable):
        self.wanted = wanted  # what a request is missing (a kid), or None (refresh, readiness)
        self.started = started  # client clock
        self.started_real = time.monotonic()  # waits and durations are real time
        self.waitable = waitable
        self.done = threading.Event()
        self.deadline = None


class RemoteDocument:
    """The schedule, fetch threads and bounded waits of one remote document (see the module).

    A subclass implements ``_holds()`` (a usable document is held), ``_download_document(
    session, deadline)`` (GET and parse: ``(parsed, body)`` or raise ``DocumentError`` /
    ``FetchError``), ``_parse(body)`` (a shared copy's body, same errors), ``_install(parsed,
    fetched_at, fetched_wall)`` (make it current, setting ``_fetched_at`` and
    ``_fetched_wall``) and ``_summary()`` (what is held, for the log). Its request path reads
    ``_due``: before that clock time, no fetch is due and the held document is used as is.

    ``label`` names the document in log lines ("JWKS"), ``logger`` writes them,
    ``log_extra`` (a property) is added to them; ``thread_name`` names fetch threads.
    """

    logger = None
    label = "Document"
    thread_name = "auth0_jwt-fetch"
    held_note = "serving the document held"
    none_note = "no document held"
    stale_field = "stale_document_served"

    # Fewer than 30 instance attributes in all, subclasses' included: CPython 3.11 shares the
    # keys of instance dicts only up to 30, and the request path reads three of them.
    def __init__(self, *, endpoint, timeout, cache_lifetime, cooldown, wait, session, clock,
                 wall_clock, shared_store, log_summary_every):
        self.timeout = timeout
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
        self._fetched_at = None  # clock time of the held document's fetch (ours or shared)
        self._fetched_wall = None  # the same in wall time, as the shared copy carries it
        self._due = -NEVER  # before this clock time, the request path looks no further
        self._fetch = None
        self._failures = 0  # consecutive failed fetches
        self._attempt_ended = None
        self._prompt = True  # the last fetch ended within ``wait``: requests may wait again
        self._closed = False
        self._outage = OutageLog(self.logger, endpoint, summary_every=log_summary_every,
                                 clock=clock, extra=self.log_extra)
        self.fetch_count = 0
        self.shared_loads = 0
        _track_for_fork(self)

    # -- public -----------------------------------------------------------------------------

    def ready(self, wait=None):
        """True when a document is held; else start a fetch (if the schedule allows) and wait
        for it at most ``wait`` seconds (default: the client's ``wait``)."""
        if self._holds():
            return True
        fetch = self._current_or_new_fetch(None, self._clock())
        if fetch is not None:
            self._wait_for(fetch, self.wait if wait is None else wait)
        return self._holds()

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

    def retry_hint(self):
        """Seconds after which a request refused for want of this document may succeed: 1-2
        while a fetch is running and the last one did not fail (the request only outwaited
        it), else None (an outage: the caller's configured hint)."""
        fetch = self._fetch
        if fetch is None or self._failures or fetch.deadline is None:
            return None
        low, high = RETRY_SOON
        return min(high, max(low, math.ceil(fetch.deadline.remaining())))

    def unavailable(self):
        """The 503 failure of a request this document could not serve, counted for the outage
        log, carrying its own ``retry_after`` (``retry_hint``)."""
        self._outage.refused()
        return SigningKeysUnavailable(retry_after=self.retry_hint())

    def close(self):
        """Start no more fetches and cut the one in flight short (its thread ends at once)."""
        self._closed = True
        fetch = self._fetch
        if fetch is not None and fetch.deadline is not None:
            fetch.deadline.expire()

    # -- the request path -------------------------------------------------------------------

    def _refresh_if_due(self):
        """Start a background refresh if one is due; never waits."""
        with self._lock:
            now = self._clock()
            if self._fetch is None and now >= self._due and not self._closed:
                self._start(None, now, waitable=False)

    def _current_or_new_fetch(self, wanted, now, quiet=False):
        """The fetch in flight, or a new one if the schedule allows it now, or None."""
        with self._lock:
            if self._fetch is not None:
                return self._fetch
            if self._closed or not self._may_fetch_now(now, quiet):
                return None
            return self._start(wanted, now, waitable=self._prompt)

    def _may_fetch_now(self, now, quiet):
        if self._attempt_ended is None:
            return True
        if self._failures or not self._holds():
            return now - self._attempt_ended >= self._first_retry
        if now - self._fetched_at >= self.cooldown:
            return True
        if not quiet:
            self._refused_by_cooldown()
        return False

    def _refused_by_cooldown(self):
        """A request asked for a fetch the cooldown forbids (hook: a log line)."""

    def _wait_for(self, fetch, wait):
        # Waits are bounded from the fetch's start: however many requests pile up behind a
        # hanging fetch, together they wait ``wait`` once.
        if fetch.waitable and wait > 0:
            remaining = fetch.started_real + wait - time.monotonic()
            if remaining > 0:
                fetch.done.wait(remaining)

    # -- the fetch thread -------------------------------------------------------------------

    def _start(self, wanted, now, waitable):
        """Start a fetch thread (the caller holds the lock)."""
        fetch = _Fetch(wanted, now, waitable)
        fetch.deadline = Deadline(self.timeout)
        thread = threading.Thread(target=self._run, args=(fetch,), daemon=True,
                                  name=self.thread_name)
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
        except (DocumentError, FetchError) as exc:
            if not self._closed:  # cut short by close(): no outage to report
                self._failed(fetch, str(exc))
        except Exception as exc:  # a bug must not leave the client without fetches for good
            self.logger.exception("%s fetch raised %s", self.label, type(exc).__name__)
            self._failed(fetch, type(exc).__name__)
        else:
            self._succeeded(fetch, source)
        finally:
            with self._lock:
                if self._fetch is fetch:
                    self._fetch = None
            fetch.done.set()

    def _update(self, fetch):
        """Bring the held document up to date: a newer shared copy, else a download."""
        if self._adopt_shared_copy() and not self._download_needed(fetch.wanted):
            return "loaded from the shared cache"
        deadline = fetch.deadline
        while True:
            if self._claim():
                try:
                    # The previous holder may have shared its copy and let go of the claim
                    # since this process last looked: that copy will do.
                    if self._adopt_shared_copy() and not self._download_needed(fetch.wanted):
                        return "loaded from the shared cache"
                    return self._download(deadline)
                finally:
                    self._release()
            # Another process is downloading: its copy will do, unless it is not enough.
            time.sleep(min(SHARED_POLL, deadline.remaining()))
            if self._adopt_shared_copy() and not self._download_needed(fetch.wanted):
                return "loaded from the shared cache"
            if deadline.expired or deadline.remaining() <= 0:
                raise DocumentError(f"no complete response within {self.timeout:g} s")

    def _download_needed(self, wanted):
        """Is the held document (just loaded from the shared copy) too old for this fetch?"""
        return self._clock() - self._fetched_at >= self._refresh_age

    def _download(self, deadline):
        self.fetch_count += 1
        started, wall = self._clock(), self._wall()
        session = self._session or deadline_session()
        try:
            with deadline:
                parsed, body = self._download_document(session, deadline)
        finally:
            if session is not self._session:
                session.close()  # the next fetch opens a connection under its own deadline
        self._install(parsed, started, wall)
        self._share(body, wall)
        return "fetched"

    def _succeeded(self, fetch, source):
        elapsed = time.monotonic() - fetch.started_real
        with self._lock:
            self._failures = 0
            self._attempt_ended = self._clock()
            self._prompt = elapsed < self.wait
            self._due = self._fetched_at + self._refresh_age
        refused = self._outage.recovered()
        self.logger.info("%s %s: %s in %.0f ms%s", self.label, source, self._summary(),
                         elapsed * 1000, f"; {refused} request(s) answered 503 meanwhile"
                         if refused else "", extra=self.log_extra)

    def _failed(self, fetch, reason):
        elapsed = time.monotonic() - fetch.started_real
        with self._lock:
            self._failures += 1
            self._attempt_ended = now = self._clock()
            self._prompt = elapsed < self.wait
            backoff = self._first_retry * 2 ** min(self._failures - 1, 32)
            self._due = now + min(self.cooldown, backoff)
        held = self._holds()
        self._outage.failure(f"{self.label} fetch failed: %s; %s", reason,
                             self.held_note if held else self.none_note,
                             **{self.stale_field: held})

    # -- the shared copy --------------------------------------------------------------------

    def _adopt_shared_copy(self):
        """Install the shared copy if it was fetched after the held one; True if it was."""
        copy = self._read_shared()
        if copy is None:
            return False
        fetched_wall, body = copy
        if self._fetched_wall is not None and fetched_wall <= self._fetched_wall:
            return False
        try:
            parsed = self._parse(body)
        except DocumentError:
            return False  # a bad shared entry is not trusted: download instead
        age = max(0.0, self._wall() - fetched_wall)  # another host's clock may run ahead
        self._install(parsed, self._clock() - age, fetched_wall)
        self.shared_loads += 1
        self.logger.info("%s shared copy loaded: %s, fetched %.0f s ago", self.label,
                         self._summary(), age, extra=self.log_extra)
        return True

    def _read_shared(self):
        if self._shared_store is None:
            return None
        try:
            value = self._shared_store.get()
        except Exception as exc:  # the shared cache is an optimisation: fall back to fetching
            self.logger.warning("%s shared cache unreadable: %s", self.label,
                                type(exc).__name__)
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
            self.logger.warning("%s shared cache not written: %s", self.label,
                                type(exc).__name__)

    def _claim(self):
        """True if this process may download now (no other one holds the shared claim)."""
        claim = getattr(self._shared_store, "claim", None)
        if claim is None:
            return True
        try:
            return bool(claim(self.timeout + 1))
        except Exception as exc:  # a cache outage must not stop the fetch
            self.logger.warning("%s shared cache unreadable: %s", self.label,
                                type(exc).__name__)
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
