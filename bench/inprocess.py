"""In process, through the project's WSGI application: where a request's CPU goes.

``python -m bench.inprocess [--quick]`` (``run.py`` starts it in a fresh process): the
production settings (``DEBUG`` off, the JWKS from a loopback server), ``config.wsgi`` as
gunicorn loads it, requests as wrk sends them (``Host`` and ``Authorization`` only). Three
parts, each timed with ``bench/timing.py`` (interleaved, median of same-round figures):

- ``base``: the public route's cost from an instrumented copy of the production handler:
  Django's handler around the middleware, each middleware's own time, URL resolving, DRF's
  dispatch, content negotiation, the view's body, rendering (all from the same requests);
- ``hit`` / ``miss``: a protected request with a repeated token (a token-cache hit) and
  with a new token (a miss), against the public one, and the steps they add; then cProfile
  of a hit against a public request and of a miss against a hit, by function (cProfile
  inflates every call: its figures are shares, not costs);
- ``rsa``: the raw RSA verify in a tight loop, between in-process Django requests, after
  evicting the CPU caches, and while another process keeps the second core busy.

The last line printed is ``RESULT <json>``. The parts: ``base_cost.py``, ``hit_miss.py``,
``rsa_contexts.py``; the requests: ``wsgi_requests.py``.
"""
import json
import sys

from bench import base_cost, hit_miss, rsa_contexts
from bench.common import new_key, start_jwks
from bench.timing import compare
from bench.wsgi_requests import PUBLIC, configure, environ


def main(argv):
    quick = "--quick" in argv
    timing = dict(rounds=1, repeats=2, repeat_seconds=0.01) if quick else dict(
        rounds=3, repeats=5, repeat_seconds=0.05)
    key = new_key()
    jwks = start_jwks(key)
    try:
        app = configure(jwks.url)
        print("  public route, piece by piece ...", flush=True)
        base = compare(base_cost.base_variants(app), "full", **timing)
        rows, total = base_cost.instrumented_run(environ(PUBLIC), count=50 if quick else 3000)
        print("  protected route: hit and miss ...", flush=True)
        steps = compare(hit_miss.hit_miss_variants(app, key), "public request", **timing)
        print("  cProfile: hit against public, miss against hit ...", flush=True)
        profiled = hit_miss.profiles(app, key, count=50 if quick else 2000)
        print("  raw RSA verify in four contexts ...", flush=True)
        rsa = rsa_contexts.rsa_contexts(app, key, samples=20 if quick else 300)
    finally:
        jwks.stop()
    print("RESULT " + json.dumps({
        "base": rows, "full_us": total, "timed_full_us": base["full"]["us"],
        "request_object_us": base["request object"]["us"],
        "access_log_us": base["gunicorn access log line"]["us"],
        "hit_miss": {name: row["us"] for name, row in steps.items()}, "rsa": rsa,
        "profiles": profiled}),
        flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
