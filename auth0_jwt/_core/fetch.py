"""One HTTP GET under one deadline: connect, TLS, response headers and body. No Django imports.

requests' ``timeout`` bounds each socket operation, not the exchange: a server that sends its
headers (or its TLS handshake, or its body) one byte per second never trips it and can hold
the caller for as long as it likes. Here a ``Deadline`` watches every socket the exchange
opens (``DeadlineAdapter`` registers each new connection's socket with the deadline of the
calling thread) and shuts them down when the time is up: whatever phase is blocked returns
at once, and the fetch fails with a safe message. The body is also read one socket read at a
time (``read1``) against the deadline and a byte cap. (CPython already bounds a TLS handshake
as a whole by the socket timeout; the deadline covers it too.) DNS resolution is the one
step no socket deadline reaches: the system resolver's own timeouts apply.
"""
import socket
import threading
import time

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager

_current = threading.local()


class FetchError(Exception):
    """The exchange failed; the message is safe to log (no body, no header values)."""


class Deadline:
    """A point in time after which every socket registered with ``watch`` is shut down.

    Use as a context manager (once) in the thread that makes the request: on entry it becomes
    that thread's current deadline (``DeadlineAdapter`` connections register with it) and a
    timer is armed for the time left; on exit the timer is cancelled and the watched sockets'
    duplicates are closed.
    ``expire()`` may be called early from any thread (e.g. when the owner shuts down).
    """

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.expires_at = clock() + seconds
        self.expired = False
        self._watched = []
        self._lock = threading.Lock()
        self._timer = None

    def remaining(self):
        return max(0.0, self.expires_at - self._clock())

    def watch(self, sock):
        """Shut ``sock`` down at the deadline (at once if it has passed)."""
        # A duplicate descriptor: shutdown() acts on the connection itself, so it also
        # wakes a read blocked on the original (or on the TLS socket that wraps it later).
        duplicate = sock.dup()
        with self._lock:
            self._watched.append(duplicate)
            expired = self.expired
        if expired:
            _shut(duplicate)

    def expire(self):
        with self._lock:
            self.expired = True
            watched = list(self._watched)
        for sock in watched:
            _shut(sock)

    def __enter__(self):
        _current.deadline = self
        self._timer = threading.Timer(self.remaining(), self.expire)
        self._timer.daemon = True
        self._timer.name = "auth0_jwt-fetch-deadline"
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        _current.deadline = None
        self._timer.cancel()
        with self._lock:
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the peer or by us
        pass


def get_capped(session, url, *, deadline, max_bytes, headers=None):
    """GET ``url`` and return the body (at most ``max_bytes`` decoded bytes) before ``deadline``.

    Redirects are not followed; any status but 200 is a failure. Raises ``FetchError``.
    """
    per_read = max(0.001, deadline.remaining())
    try:
        with session.get(url, timeout=(per_read, per_read), stream=True, allow_redirects=False,
                         headers=headers or {}) as response:
            if response.status_code != 200:
                raise FetchError(f"HTTP status {response.status_code}")
            body = _read_capped(response, deadline, max_bytes)
    except requests.RequestException as exc:
        raise _failure(deadline, type(exc).__name__) from exc
    if deadline.expired:  # a shut-down socket can look like a clean end of the body
        raise _failure(deadline, "deadline")
    return body


def _read_capped(response, deadline, max_bytes):
    """``read1`` does one socket read per call: the deadline and the cap are checked after
    each, so a dribbling body ends at the deadline and a gzip bomb at the cap."""
    body = bytearray()
    raw = response.raw
    while True:
        if deadline.expired or deadline.remaining() <= 0:
            raise _failure(deadline, "deadline")
        try:
            chunk = raw.read1(16384, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # timeouts, resets, bad gzip
            raise _failure(deadline, type(exc).__name__) from exc
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"response larger than {max_bytes} bytes")


def _failure(deadline, reason):
    if deadline.expired or deadline.remaining() <= 0:
        return FetchError(f"no complete response within {deadline.seconds:g} s")
    return FetchError(reason)


# -- connections that register their sockets with the calling thread's deadline ------------


class _Watched:
    def _new_conn(self):
        sock = super()._new_conn()
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(sock)
        return sock


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose new connections obey the current thread's ``Deadline``.

    Direct connections and HTTP(S) proxies (``HTTPS_PROXY``) are covered; a SOCKS proxy keeps
    its own connection classes, and so only the per-read timeout and the body deadline.
    """

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_watched_pools(manager)
        return manager


def _use_watched_pools(manager):
    if type(manager) in (PoolManager, ProxyManager):
        manager.pool_classes_by_scheme = _POOLS


def deadline_session():
    """A ``requests.Session`` whose connections obey the current thread's ``Deadline``."""
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
