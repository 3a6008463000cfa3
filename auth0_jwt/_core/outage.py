"""Logs that stay readable while a dependency is down. No Django imports.

At 200 requests a second, a line per failed request is 12,000 lines a minute that say the
same thing, and they bury the two lines an operator needs: when it broke and when it came
back. ``OutageLog`` writes exactly those, plus a summary with counts in between:

- one ERROR when the dependency becomes unreachable (per process: each keeps its own state);
- a WARNING every ``summary_every`` seconds while it stays down, with the number of failed
  attempts and of requests refused for want of it since the last line (written on the next
  event after the interval: an idle process writes nothing);
- one WARNING when it is back, with the outage's duration and totals.

Counts are kept under a lock: events come from request threads and from the fetch thread.
"""
import logging
import os
import threading
import time


class OutageLog:
    """Outage state and counters of one dependency, logged on ``logger``.

    ``name`` is the dependency as it appears in messages ("JWKS endpoint"); ``extra`` fields
    are added to every record (the JSON log format writes them as keys).
    """

    def __init__(self, logger, name, *, summary_every=60.0, clock=time.monotonic, extra=None):
        self.logger = logger
        self.name = name
        self.summary_every = summary_every
        self._clock = clock
        self._extra = dict(extra or {})
        self._lock = threading.Lock()
        self.down_since = None
        self._reset_counts()

    @property
    def is_down(self):
        return self.down_since is not None

    def failure(self, message, *args, **extra):
        """A failed attempt: the ERROR ``message`` if this starts an outage, else counted."""
        with self._lock:
            now = self._clock()
            self.failures += 1
            self._window_failures += 1
            if self.down_since is None:
                self.down_since = self._last_summary = now
                self._window_failures = 0  # this one is the ERROR line itself
                self._log(logging.ERROR, message, args, event="dependency_down", **extra)
                return
            self._maybe_summarise(now)

    def refused(self):
        """A request answered 503 for want of the dependency."""
        with self._lock:
            self.refusals += 1
            self._window_refusals += 1
            if self.down_since is not None:
                self._maybe_summarise(self._clock())

    def recovered(self, **extra):
        """A successful attempt: one WARNING if it ends an outage. Returns the refusals
        counted since the last success (also those outside an outage: a slow fetch)."""
        with self._lock:
            refusals = self.refusals
            if self.down_since is not None:
                duration = self._clock() - self.down_since
                self._log(logging.WARNING,
                          "%s reachable again after %.0f s: %d failed attempt(s), %d request(s) "
                          "answered 503 meanwhile", (self.name, duration, self.failures,
                                                     self.refusals),
                          event="dependency_back", outage_seconds=round(duration, 1),
                          failed_attempts=self.failures, refused_requests=self.refusals,
                          **extra)
            self.down_since = None
            self._reset_counts()
            return refusals

    def after_fork(self):
        """A forked child starts with its parent's state but logs for itself."""
        self._lock = threading.Lock()

    # -- steps ------------------------------------------------------------------------------

    def _maybe_summarise(self, now):
        if now - self._last_summary < self.summary_every:
            return
        self._log(logging.WARNING,
                  "%s still unreachable after %.0f s: %d failed attempt(s), %d request(s) "
                  "answered 503 in the last %.0f s", (self.name, now - self.down_since,
                                                      self._window_failures,
                                                      self._window_refusals,
                                                      now - self._last_summary),
                  event="dependency_still_down", outage_seconds=round(now - self.down_since, 1),
                  failed_attempts=self._window_failures, refused_requests=self._window_refusals)
        self._last_summary = now
        self._window_failures = self._window_refusals = 0

    def _reset_counts(self):
        self.failures = self.refusals = 0
        self._window_failures = self._window_refusals = 0
        self._last_summary = None

    def _log(self, level, message, args, **fields):
        self.logger.log(level, message, *args, extra={**self._extra, **fields,
                                                      "pid": os.getpid()})
