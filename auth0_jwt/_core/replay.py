"""Replay stores for DPoP proof ``jti`` values (RFC 9449 section 11.1). No Django imports.

A store has one method, ``seen_before(key, ttl) -> bool``: it records ``key`` for ``ttl``
seconds and answers whether it was already recorded, in one atomic step, so that of two
requests racing with the same proof exactly one wins.

- ``SQLiteReplayStore`` (``replay_sqlite.py``, the default): a SQLite file shared by every
  worker process of a host, with no server to start.
- ``CacheReplayStore``: any cache with Django's ``add(key, value, timeout)`` contract (atomic
  "set if absent"): Redis (``SET NX``) shares it across workers and hosts.
- ``InProcessReplayStore``: a dict in this process. Replays sent to another worker process or
  another host are NOT detected: use it only with a single process.

The shared stores can fail; ``replay_guard.py`` puts a circuit breaker in front of them.
"""
import threading
import time

from auth0_jwt._core.errors import ReplayStoreUnavailable


class InProcessReplayStore:
    """Per-process store; bounded: when full, expired keys are dropped, then the oldest,
    down to nine tenths of ``max_entries`` (so that a full store does not scan itself on
    every insert)."""

    def __init__(self, max_entries=100_000, clock=time.monotonic):
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry = {}  # insertion-ordered: the first entries are the oldest

    def seen_before(self, key, ttl):
        now = self._clock()
        with self._lock:
            expires = self._expiry.get(key)
            if expires is not None and expires > now:
                return True
            self._expiry.pop(key, None)
            if len(self._expiry) >= self.max_entries:
                self._evict(now)
            self._expiry[key] = now + ttl
            return False

    def _evict(self, now):
        # Keys are in insertion order, and one verifier gives them all the same ttl: the
        # expired ones are at the front. One pass over the front drops them, then live ones
        # until a tenth of the room is free. Dropping a live key could let a replay through;
        # the cap bounds memory under a flood of distinct proofs. Size it above (requests
        # per second * ttl).
        excess = len(self._expiry) - self.max_entries * 9 // 10
        drop = []
        for key, expires in self._expiry.items():
            if expires > now and len(drop) >= excess:
                break
            drop.append(key)
        for key in drop:
            del self._expiry[key]


class CacheReplayStore:
    """Store in a Django-style cache: ``cache.add`` is atomic on Redis and on locmem."""

    def __init__(self, cache, prefix="auth0_jwt:dpop:jti:"):
        self.cache = cache
        self.prefix = prefix

    def seen_before(self, key, ttl):
        try:
            added = self.cache.add(self.prefix + key, 1, timeout=ttl)
        except Exception as exc:  # redis.ConnectionError, TimeoutError, ...: fail closed
            raise ReplayStoreUnavailable() from exc
        return not added
