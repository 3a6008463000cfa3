"""JWKSClient against a real JWKS server on loopback: caching, rotation, storms, outages."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from jose.backends.base import Key

from auth0_jwt._core import errors
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._ops import runtime
from tests.clock import FrozenClock
from tests.hostile import FaultyJWKSServer
from tests.keys import SigningKey, mint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock():
    return FrozenClock(1000.0)


@pytest.fixture
def make_client(jwks_server, clock):
    def make(**options):
        settings = dict(timeout=1, cache_lifetime=600, cooldown=30, clock=clock)
        settings.update(options)
        return JWKSClient(jwks_server.url, **settings)

    return make


def test_keys_are_fetched_once_for_many_lookups(make_client, jwks_server):
    client = make_client()
    keys = {id(client.get_key("key-1", "RS256")) for _ in range(50)}
    assert jwks_server.hits == 1
    assert len(keys) == 1  # the same key object, built once per fetch
    assert isinstance(keys and client.get_key("key-1", "RS256"), Key)


def test_many_requests_through_the_api_fetch_the_jwks_once(api, token, jwks_server):
    for _ in range(20):
        assert api("/private", token()).status_code == 200
    assert jwks_server.hits == 1


def test_rotation_picks_up_a_new_key_on_unknown_kid(make_client, jwks_server, signing_key,
                                                    other_key, clock):
    client = make_client()
    client.get_key("key-1", "RS256")
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    clock.now += 31  # past the cooldown
    assert client.get_key("key-2", "RS256")
    assert jwks_server.hits == 2


def test_rotation_through_the_api(api, jwks_server, signing_key, other_key, configure):
    configure(JWKS_REFETCH_COOLDOWN=0)
    assert api("/private", mint(signing_key)).status_code == 200
    jwks_server.serve_keys(other_key.jwk())
    assert api("/private", mint(other_key)).status_code == 200
    assert jwks_server.hits == 2


def test_unknown_kid_storm_causes_at_most_one_fetch_per_cooldown(make_client, jwks_server, clock,
                                                                 caplog):
    client = make_client()
    client.get_key("key-1", "RS256")
    clock.now += 31
    outcomes = []

    def attempt(i):
        try:
            client.get_key(f"forged-{i}", "RS256")
        except errors.UnknownSigningKey:
            outcomes.append("unknown")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["unknown"] * 40
    assert jwks_server.hits == 2  # the initial fetch + one refetch for the whole storm
    # Whether a storm thread came late enough to be suppressed depends on scheduling; these
    # two are suppressed for sure, and the window's suppressions are logged once in all.
    for late in ("forged-late", "forged-later"):
        with pytest.raises(errors.UnknownSigningKey):
            client.get_key(late, "RS256")
    assert jwks_server.hits == 2
    suppressed = [r for r in caplog.records if "suppressed" in r.getMessage()]
    assert len(suppressed) == 1  # logged once per cooldown window, not once per request
    clock.now += 31
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("forged-again", "RS256")
    assert jwks_server.hits == 3


def test_concurrent_first_requests_share_one_fetch(make_client, jwks_server):
    jwks_server.delay = 0.2
    client = make_client()
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.get_key("key-1", "RS256")))
               for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10
    assert jwks_server.hits == 1


def test_expired_cache_is_refreshed_in_the_background(make_client, jwks_server, clock):
    client = make_client(cache_lifetime=60)
    key = client.get_key("key-1", "RS256")
    clock.now += 61
    assert client.get_key("key-1", "RS256") is key  # served from the held set meanwhile
    assert client.wait_for_fetch(5)
    assert jwks_server.hits == 2


def test_server_down_with_cached_key_still_verifies(make_client, jwks_server, clock, caplog):
    client = make_client(cache_lifetime=60)
    key = client.get_key("key-1", "RS256")
    jwks_server.status = 503
    clock.now += 61
    assert client.get_key("key-1", "RS256") is key
    assert client.wait_for_fetch(5)
    assert client.get_key("key-1", "RS256") is key
    assert jwks_server.hits == 2
    assert "serving cached keys" in caplog.text


def test_server_down_with_no_key_is_unavailable(make_client, jwks_server):
    jwks_server.status = 500
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_down_then_back_recovers_a_second_after_the_failure_not_a_cooldown(make_client,
                                                                           jwks_server, clock):
    client = make_client()  # cooldown 30 s
    jwks_server.status = 500
    with pytest.raises(errors.SigningKeysUnavailable):
        client.get_key("key-1", "RS256")
    jwks_server.status = 200
    clock.now += 0.5
    with pytest.raises(errors.SigningKeysUnavailable):
        client.get_key("key-1", "RS256")  # within a second of the failure: no new fetch
    assert jwks_server.hits == 1
    clock.now += 0.5
    assert client.get_key("key-1", "RS256")  # the retry is waited for: this request is served
    assert jwks_server.hits == 2


def test_server_down_through_the_api_keeps_serving_cached_keys(api, token, jwks_server,
                                                               configure):
    configure(JWKS_CACHE_LIFETIME=0, JWKS_REFETCH_COOLDOWN=0)  # every request may refresh
    assert api("/private", token()).status_code == 200
    jwks_server.status = 500
    for _ in range(3):
        assert api("/private", token()).status_code == 200
        runtime.get_verifier().key_source.wait_for_fetch(5)
    assert jwks_server.hits >= 2  # refreshes were tried, and failed, in the background


def test_slow_server_times_out(make_client, jwks_server):
    jwks_server.delay = 1.5
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client(timeout=0.3).get_key("key-1", "RS256")


def test_response_over_the_size_cap_is_refused(make_client, jwks_server, signing_key):
    jwks_server.serve_keys(signing_key.jwk(padding="x" * 200_000))
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client(max_bytes=100_000).get_key("key-1", "RS256")


@pytest.mark.parametrize("body", [b"<html>login</html>", b"{not json", b"[]", b'{"keys": {}}',
                                  b'{"keys": []}'])
def test_unusable_documents_leave_no_keys(make_client, jwks_server, body):
    jwks_server.body = body
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_redirects_are_not_followed(make_client, jwks_server):
    jwks_server.status = 302
    jwks_server.headers = {"Location": "http://127.0.0.1:1/jwks.json"}
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")
    assert jwks_server.hits == 1


@pytest.mark.parametrize("jwk_change", [
    {"kty": "oct", "k": "c2VjcmV0"},
    {"kty": "EC"},
    {"use": "enc"},
    {"alg": "RS512"},
    {"key_ops": ["encrypt"]},
    {"d": "AQAB"},
    {"kid": 7},
    {"n": 12345},
])
def test_keys_that_are_not_rsa_signing_keys_are_ignored(make_client, jwks_server, signing_key,
                                                        jwk_change):
    jwks_server.serve_keys({**signing_key.jwk(), **jwk_change})
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("key-1", "RS256")


def test_rsa_keys_under_2048_bits_are_ignored(make_client, jwks_server):
    weak = SigningKey("weak", bits=1024)
    jwks_server.serve_keys(weak.jwk())
    with pytest.raises(errors.SigningKeysUnavailable):
        make_client().get_key("weak", "RS256")


def test_duplicate_kids_are_both_dropped(make_client, jwks_server, signing_key, other_key):
    jwks_server.serve_keys(signing_key.jwk(), {**other_key.jwk(), "kid": "key-1"},
                           other_key.jwk(kid="key-3"))
    client = make_client()
    assert client.get_key("key-3", "RS256")
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("key-1", "RS256")


def test_version_changes_only_when_the_key_set_changes(make_client, jwks_server, clock,
                                                       signing_key, other_key):
    client = make_client(cooldown=0, cache_lifetime=10)
    client.get_key("key-1", "RS256")
    first = client.version
    clock.now += 11
    client.get_key("key-1", "RS256")
    assert client.wait_for_fetch(5) and jwks_server.hits == 2
    assert client.version == first
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    clock.now += 11
    client.get_key("key-1", "RS256")
    assert client.wait_for_fetch(5)
    assert client.version == first + 1


def test_removed_key_stops_working_after_refresh(make_client, jwks_server, clock, other_key):
    client = make_client(cooldown=0, cache_lifetime=10)
    client.get_key("key-1", "RS256")
    jwks_server.serve_keys(other_key.jwk())
    clock.now += 11
    client.get_key("key-1", "RS256")  # starts the refresh; served from the held set meanwhile
    assert client.wait_for_fetch(5)
    with pytest.raises(errors.UnknownSigningKey):
        client.get_key("key-1", "RS256")


# -- never on a request's path: background refresh, bounded waits (injectable clock) ----------


@pytest.fixture
def faulty(signing_key):
    """A JWKS server that can hang (accept, never answer), serving ``signing_key``."""
    server = FaultyJWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


def timed(call):
    """(outcome, seconds): the value returned, or the exception raised."""
    started = time.monotonic()
    try:
        outcome = call()
    except Exception as exc:
        outcome = exc
    return outcome, time.monotonic() - started


def test_refresh_starts_in_the_background_at_80_percent_of_the_lifetime(make_client,
                                                                        jwks_server, clock):
    client = make_client(cache_lifetime=100, cooldown=10)
    client.get_key("key-1", "RS256")
    clock.now += 79
    client.get_key("key-1", "RS256")
    assert client.wait_for_fetch(5) and jwks_server.hits == 1
    clock.now += 1
    client.get_key("key-1", "RS256")
    assert client.wait_for_fetch(5) and jwks_server.hits == 2


def test_a_refresh_never_makes_a_request_wait(make_client, jwks_server, clock):
    client = make_client(cache_lifetime=60, timeout=5)
    key = client.get_key("key-1", "RS256")
    jwks_server.delay = 1.5  # the tenant is slow today
    clock.now += 61
    outcomes = [timed(lambda: client.get_key("key-1", "RS256")) for _ in range(20)]
    assert all(outcome is key for outcome, _ in outcomes)
    assert max(seconds for _, seconds in outcomes) < 0.5  # the fetch takes 1.5 s
    assert client.wait_for_fetch(5)
    assert jwks_server.hits == 2  # one refresh, not one per request


def test_unknown_kid_waits_at_most_the_bounded_wait_then_503_while_the_fetch_goes_on(
        faulty, clock):
    client = JWKSClient(faulty.url, timeout=5, wait=0.5, clock=clock)
    faulty.hang = True
    outcome, seconds = timed(lambda: client.get_key("key-1", "RS256"))
    assert isinstance(outcome, errors.SigningKeysUnavailable)
    assert 0.4 < seconds < 1.5  # the bound, not the 5 s timeout
    assert not client.wait_for_fetch(0)  # the fetch goes on in the background
    faulty.hang = False  # the hung connection now answers: the fetch completes
    assert client.wait_for_fetch(5)
    assert client.get_key("key-1", "RS256") is not None


def test_a_hanging_tenant_costs_one_bounded_wait_not_one_per_request(faulty, clock):
    client = JWKSClient(faulty.url, timeout=1.0, wait=0.5, cooldown=30, clock=clock)
    faulty.hang = True
    waits = []
    for _ in range(4):  # through the first fetch (cut off at 1 s) and three retries
        for _ in range(5):
            outcome, seconds = timed(lambda: client.get_key("new-key", "RS256"))
            assert isinstance(outcome, errors.SigningKeysUnavailable)
            waits.append(seconds)
        client.wait_for_fetch(5)
        clock.advance(1)  # a failed fetch is retried a second later
    assert waits[0] > 0.4
    assert max(waits[1:]) < 0.3  # nobody waits for a fetch of a tenant known to hang
    assert len(faulty.hit_times) == 4


def test_requests_wait_again_once_a_fetch_is_prompt_again(faulty, clock, signing_key):
    client = JWKSClient(faulty.url, timeout=1, wait=0.5, clock=clock)
    faulty.hang = True
    timed(lambda: client.get_key("key-1", "RS256"))
    assert client.wait_for_fetch(5)
    faulty.hang = False
    clock.advance(1)
    outcome, seconds = timed(lambda: client.get_key("key-1", "RS256"))
    assert isinstance(outcome, errors.SigningKeysUnavailable) and seconds < 0.3  # not waited
    assert client.wait_for_fetch(5)
    assert client.get_key("key-1", "RS256") is not None  # that retry was prompt
    faulty.serve_keys(signing_key.jwk(), signing_key.jwk(kid="key-9"))
    clock.advance(30)
    assert client.get_key("key-9", "RS256") is not None  # waited for, and served


def test_key_published_since_the_last_fetch_is_served_by_the_fetch_it_starts(
        make_client, jwks_server, clock, signing_key, other_key):
    client = make_client()
    client.get_key("key-1", "RS256")
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    clock.now += 30  # the set is a cooldown old
    assert client.get_key("key-2", "RS256") is not None  # this very request is served
    assert jwks_server.hits == 2


def test_kid_missing_from_a_set_younger_than_the_cooldown_is_401_without_a_fetch(
        make_client, jwks_server, clock):
    client = make_client()
    client.get_key("key-1", "RS256")
    clock.now += 29
    outcome, seconds = timed(lambda: client.get_key("key-2", "RS256"))
    assert isinstance(outcome, errors.UnknownSigningKey)
    assert jwks_server.hits == 1 and seconds < 0.3


def test_close_cuts_a_fetch_in_flight_short_and_starts_no_more(faulty, clock):
    client = JWKSClient(faulty.url, timeout=30, wait=0.1, clock=clock)
    faulty.hang = True
    timed(lambda: client.get_key("key-1", "RS256"))
    assert not client.wait_for_fetch(0)
    client.close()
    assert client.wait_for_fetch(1.0)  # not 30 s
    clock.advance(60)
    with pytest.raises(errors.SigningKeysUnavailable):
        client.get_key("key-1", "RS256")
    assert len(faulty.hit_times) == 1


FETCH_THREAD = "auth0_jwt-jwks-fetch"


def fetch_threads():
    return [t for t in threading.enumerate() if t.name == FETCH_THREAD and t.is_alive()]


def test_settings_changes_leave_no_fetch_thread_behind(api, token, configure, jwks_server):
    # Tests override settings constantly, and each override drops the JWKS client.
    configure(JWKS_TIMEOUT=30, JWKS_WAIT=0.05)
    jwks_server.delay = 20  # every fetch hangs for longer than this test
    for round_ in range(5):
        configure(LEEWAY=round_)  # a new client each round
        assert api("/private", token()).status_code == 503
    deadline = time.monotonic() + 2
    while fetch_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fetch_threads()) <= 1  # only the current client's fetch, if any
    runtime.reset()
    deadline = time.monotonic() + 2
    while fetch_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fetch_threads() == []


EXIT_PROBE = r"""
import sys, time
sys.path.insert(0, ".")
from auth0_jwt._core.jwks import JWKSClient
from tests.hostile import FaultyJWKSServer
server = FaultyJWKSServer().start()
server.hang = True
client = JWKSClient(server.url, timeout=60, wait=0.1)
try:
    client.get_key("key-1", "RS256")
