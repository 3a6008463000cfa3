"""The benchmark's gunicorn entry point: ``config.wsgi`` plus CPU accounting per scenario.

Each worker adds the thread CPU time of every request (the Django application call and the
response's ``close()``, i.e. everything but gunicorn's own HTTP and socket work) to a slot
chosen by the ``X-Bench-Scenario`` request header (0 when absent), in a small file-backed
map ``$BENCH_STATS_DIR/worker-<pid>.bin`` that the benchmark reads between runs. Cost: two
``thread_time()`` calls and two ``struct`` operations per request.

A request tagged ``PROBE`` never reaches Django: the worker runs one raw RSA-2048 PKCS#1 v1.5
verify (the benchmark's physical floor) between the requests it serves, records the CPU of
that call alone and answers 200. It shows what the verify costs inside a busy worker, next to
its cost in a tight loop in process.
"""
import mmap
import os
import time

from config.wsgi import application as django_application

from .stats import PROBE, RECORD, SLOTS

_stats = None
_probe = None


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


def _probe_verify():
    """The raw verify, its key and a token-sized signed input made once per worker."""
    global _probe
    if _probe is None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        data, pkcs1, sha256 = b"x" * 600, padding.PKCS1v15(), hashes.SHA256()
        signature, public = private.sign(data, pkcs1, sha256), private.public_key()
        _probe = lambda: public.verify(signature, data, pkcs1, sha256)  # noqa: E731
    return _probe


def probe(start_response):
    verify = _probe_verify()
    started = time.thread_time()
    verify()
    _add(PROBE, time.thread_time() - started)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"probe"]


def application(environ, start_response):
    started = time.thread_time()
    slot = environ.get("HTTP_X_BENCH_SCENARIO", "0")
    slot = int(slot) % SLOTS if slot.isdigit() else 0
    if slot == PROBE:
        return probe(start_response)
    response = django_application(environ, start_response)
    return _Timed(response, slot, time.thread_time() - started)
