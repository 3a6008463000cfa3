"""auth0_jwt/_core/outage.py: an outage is one ERROR, a periodic summary with counts, and one
line when it ends, whatever the number of failed attempts and refused requests."""
import logging

import pytest

from auth0_jwt._core.outage import OutageLog
from tests.clock import FrozenClock

LOGGER = "tests.outage"


@pytest.fixture
def clock():
    return FrozenClock(0.0)


@pytest.fixture
def outage(clock, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    return OutageLog(logging.getLogger(LOGGER), "Thing", summary_every=60, clock=clock,
                     extra={"url": "u"})


def lines(caplog):
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOGGER]


def test_an_outage_is_one_error_then_a_summary_a_minute_then_one_line_when_it_ends(
        outage, clock, caplog):
    for second in range(150):  # 2.5 minutes: a failed attempt a second, 10 refusals each
        outage.failure("Thing failed: %s", "HTTP status 500")
        for _ in range(10):
            outage.refused()
        clock.advance(1)
    outage.recovered()
    assert lines(caplog) == [
        ("ERROR", "Thing failed: HTTP status 500"),
        ("WARNING", "Thing still unreachable after 60 s: 60 failed attempt(s), 600 request(s) "
                    "answered 503 in the last 60 s"),
        ("WARNING", "Thing still unreachable after 120 s: 60 failed attempt(s), 600 request(s) "
                    "answered 503 in the last 60 s"),
        ("WARNING", "Thing reachable again after 150 s: 150 failed attempt(s), 1500 request(s) "
                    "answered 503 meanwhile"),
    ]


def test_the_lines_carry_their_counts_as_fields(outage, clock, caplog):
    outage.failure("Thing failed")
    outage.refused()
    clock.advance(5)
    outage.recovered()
    down, back = [r for r in caplog.records if r.name == LOGGER]
    assert (down.event, down.url) == ("dependency_down", "u")
    assert (back.event, back.outage_seconds, back.failed_attempts, back.refused_requests) == (
        "dependency_back", 5.0, 1, 1)
    assert isinstance(back.pid, int)


def test_a_second_outage_logs_its_own_error(outage, caplog):
    outage.failure("Thing failed")
    outage.recovered()
    outage.failure("Thing failed")
    assert [level for level, _ in lines(caplog)] == ["ERROR", "WARNING", "ERROR"]


def test_success_without_an_outage_logs_nothing_and_returns_the_refusals_counted(outage,
                                                                                 caplog):
    outage.refused()
    outage.refused()  # e.g. requests that gave up waiting for a slow but successful fetch
    assert outage.recovered() == 2
    assert outage.recovered() == 0
    assert lines(caplog) == []


def test_an_idle_process_writes_no_summary(outage, clock, caplog):
    outage.failure("Thing failed")
    clock.advance(3600)  # no attempt and no request for an hour: nothing to report
    assert lines(caplog) == [("ERROR", "Thing failed")]