except Exception as exc:
    print(type(exc).__name__, flush=True)
"""


def test_a_fetch_in_flight_does_not_keep_the_process_alive_at_exit():
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-c", EXIT_PROBE], cwd=ROOT, timeout=30,
                               capture_output=True, text=True)
    assert completed.stdout.strip() == "SigningKeysUnavailable", completed.stderr
    assert time.monotonic() - started < 15  # the fetch would hang for 60 s


FORK_PROBE = r"""
import os, sys, time
sys.path.insert(0, ".")
from auth0_jwt._core.jwks import JWKSClient
from tests.hostile import FaultyJWKSServer
from tests.keys import SigningKey
key = SigningKey("key-1")
server = FaultyJWKSServer().start()
server.serve_keys(key.jwk())
server.hang = True
client = JWKSClient(server.url, timeout=60, wait=0.1, cooldown=0)
try:
    client.get_key("key-1", "RS256")  # the parent's fetch hangs, in a thread
except Exception:
    pass
pid = os.fork()
if pid == 0:
    # The child: the parent's fetch thread does not exist here.
    server.hang = False  # (the child's copy of the server state; the server runs in the parent)
    try:
        client.get_key("key-1", "RS256")
        os._exit(0)
    except Exception:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.get_key("key-1", "RS256")
                os._exit(0)
            except Exception:
                time.sleep(0.1)
        os._exit(1)
