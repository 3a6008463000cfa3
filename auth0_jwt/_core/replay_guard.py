"""A circuit breaker in front of a replay store, and the log of its outages. No Django imports.

A store that fails (Redis refusing connections, or frozen and timing out; a SQLite file that
cannot be written) fails every call the same way for a while. Waiting for it on each DPoP
request would hold a worker per request (a frozen Redis held each for the socket timeout and
took the whole API down). So, after a failure, ``GuardedReplayStore`` answers
``ReplayStoreUnavailable`` at once, without calling the store, for ``pause`` seconds; then it
lets one call through as a probe (the others still fail at once), and closes again when the
probe succeeds. Bearer requests never reach a replay store, so they are not affected at all.

The outage is logged on ``auth0_jwt.replay`` in three kinds of lines, never one per request:
an ERROR when the store goes down (``event`` ``replay_store_down``, with the cause), a WARNING
at most every ``summary_interval`` seconds while it stays down (``replay_store_unavailable``,
with the number of DPoP requests refused), and an ERROR when it is back
(``replay_store_recovered``, with the outage's length and the total refused). Each process
keeps its own breaker, so each worker writes its own pair.
"""
import logging
import math
import threading
import time

from auth0_jwt._core.errors import ReplayStoreUnavailable

logger = logging.getLogger("auth0_jwt.replay")
MAX_CAUSE = 200  # characters of the cause's message in the log


class BreakerOpen(Exception):
    """The cause of ``ReplayStoreUnavailable`` while the breaker is open (store not called)."""


class GuardedReplayStore:
    """``store`` (anything with ``seen_before(key, ttl)``) behind a circuit breaker.

    ``name`` says which store in the log ("file", "cache"); ``clock`` is monotonic seconds.
    """

    def __init__(self, store, *, name, pause=5.0, summary_interval=60.0, clock=time.monotonic):
        self.store = store
        self.name = name
        self.pause = pause
        self.summary_interval = summary_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since = None  # None: closed (the store is used)
        self._probe_at = 0.0
        self._probing = False
        self._refused = 0  # since the store went down
        self._refused_reported = 0
        self._reported_at = 0.0

    def seen_before(self, key, ttl):
        """The store's answer; ``ReplayStoreUnavailable`` carries ``retry_after``, the seconds
        until the breaker lets the next probe through."""
        if not self._admit():
            raise ReplayStoreUnavailable(retry_after=self.retry_hint()) from BreakerOpen(
                f"replay store '{self.name}' is down; next probe within {self.pause:g} s")
        try:
            seen = self.store.seen_before(key, ttl)
        except ReplayStoreUnavailable as exc:
            self._failed(exc.__cause__ or exc)
            exc.retry_after = self.retry_hint()
            raise
        self._succeeded()
        return seen

    def retry_hint(self):
        """Whole seconds (at least 1) until the next probe of an open breaker."""
        return max(1, math.ceil(self._probe_at - self._clock()))

    @property
    def is_down(self):
        return self._down_since is not None

    # -- state ------------------------------------------------------------------------------

    def _admit(self):
        """True when this call may use the store: closed, or the one probe of an open breaker."""
        with self._lock:
            if self._down_since is None:
                return True
            now = self._clock()
            if now >= self._probe_at and not self._probing:
                self._probing = True
                return True
            self._refused += 1
            summary = self._summary(now)
        if summary:
            logger.warning(*summary[0], extra=summary[1])
        return False

    def _failed(self, cause):
        with self._lock:
            now = self._clock()
            first = self._down_since is None
            if first:
                self._down_since = self._reported_at = now
                self._refused = self._refused_reported = 0
            self._probing = False
            self._probe_at = now + self.pause
            self._refused += 1
        if first:
            logger.error("DPoP replay store unavailable (%s): DPoP requests get 503 at once, "
                         "with one probe every %g s, until it answers", describe(cause),
                         self.pause, extra={"event": "replay_store_down", "store": self.name,
                                            "cause": type(cause).__name__})

    def _succeeded(self):
        if self._down_since is None:  # the common case: no lock taken
            return
        with self._lock:
            if self._down_since is None:
                return
            outage = self._clock() - self._down_since
            refused = self._refused
            self._down_since, self._probing = None, False
        logger.error("DPoP replay store available again after %.1f s; %d DPoP request(s) "
                     "refused meanwhile", outage, refused,
                     extra={"event": "replay_store_recovered", "store": self.name,
                            "outage_seconds": round(outage, 1), "refused_total": refused})

    def _summary(self, now):
        """The periodic WARNING's arguments when one is due (called under the lock)."""
        if now - self._reported_at < self.summary_interval:
            return None
        refused = self._refused - self._refused_reported
        interval = now - self._reported_at
        self._refused_reported, self._reported_at = self._refused, now
        return (("DPoP replay store still unavailable: %d DPoP request(s) refused in the "
                 "last %.0f s", refused, interval),
                {"event": "replay_store_unavailable", "store": self.name, "refused": refused,
                 "refused_total": self._refused, "down_seconds": round(now - self._down_since)})


def describe(cause):
    """``Type: message``, short and on one line, for the log (no secret is in these
    messages: SQLite's and redis-py's name the failure and at most a host and port)."""
    text = " ".join(str(cause).split())[:MAX_CAUSE]
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__
