"""Log limits: per-request lines pass up to a burst per key, the rest are counted and the
counts written once per interval (or at exit), so every line is written or counted."""
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auth0_jwt._ops.log_limits import RefusalLogLimit, RepeatLogLimit, ResponseLogLimit
from tests.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[2]


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def clock():
    return FrozenClock(100.0)


@pytest.fixture
def limited(request):
    """``limited(filter)``: a fresh logger with ``filter`` on it and a handler that keeps
    every record written."""
    made = []

    def make(log_filter):
        logger = logging.getLogger(f"test.log_limits.{request.node.name}.{len(made)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        handler = ListHandler()
        logger.addHandler(handler)
        logger.addFilter(log_filter)
        made.append((logger, handler, log_filter))
        return logger, handler.records

    yield make
    for logger, handler, log_filter in made:
        logger.removeHandler(handler)
        logger.removeFilter(log_filter)


def refuse(logger, reason, count=1, level=logging.WARNING):
    for _ in range(count):
        logger.log(level, "authentication failed", extra={"reason": reason, "status": 401})


def summaries(records):
    return [r for r in records if getattr(r, "event", None) == "log_lines_suppressed"]


def test_refusals_pass_up_to_the_burst_per_reason_then_are_counted(limited, clock):
    logger, written = limited(RefusalLogLimit(burst=3, interval=60, clock=clock))
    refuse(logger, "token_expired", 10)
    refuse(logger, "invalid_signature", 2)
    assert [r.reason for r in written] == ["token_expired"] * 3 + ["invalid_signature"] * 2
    assert summaries(written) == []


def test_counts_are_written_once_the_interval_is_over(limited, clock):
    logger, written = limited(RefusalLogLimit(burst=3, interval=60, clock=clock))
    refuse(logger, "token_expired", 10)
    refuse(logger, "malformed_token", 5)
    clock.advance(60)
    refuse(logger, "token_expired")  # a new interval: passes, and brings the last one's counts
    [summary] = summaries(written)
    assert summary.suppressed == {"token_expired": 7, "malformed_token": 2}
    assert summary.suppressed_total == 9
    assert summary.levelname == "WARNING"
    assert summary.name == logger.name
    assert summary.getMessage() == ("9 similar log line(s) not written in the last 60 s: "
                                    "token_expired=7, malformed_token=2")
    assert written[-1].reason == "token_expired"  # the new interval's first line, written
    assert len(written) == 3 + 3 + 1 + 1


def test_counts_are_written_by_a_timer_when_no_line_follows(limited):
    logger, written = limited(RefusalLogLimit(burst=1, interval=0.3))
    refuse(logger, "token_expired", 5)
    deadline = time.monotonic() + 5
    while not summaries(written) and time.monotonic() < deadline:
        time.sleep(0.05)
    [summary] = summaries(written)
    assert summary.suppressed == {"token_expired": 4}


def test_pending_counts_are_written_when_the_process_exits():
    script = (
        "import logging, sys\n"
        "from auth0_jwt._ops.log_limits import RefusalLogLimit\n"
        "logging.basicConfig(stream=sys.stdout, format='%(levelname)s %(message)s')\n"
        "logger = logging.getLogger('auth0_jwt.security')\n"
        "logger.addFilter(RefusalLogLimit(burst=2, interval=3600))\n"
        "for _ in range(50):\n"
        "    logger.warning('authentication failed', extra={'reason': 'token_expired'})\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = result.stdout.splitlines()
    assert lines[:2] == ["WARNING authentication failed"] * 2
    assert lines[2:] == ["WARNING 48 similar log line(s) not written in the last 0 s: "
                         "token_expired=48"]


def test_summary_of_info_lines_is_info_and_of_errors_is_warning(limited, clock):
    logger, written = limited(RepeatLogLimit(burst=0, interval=10, clock=clock))
    logger.info("refetch suppressed")
    logger.info("refetch suppressed")
    clock.advance(10)
    logger.error("Token verification raised %s", "TypeError")
    clock.advance(10)
    logger.info("next")
    assert [(r.levelname, r.suppressed) for r in summaries(written)] == [
        ("INFO", {"refetch suppressed": 2}), ("WARNING", {"Token verification raised %s": 1})]


def test_repeat_limit_counts_replay_store_echoes_without_writing_any(limited, clock):
    logger, written = limited(RepeatLogLimit(burst=2, interval=60, clock=clock))
    for _ in range(20):
        logger.error("DPoP replay store unavailable: %s", "BreakerOpen")
        logger.error("Token verification raised %s", "TypeError")
    clock.advance(60)
    logger.debug("tick")
    assert [r.getMessage() for r in written if not hasattr(r, "event")] == [
        "Token verification raised TypeError"] * 2 + ["tick"]
    assert summaries(written)[0].suppressed == {
        "DPoP replay store unavailable: %s": 20, "Token verification raised %s": 18}


def request_line(logger, status):
    level = logging.ERROR if status >= 500 else logging.WARNING
    logger.log(level, "Some status: /api/private", extra={"status_code": status,
                                                          "request": object()})


def test_response_limit_counts_contract_responses_and_writes_every_genuine_500(limited, clock):
    logger, written = limited(ResponseLogLimit(interval=60, clock=clock))
    for status in (401, 401, 403, 400, 404, 429, 503, 503, 503, 500, 500, 502):
        request_line(logger, status)
    logger.error("Unhandled exception: %s", "KeyError")  # the handler's 500 line, no status
    assert [getattr(r, "status_code", None) for r in written] == [500, 500, 502, None]
    clock.advance(60)
    request_line(logger, 500)
    [summary] = summaries(written)
    assert summary.suppressed == {401: 2, 403: 1, 400: 1, 404: 1, 429: 1, 503: 3}
    assert summary.levelname == "WARNING"


def test_distinct_keys_beyond_the_bound_are_counted_together(limited, clock):
    logger, written = limited(RefusalLogLimit(burst=0, interval=60, clock=clock))
    for i in range(250):
        refuse(logger, f"reason_{i}")
    clock.advance(60)
    refuse(logger, "last")
    [summary] = summaries(written)
    assert len(summary.suppressed) == 101
    assert summary.suppressed["other"] == 150
    assert summary.suppressed_total == 250


def test_a_forked_child_starts_with_no_counts(limited, clock):
    log_filter = RefusalLogLimit(burst=1, interval=60, clock=clock)
    logger, written = limited(log_filter)
    refuse(logger, "token_expired", 5)
    pid = os.fork()
    if pid == 0:
        os._exit(0 if not log_filter._suppressed and not log_filter._passed else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert log_filter._suppressed == {"token_expired": 4}