server.hang = False  # the parent's server answers the child's new fetch
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status), flush=True)
"""


def test_a_forked_child_fetches_for_itself_instead_of_waiting_for_its_parents_fetch():
    completed = subprocess.run([sys.executable, "-c", FORK_PROBE], cwd=ROOT, timeout=60,
                               capture_output=True, text=True)
    assert completed.stdout.strip() == "child 0", completed.stderr[-2000:]


def test_an_outage_logs_one_error_not_one_line_per_request(make_client, jwks_server, clock,
                                                           caplog):
    client = make_client(log_summary_every=60)
    jwks_server.status = 500
    for _ in range(120):  # two minutes, 10 requests a second
        for _ in range(10):
            with pytest.raises(errors.SigningKeysUnavailable):
                client.get_key("key-1", "RS256")
        clock.now += 1
    jwks_server.status = 200
    assert client.get_key("key-1", "RS256") is not None
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "auth0_jwt.jwks"]
    assert lines == [
        ("ERROR", "JWKS fetch failed: HTTP status 500; no signing key known"),
        ("WARNING", "JWKS endpoint still unreachable after 60 s: 60 failed attempt(s), 600 "
                    "request(s) answered 503 in the last 60 s"),
        ("WARNING", "JWKS endpoint reachable again after 120 s: 120 failed attempt(s), 1200 "
                    "request(s) answered 503 meanwhile"),
        ("INFO", lines[-1][1]),
    ]
    assert lines[-1][1].startswith("JWKS fetched: 1 signing key(s) in ")
