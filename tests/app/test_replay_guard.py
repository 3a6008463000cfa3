"""The circuit breaker in front of a replay store: fail at once while the store is down, one
probe per pause, and an outage logged in a few lines, never one per request."""
import logging
import threading

import pytest

from auth0_jwt._core.errors import ReplayStoreUnavailable
from auth0_jwt._core.replay import InProcessReplayStore
from auth0_jwt._core.replay_guard import BreakerOpen, GuardedReplayStore
from tests.clock import FrozenClock


class SwitchableStore:
    """A working in-process store that can be switched to fail like an unreachable Redis."""

    def __init__(self):
        self.inner = InProcessReplayStore()
        self.down = False
        self.calls = 0
        self.entered = threading.Event()
        self.release = None  # an Event: calls wait on it while set here

    def seen_before(self, key, ttl):
        self.calls += 1
        self.entered.set()
        if self.release is not None:
            self.release.wait(10)
        if self.down:
            raise ReplayStoreUnavailable() from ConnectionError("Connection refused.")
        return self.inner.seen_before(key, ttl)


@pytest.fixture
def store():
    return SwitchableStore()


@pytest.fixture
def clock():
    return FrozenClock(1000.0)


@pytest.fixture
def guarded(store, clock):
    return GuardedReplayStore(store, name="cache", pause=5.0, summary_interval=60.0, clock=clock)


def replay_log(caplog):
    return [(r.levelname, r.event, {k: getattr(r, k) for k in ("refused", "refused_total")
                                    if hasattr(r, k)})
            for r in caplog.records if r.name == "auth0_jwt.replay"]


def fail(guarded, key="k"):
    with pytest.raises(ReplayStoreUnavailable) as failure:
        guarded.seen_before(key, 60)
    return failure.value


def test_a_working_store_is_used_as_is(guarded, store):
    assert guarded.seen_before("a", 60) is False
    assert guarded.seen_before("a", 60) is True
    assert store.calls == 2


def test_after_a_failure_calls_fail_at_once_without_reaching_the_store(guarded, store, clock):
    store.down = True
    fail(guarded)
    assert store.calls == 1
    clock.advance(4.9)
    for _ in range(100):
        assert isinstance(fail(guarded).__cause__, BreakerOpen)
    assert store.calls == 1


def test_after_the_pause_one_call_probes_and_a_success_closes_the_breaker(guarded, store,
                                                                          clock):
    store.down = True
    fail(guarded)
    store.down = False
    clock.advance(5)
    assert guarded.seen_before("probe", 60) is False
    assert guarded.seen_before("next", 60) is False
    assert store.calls == 3
    assert not guarded.is_down


def test_a_failed_probe_waits_another_pause(guarded, store, clock):
    store.down = True
    fail(guarded)
    clock.advance(5)
    fail(guarded)  # the probe
    assert store.calls == 2
    clock.advance(4.9)
    fail(guarded)
    assert store.calls == 2
    clock.advance(0.1)
    fail(guarded)
    assert store.calls == 3


def test_while_a_probe_waits_on_the_store_other_calls_fail_at_once(guarded, store, clock):
    store.down = True
    fail(guarded)
    clock.advance(5)
    store.release = threading.Event()  # the probe hangs, like a frozen Redis
    store.entered.clear()
    probe = threading.Thread(target=lambda: pytest.raises(ReplayStoreUnavailable,
                                                          guarded.seen_before, "p", 60))
    probe.start()
    assert store.entered.wait(5)
    for _ in range(20):
        assert isinstance(fail(guarded).__cause__, BreakerOpen)
    store.release.set()
    probe.join(5)
    assert store.calls == 2


def test_an_outage_is_logged_down_once_then_counts_then_back_once(guarded, store, clock,
                                                                  caplog):
    caplog.set_level(logging.INFO, logger="auth0_jwt.replay")
    store.down = True
    fail(guarded)
    for second in range(1, 150):  # ten refused requests a second for 150 s
        clock.now = 1000.0 + second
        for _ in range(10):
            fail(guarded)
    store.down = False
    clock.advance(5)
    guarded.seen_before("back", 60)
    log = replay_log(caplog)
    assert [(level, event) for level, event, _ in log] == [
        ("ERROR", "replay_store_down"), ("WARNING", "replay_store_unavailable"),
        ("WARNING", "replay_store_unavailable"), ("ERROR", "replay_store_recovered")]
    assert log[-1][2]["refused_total"] == 1 + 149 * 10  # every refused request, once
    assert log[1][2]["refused"] + log[2][2]["refused"] == log[2][2]["refused_total"]
    assert store.calls == 1 + 149 // 5 + 1  # the first failure, one probe per pause, "back"
    down = [r for r in caplog.records if getattr(r, "event", "") == "replay_store_down"][0]
    assert "ConnectionError: Connection refused." in down.getMessage()
    assert down.cause == "ConnectionError"


def test_no_line_is_logged_while_the_store_works(guarded, caplog):
    caplog.set_level(logging.DEBUG, logger="auth0_jwt.replay")
    for i in range(100):
        guarded.seen_before(str(i), 60)
    assert replay_log(caplog) == []
