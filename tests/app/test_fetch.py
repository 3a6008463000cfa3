"""auth0_jwt/_core/fetch.py: one deadline over every phase of a GET (connect, TLS, headers,
body), against real loopback servers that answer, hang, or dribble a byte at a time.

requests' own timeout bounds each socket read: every server here sends its bytes well within
it, so only the deadline can stop them.
"""
import threading
import time

import pytest

from auth0_jwt._core.fetch import Deadline, FetchError, deadline_session, get_capped
from tests.hostile import FaultyJWKSServer


@pytest.fixture
def server(signing_key):
    server = FaultyJWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


def fetch(url, seconds, max_bytes=100_000):
    """(body or the FetchError, elapsed seconds)."""
    started = time.monotonic()
    session = deadline_session()
    try:
        with Deadline(seconds) as deadline:
            outcome = get_capped(session, url, deadline=deadline, max_bytes=max_bytes)
    except FetchError as exc:
        outcome = exc
    finally:
        session.close()
    return outcome, time.monotonic() - started


def test_a_complete_response_within_the_deadline_is_returned(server, signing_key):
    body, elapsed = fetch(server.url, 2)
    assert signing_key.jwk()["n"].encode() in body
    assert elapsed < 2


def test_headers_dribbled_one_byte_at_a_time_are_cut_off_at_the_deadline(server):
    server.dribble_headers = 0.05  # 4 KB of headers: about 200 s at this pace
    error, elapsed = fetch(server.url, 1.0)
    assert isinstance(error, FetchError)
    assert str(error) == "no complete response within 1 s"
    assert elapsed < 2.0  # 1 s deadline; every read came well within the per-read timeout
    deadline = time.monotonic() + 3
    while not server.abandoned and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.abandoned and server.abandoned[0] < 2.5  # the server saw the socket closed


def test_a_response_over_the_byte_cap_is_refused(server, signing_key):
    server.serve_keys(signing_key.jwk(padding="x" * 5000))
    error, _ = fetch(server.url, 2, max_bytes=1000)
    assert str(error) == "response larger than 1000 bytes"


def test_another_status_is_a_failure_that_names_it(server):
    server.status = 502
    error, _ = fetch(server.url, 2)
    assert str(error) == "HTTP status 502"


def test_expire_from_another_thread_ends_a_blocked_fetch_at_once(server):
    server.hang = True
    deadline = Deadline(30)
    outcome = []

    def run():
        session = deadline_session()
        try:
            with deadline:
                get_capped(session, server.url, deadline=deadline, max_bytes=1000)
        except FetchError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)  # the request is sent and its thread blocked on the response
    started = time.monotonic()
    deadline.expire()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0
    assert len(outcome) == 1
