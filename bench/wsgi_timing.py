"""The benchmark's gunicorn entry point: ``config.wsgi`` plus CPU accounting per scenario.

Each worker adds the thread CPU time of every request (the Django application call and the
response's ``close()``, i.e. everything but gunicorn's own HTTP and socket work) to a slot
chosen by the ``X-Bench-Scenario`` request header (0 when absent), in a small file-backed
map ``$BENCH_STATS_DIR/worker-<pid>.bin`` that the benchmark reads between runs. Cost: two
``thread_time()`` calls and two ``struct`` operations per request.
"""
import mmap
import os
import time

from config.wsgi import application as django_application

from .stats import RECORD, SLOTS

_stats = None


def _stats_map():
    global _stats
    if _stats is None:
        path = os.path.join(os.environ["BENCH_STATS_DIR"], f"worker-{os.getpid()}.bin")
        with open(path, "wb") as empty:
            empty.write(b"\0" * RECORD.size * SLOTS)
        with open(path, "r+b") as backing:
            _stats = mmap.mmap(backing.fileno(), RECORD.size * SLOTS)
    return _stats


def _add(slot, seconds):
    stats = _stats_map()
    offset = RECORD.size * slot
    count, total = RECORD.unpack_from(stats, offset)
    RECORD.pack_into(stats, offset, count + 1, total + seconds)


class _Timed:
    """The response, with its ``close()`` (request_finished signal) counted too."""

    def __init__(self, response, slot, spent):
        self.response, self.slot, self.spent = response, slot, spent

    def __iter__(self):
        return iter(self.response)

    def close(self):
        started = time.thread_time()
        try:
            self.response.close()
        finally:
            _add(self.slot, self.spent + time.thread_time() - started)


def application(environ, start_response):
    started = time.thread_time()
    slot = environ.get("HTTP_X_BENCH_SCENARIO", "0")
    slot = int(slot) % SLOTS if slot.isdigit() else 0
    response = django_application(environ, start_response)
    return _Timed(response, slot, time.thread_time() - started)
