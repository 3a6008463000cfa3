"""Logging filters that keep the log readable under a storm: lines limited, never lost.

A refused token, a 503 or a failing dependency writes a line per request; at hundreds of
requests a second that buries everything else and overruns log pipelines. Each filter here
lets through at most ``burst`` lines per key every ``interval`` seconds and counts the rest;
once per interval in which it held lines back, it writes one summary line on the same logger
(``event`` ``log_lines_suppressed``, ``suppressed``: count per key, ``suppressed_total``), so
every line is either written or counted. Pending counts are also written when the process
exits. The summary is a WARNING when it counts WARNING or ERROR lines (INFO when it counts
INFO lines only): an ERROR line keeps meaning a new event.

- ``RefusalLogLimit`` for ``auth0_jwt.security``: keyed by ``reason`` (``token_expired``...).
- ``ResponseLogLimit`` for ``django.request``: Django writes a WARNING for every 4xx and an
  ERROR for every 5xx. The error responses of the API's contract (400, 401, 403, 404, 405,
  406, 415, 429 and the 503 of an unavailable dependency) are counted only, by status; the
  security log already has a line for them. Any other status (a genuine 500) passes.
- ``RepeatLogLimit`` for any logger whose same message can repeat per request (here
  ``auth0_jwt.authentication``): keyed by the message template. ``echoes`` are message
  prefixes of lines that repeat, per request, an incident another logger reports once (the
  replay store's own down and back lines): those are counted only.

Attach them to the loggers in ``LOGGING`` (``"()": "auth0_jwt.RefusalLogLimit"``...); a
filter on a logger sees the records of that logger only. No Django imports.
"""
import atexit
import logging
import os
import threading
import time
import weakref

SUMMARY = "_auth0_jwt_log_summary"  # marks our own summary records, which always pass
MAX_KEYS = 100  # distinct keys counted per interval; more are counted under "other"
CONTRACT_STATUSES = (400, 401, 403, 404, 405, 406, 415, 429, 503)
REPLAY_STORE_ECHO = "DPoP replay store unavailable"  # auth0_jwt.authentication, per request


class LogLimit(logging.Filter):
    """At most ``burst`` records per ``key(record)`` every ``interval`` seconds; the others
    counted and summarised. ``key`` returning None means "not limited"."""

    def __init__(self, burst=10, interval=60.0, clock=time.monotonic):
        super().__init__()
        self.burst = int(burst)
        self.interval = float(interval)
        self._clock = clock
        self._reset()
        _track(self)

    def key(self, record):
        raise NotImplementedError

    def burst_for(self, key):
        return self.burst

    def filter(self, record):
        if getattr(record, SUMMARY, False):
            return True
        key = self.key(record)
        with self._lock:
            due = self._roll(self._clock())
            passes = True if key is None else self._count(key, record)
        if due is not None:
            self._write(due)
        return passes

    def flush(self, force=False):
        """Write the pending counts now if the interval is over (or ``force``)."""
        with self._lock:
            due = self._take() if force else self._roll(self._clock())
        if due is not None:
            self._write(due)

    # -- counting (under the lock) ----------------------------------------------------------

    def _reset(self):
        self._lock = threading.Lock()
        self._started = None
        self._passed, self._suppressed = {}, {}
        self._level, self._logger_name = logging.NOTSET, None
        self._timer = None

    def _count(self, key, record):
        if key not in self._passed and key not in self._suppressed and (
                len(self._passed) + len(self._suppressed) >= MAX_KEYS):
            key = "other"
        passed = self._passed.get(key, 0)
        if passed < self.burst_for(key):
            self._passed[key] = passed + 1
            return True
        if not self._suppressed:
            self._schedule()
        self._suppressed[key] = self._suppressed.get(key, 0) + 1
        self._level = max(self._level, record.levelno)
        self._logger_name = record.name
        return False

    def _roll(self, now):
        """Start a new interval when the current one is over; return its pending summary."""
        if self._started is None:
            self._started = now
            return None
        if now - self._started < self.interval:
            return None
        due = self._take()
        self._started = now
        return due

    def _take(self):
        """The pending summary (and the interval's counts cleared), or None."""
        self._passed = {}
        if not self._suppressed:
            return None
        due = (self._logger_name, self._level, self._suppressed,
               self._clock() - (self._started or 0))
        self._suppressed, self._level = {}, logging.NOTSET
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return due

    def _schedule(self):
        """Write the counts at the end of the interval even if no record comes to do it."""
        delay = max(0.0, self.interval - (self._clock() - self._started))
        self._timer = threading.Timer(delay + 0.05, _flush_weakly, (weakref.ref(self),))
        self._timer.daemon = True
        self._timer.start()

    # -- the summary line -------------------------------------------------------------------

    def _write(self, due):
        name, level, suppressed, seconds = due
        total = sum(suppressed.values())
        counts = ", ".join(f"{key}={count}" for key, count in sorted(
            suppressed.items(), key=lambda item: -item[1]))
        record = logging.LogRecord(
            name, min(level, logging.WARNING), __file__, 0,
            "%d similar log line(s) not written in the last %.0f s: %s",
            (total, seconds, counts), None)
        record.__dict__.update({"event": "log_lines_suppressed", "suppressed": suppressed,
                                "suppressed_total": total, SUMMARY: True})
        logging.getLogger(name).handle(record)


