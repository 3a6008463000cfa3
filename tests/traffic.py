"""Client traffic for end-to-end tests against real servers on 127.0.0.1: steady load that
records when each answer came, and slow clients that send a request header a byte at a time.

Both are bounded in time and stop when their ``with`` block ends.
"""
import http.client
import socket
import threading
import time

SLOW_HEADER = b"GET /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 200
# A complete header, then a body that never finishes arriving.
SLOW_BODY_HEAD = (b"POST /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")
SLOW_BODY = b"[" + b"0," * 99


class Answer:
    """One request: when it was sent and answered (monotonic seconds), status or error name,
    and the start of the body."""

    __slots__ = ("sent", "done", "status", "body", "headers")

    def __init__(self, sent, done, status, body=b"", headers=None):
        self.sent, self.done, self.status = sent, done, status
        self.body, self.headers = body, headers or {}

    @property
    def latency(self):
        return self.done - self.sent


def request(port, path, headers=None, timeout=10.0):
    """One GET on a new connection; connection errors become an Answer with the error name."""
    sent = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Answer(sent, time.monotonic(), response.status, body[:300],
                      dict(response.getheaders()))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(sent, time.monotonic(), type(exc).__name__)
    finally:
        connection.close()


class Traffic:
    """``threads`` clients sending ``GET path`` back to back until stopped or ``max_seconds``."""

    def __init__(self, port, path, headers=None, threads=4, max_seconds=20.0, timeout=10.0):
        self.port, self.path, self.headers, self.timeout = port, path, headers or {}, timeout
        self.answers, self.lock = [], threading.Lock()
        self.stopped = threading.Event()
        self.deadline = time.monotonic() + max_seconds
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(self.timeout + 5)

    def run(self):
        while not self.stopped.is_set() and time.monotonic() < self.deadline:
            answer = request(self.port, self.path, self.headers, self.timeout)
            with self.lock:
                self.answers.append(answer)

    def between(self, start, end):
        return [a for a in self.answers if start <= a.done <= end]

    def failures(self, expected=(200,)):
        return [(a.status, a.body) for a in self.answers if a.status not in expected]

    def longest_silence(self, start, end):
        """The longest time between ``start`` and ``end`` with no successful answer."""
        times = [start] + sorted(a.done for a in self.between(start, end) if a.status == 200)
        return max(b - a for a, b in zip(times, times[1:] + [end]))


class SlowClients:
    """``count`` connections that send a request header one byte per ``interval`` seconds and
    never finish it (a slowloris), for at most ``max_seconds``. With ``head``, that much is
    sent at once and ``dribble`` a byte at a time (a slow body)."""

    def __init__(self, port, count=50, interval=1.0, max_seconds=30.0, head=b"",
                 dribble=SLOW_HEADER):
        self.port, self.count, self.interval = port, count, interval
        self.head, self.dribble = head, dribble
        self.deadline = time.monotonic() + max_seconds
        self.stopped = threading.Event()
        self.sockets = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.settimeout(None)  # blocking: MSG_DONTWAIT below then means what it says
            sock.sendall(self.head)
            self.sockets.append(sock)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()

    def run(self):
        sent = 0
        while sent < len(self.dribble) and time.monotonic() < self.deadline:
            for sock in self.sockets:
                try:
                    sock.send(self.dribble[sent:sent + 1])
                except OSError:
                    pass  # closed by the server: counted by still_open()
            sent += 1
            if self.stopped.wait(self.interval):
                return

    def still_open(self):
        """How many connections the server has neither closed nor answered."""
        return sum(1 for sock in self.sockets if _waiting(sock))


def _waiting(sock):
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True  # nothing to read: the server is still waiting for the header
    except OSError:
        return False
    return False  # an answer, or the end of the stream
