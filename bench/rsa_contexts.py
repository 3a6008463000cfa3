"""Why the RSA verify costs more inside a worker: one raw RSA-2048 verify after different
work (nothing, an in-process Django request, touching 4 MiB and 64 MiB of memory) and while
another process keeps the second core busy. The in-worker figure comes from the probe of
``wsgi_timing.py``.
"""
import os
import statistics
import subprocess
import sys
import time

from bench.common import mint_token
from bench.wsgi_requests import PUBLIC, caller, environ


def rsa_contexts(app, key, samples):
    """µs of one raw RSA verify (median of ``samples`` calls) after each of: nothing (a tight
    loop), one in-process public request, touching 4 MiB (more than L2) and 64 MiB (more than
    L3) of memory; and in a tight loop while a spinning process holds the other core."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from bench.micro import b64decode

    token = mint_token(key)
    public_key, signing_input = key.private.public_key(), token.rsplit(".", 1)[0].encode()
    signature = b64decode(token.split(".")[2])
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def verify():
        public_key.verify(signature, signing_input, pkcs1, sha256)

    request = caller(app, environ(PUBLIC))
    small, large = bytearray(4 << 20), bytearray(64 << 20)
    before = {"tight loop": lambda: None, "after one Django request": request,
              "after touching 4 MiB": lambda: bytes(small),
              "after touching 64 MiB": lambda: bytes(large)}
    results = {name: [] for name in before}
    for _ in range(samples):  # interleaved: drift hits every context alike
        for name, action in before.items():
            action()
            started = time.perf_counter()
            verify()
            results[name].append((time.perf_counter() - started) * 1e6)
    figures = {name: statistics.median(values) for name, values in results.items()}
    figures["tight loop, other core busy"] = with_busy_core(verify, samples)
    return figures


def with_busy_core(verify, samples):
    """Median µs of ``verify`` on CPU 0 while a spinning process holds CPU 1 (None when
    the machine has one CPU or affinity cannot be set)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(spinner.pid, {cpus[1]})
        os.sched_setaffinity(0, {cpus[0]})
        time.sleep(0.2)
        values = []
        for _ in range(samples):
            started = time.perf_counter()
            verify()
            values.append((time.perf_counter() - started) * 1e6)
        return statistics.median(values)
    finally:
        spinner.kill()
        spinner.wait()
        os.sched_setaffinity(0, set(cpus))