class RefusalLogLimit(LogLimit):
    """For ``auth0_jwt.security``: ``burst`` lines per refusal ``reason`` per interval."""

    def key(self, record):
        reason = getattr(record, "reason", None)
        return reason if isinstance(reason, str) else None


class ResponseLogLimit(LogLimit):
    """For ``django.request``: the contract's error responses counted, by status; genuine
    server errors (500...) and records without a status pass untouched."""

    def __init__(self, burst=0, interval=60.0, statuses=CONTRACT_STATUSES, clock=time.monotonic):
        super().__init__(burst, interval, clock)
        self.statuses = frozenset(int(status) for status in statuses)

    def key(self, record):
        status = getattr(record, "status_code", None)
        return status if status in self.statuses else None


class RepeatLogLimit(LogLimit):
    """For any logger: ``burst`` lines per message template per interval; ``echoes``
    (message prefixes) are counted only."""

    def __init__(self, burst=5, interval=60.0, echoes=(REPLAY_STORE_ECHO,), clock=time.monotonic):
        super().__init__(burst, interval, clock)
        self.echoes = tuple(echoes)

    def key(self, record):
        return str(record.msg)

    def burst_for(self, key):
        return 0 if key.startswith(self.echoes) else self.burst


# -- process life -----------------------------------------------------------------------------

_live = weakref.WeakSet()
_hooks = []


def _track(log_limit):
    """Remember ``log_limit`` for the exit and fork hooks (installed with the first one)."""
    if not _hooks:
        _hooks.append(atexit.register(_flush_all))
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)
    _live.add(log_limit)


def _flush_weakly(reference):
    log_limit = reference()
    if log_limit is not None:
        log_limit.flush()


def _flush_all():
    """At exit, write every pending count: nothing is dropped silently."""
    for log_limit in list(_live):
        try:
            log_limit.flush(force=True)
        except Exception:  # pragma: no cover - the process is ending anyway
            pass


def forget_counts():
    """Start every filter afresh, dropping what it counted (for test suites: each test sees
    the project's logging configuration as a new process would)."""
    for log_limit in list(_live):
        with log_limit._lock:
            log_limit._take()
            log_limit._started = None


def _after_fork():
    # A forked child starts with no counts (its parent writes its own) and a fresh lock
    # (the parent's may have been held by another thread at the fork).
    for log_limit in list(_live):
        log_limit._reset()
