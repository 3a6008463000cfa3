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

The last line printed is ``RESULT <json>``.
"""
import functools
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import time

from bench.servers import ROOT
from bench.common import (AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens, new_key,
                          start_jwks)
from bench.timing import compare

MISS_TOKENS = 256  # cycled through a 64-entry token cache: every call is a miss
PUBLIC, PRIVATE = "/api/public", "/api/private"


def configure(jwks_url):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50, "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "AUTH0_ISSUER": ISSUER, "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks_url,
        "AUTH0_TOKEN_CACHE_SIZE": "64"})
    from config.wsgi import application  # checks the configuration, then gc.freeze()

    return application


def environ(path, token=None):
    """A WSGI environ as gunicorn builds it for a wrk request (Host, optional Authorization)."""
    env = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
           "RAW_URI": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
           "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
           "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
           "wsgi.run_once": False}
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def _start_response(status, headers, exc_info=None):
    return None


def caller(app, env):
    """One request through ``app``: the call, the body, ``close()`` (as gunicorn does)."""
    def call():
        response = app({**env, "wsgi.input": io.BytesIO()}, _start_response)
        for _ in response:
            pass
        response.close()
    return call


def new_request(env):
    from django.core.handlers.wsgi import WSGIRequest

    return WSGIRequest({**env, "wsgi.input": io.BytesIO()})


def drf_request(env, user=None, auth=None):
    from rest_framework.request import Request

    request = Request(new_request(env))
    if user is not None:
        request.user, request.auth = user, auth
    return request


# -- base cost of the public route -----------------------------------------------------------

def base_variants(app):
    """Timed whole, beside the instrumented run: the request, its request object, and one
    line of gunicorn's access log (outside Django)."""
    env = environ(PUBLIC)
    return {"full": caller(app, env), "request object": lambda: new_request(env),
            "gunicorn access log line": access_log_line(env)}


def access_log_line(env):
    """One access log line as the production configuration writes it (its format, the
    project's redacting logger), to /dev/null: gunicorn's work outside Django."""
    import datetime
    import runpy
    from types import SimpleNamespace

    from gunicorn.config import Config

    from config.gunicorn_logging import RedactingLogger

    production = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    config = Config()
    config.set("accesslog", os.devnull)
    config.set("access_log_format", production["access_log_format"])
    logger = RedactingLogger(config)
    response = SimpleNamespace(status="200 OK", sent=140, headers=[
        ("Content-Type", "application/json"), ("Vary", "Accept, origin"),
        ("Allow", "GET, HEAD, OPTIONS"), ("X-Frame-Options", "DENY"),
        ("Content-Length", "140"), ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")])
    request = SimpleNamespace(headers=[("HOST", env["HTTP_HOST"])])
    elapsed = datetime.timedelta(microseconds=1500)
    return lambda: logger.access(response, request, env, elapsed)


class Stopwatch:
    """Named spans of one request, in ns; ``wrap`` times a callable under a name."""

    def __init__(self):
        self.spans, self.clock = {}, time.perf_counter_ns

    def wrap(self, name, inner):
        @functools.wraps(inner)  # keeps attributes Django reads (the view's csrf_exempt)
        def timed(*args, **kwargs):
            started = self.clock()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spans[name] = self.clock() - started
        return timed


def instrumented_handler(watch):
    """A handler built like the production one, timing each middleware layer ("layer i":
    everything from the i-th middleware inwards), URL resolving, the view, DRF's content
    negotiation, the view's body and rendering. Returns the handler and the middleware
    names, outermost first."""
    from django.core.handlers.wsgi import WSGIHandler

    handler, names = WSGIHandler(), []
    layer = handler._middleware_chain
    while hasattr(getattr(layer, "__wrapped__", None), "get_response"):
        middleware = layer.__wrapped__
        names.append(type(middleware).__name__)
        layer = middleware.get_response
        middleware.get_response = watch.wrap(f"layer {len(names)}", layer)
    handler._middleware_chain = watch.wrap("layer 0", handler._middleware_chain)
    resolve = handler.resolve_request

    def resolve_request(request):
        view, args, kwargs = watch.wrap("URL resolving", resolve)(request)
        return watch.wrap("view", rendered_by(watch, view)), args, kwargs

    handler.resolve_request = resolve_request
    return handler, names


def rendered_by(watch, view):
    @functools.wraps(view)
    def call(*args, **kwargs):
        response = view(*args, **kwargs)
        response.render = watch.wrap("rendering", response.render)
        return response
    return call


def instrumented_run(env, count):
    """Median µs per request of each part of the public route, all from the same
    ``count`` requests (per-request differences, then medians: a drifting machine speed or
    another process's interruption moves a median little). The timing itself adds about
    0.3 µs per part, counted in the part around it."""
    from rest_framework.views import APIView

    from api.views import PublicView

    watch = Stopwatch()
    handler, names = instrumented_handler(watch)
    patched = {(APIView, "perform_content_negotiation"): "negotiation",
               (PublicView, "get"): "view body"}
    originals = {key: getattr(*key) for key in patched}
    for (cls, attribute), name in patched.items():
        setattr(cls, attribute, watch.wrap(name, originals[(cls, attribute)]))
    try:
        call, samples = caller(handler, env), []
        for _ in range(count):
            started = watch.clock()
            call()
            samples.append(dict(watch.spans, full=watch.clock() - started))
    finally:
        for key, original in originals.items():
            setattr(*key, original)
    return breakdown(samples, names)


def own_time(depth):
    """A middleware's own time: its layer minus the layers inside it."""
    return lambda spans: spans[f"layer {depth}"] - spans[f"layer {depth + 1}"]


def breakdown(samples, names):
    """Rows (name, median µs) from per-request spans; the rows add up to about the total."""
    inner = f"layer {len(names)}"
    parts = {"Django's handler around the middleware (signals, request object, start, close)":
             lambda s: s["full"] - s["layer 0"]}
    for depth, name in enumerate(names):
        parts[f"middleware {name}"] = own_time(depth)
    parts.update({
        "URL resolving": lambda s: s["URL resolving"],
        "DRF dispatch (APIView: Request, checks, finalize)":
            lambda s: s["view"] - s["negotiation"] - s["view body"],
        "content negotiation": lambda s: s["negotiation"],
        "the view's body (dict, timestamp, Response)": lambda s: s["view body"],
        "rendering (JSON, headers)": lambda s: s["rendering"],
        "rest inside the middleware (view middleware, checks)":
            lambda s: s[inner] - s["URL resolving"] - s["view"] - s["rendering"],
    })
    rows = [(name, statistics.median(part(s) for s in samples) / 1000)
            for name, part in parts.items()]
    return rows, statistics.median(s["full"] for s in samples) / 1000


# -- a protected request: token-cache hit and miss -----------------------------------------

def hit_miss_variants(app, key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.renderers import JSONRenderer

    from api.views import PrivateView, PublicView
    from auth0_jwt import Auth0JWTAuthentication
    from auth0_jwt._core.token_cache import TokenCache
    from auth0_jwt._core.verification import TokenVerifier
    from auth0_jwt._drf.authentication import PresentedToken
    from auth0_jwt._drf.users import TokenUser
    from auth0_jwt._ops.runtime import get_verifier
    from bench.micro import b64decode

    token = mint_token(key)
    fresh = mint_tokens(key, MISS_TOKENS)
    private_env = environ(PRIVATE, token)
    check_responses(app, token, flip_signature(token))
    verifier = get_verifier()
    authentication = Auth0JWTAuthentication()
    presented = PresentedToken(token)
    verified = verifier.verify(presented)
    entry = verifier.cache.get(token)
    kid, alg, (exp, nbf, iat) = entry[2], entry[3], entry[4]
    user = TokenUser(verified)
    with_user = drf_request(private_env, user, verified)
    plain = TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=verifier.key_source)
    full_cache = TokenCache(64)
    keys = itertools.cycle(f"{t}" for t in fresh)
    public_key, signing_input = key.private.public_key(), token.rsplit(".", 1)[0].encode()
    signature = b64decode(token.split(".")[2])
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    renderer = JSONRenderer()
    public_data = PublicView().get(drf_request(environ(PUBLIC))).data
    private_data = PrivateView().get(with_user).data
    miss_envs = itertools.cycle([environ(PRIVATE, t) for t in fresh])
    miss_tokens, plain_tokens = itertools.cycle(fresh), itertools.cycle(fresh)
    is_authenticated, view = IsAuthenticated(), PrivateView()
    header_request = drf_request(private_env)
    return {
        "public request": caller(app, environ(PUBLIC)),
        "private request, hit": caller(app, private_env),
        "private request, miss": lambda: caller(app, next(miss_envs))(),
        "authenticate() (hit)": lambda: authentication.authenticate(header_request),
        "header parsing (get_raw_token)": lambda: authentication.get_raw_token(header_request),
        "verify(), hit": lambda: verifier.verify(presented),
        "cache lookup": lambda: verifier.cache.get(token),
        "key lookup (get_key)": lambda: verifier.key_source.get_key(kid, alg),
        "time checks": lambda: verifier.check_time_values(exp, nbf, iat, verifier.clock()),
        "presented_as": lambda: entry[0].presented_as(presented),
        "TokenUser": lambda: TokenUser(verified),
        "permission (IsAuthenticated)": lambda: is_authenticated.has_permission(with_user, view),
        "private view body": lambda: view.get(with_user),
        "public view body": lambda: PublicView().get(with_user),
        "render private body": lambda: renderer.render(private_data, "application/json"),
        "render public body": lambda: renderer.render(public_data, "application/json"),
        "verify(), miss": lambda: verifier.verify(next(miss_tokens)),
        "TokenVerifier.verify (no cache)": lambda: plain.verify(next(plain_tokens)),
        "cache put (with eviction)": lambda: full_cache.put(next(keys), entry),
        "raw RSA verify": lambda: public_key.verify(signature, signing_input, pkcs1, sha256),
    }


def check_responses(app, token, bad):
    """The timed requests answer as they should (200 public and with a valid token, 401 with
    a flipped signature byte), or nothing is timed."""
    for path, credential, expected in ((PUBLIC, None, "200"), (PRIVATE, token, "200"),
                                       (PRIVATE, bad, "401")):
        seen = []
        env = {**environ(path, credential), "wsgi.input": io.BytesIO()}
        response = app(env, lambda status, headers, exc_info=None: seen.append(status))
        b"".join(response)
        response.close()
        if not seen[0].startswith(expected):
            raise SystemExit(f"{path}: {seen[0]}, expected {expected}: nothing timed")


def profile(call, count):
    """Per function: (calls, own µs) per call of ``call``, under cProfile in thread CPU time
    (the moments another process holds the core are not counted)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    return {where(key): (calls / count, own * 1e6 / count) for key, (_, calls, own, _, _)
            in pstats.Stats(profiler).stats.items()}


def where(key):
    path, line, function = key
    for marker in ("site-packages/", str(ROOT) + "/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{function}" if path != "~" else function


def profile_diff(before, after, count, top=10):
    """What ``after`` spends beyond ``before``, by function: the ``top`` rows
    ``(function, own µs more per request, calls more per request)`` and the total."""
    first, second = profile(before, count), profile(after, count)
    rows = [(name, second.get(name, (0, 0))[1] - first.get(name, (0, 0))[1],
             second.get(name, (0, 0))[0] - first.get(name, (0, 0))[0])
            for name in set(first) | set(second)]
    rows.sort(key=lambda row: -row[1])
    # Call counts are exact (time is not): the extra calls are the extra work, noise-free.
    return {"top": rows[:top], "calls": sum(row[2] for row in rows)}


def profiles(app, key, count):
    """cProfile of a hit against a public request, and of a miss against a hit."""
    token = mint_token(key)
    public, hit = caller(app, environ(PUBLIC)), caller(app, environ(PRIVATE, token))
    misses = itertools.cycle([environ(PRIVATE, t) for t in mint_tokens(key, MISS_TOKENS)])
    hit()
    return {"hit": profile_diff(public, hit, count),
            "miss": profile_diff(hit, lambda: caller(app, next(misses))(), count)}


# -- why the RSA verify costs more inside a worker ----------------------------------------

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


def main(argv):
    quick = "--quick" in argv
    timing = dict(rounds=1, repeats=2, repeat_seconds=0.01) if quick else dict(
        rounds=3, repeats=5, repeat_seconds=0.05)
    key = new_key()
    jwks = start_jwks(key)
    try:
        app = configure(jwks.url)
        print("  public route, piece by piece ...", flush=True)
        base = compare(base_variants(app), "full", **timing)
        rows, total = instrumented_run(environ(PUBLIC), count=50 if quick else 3000)
        print("  protected route: hit and miss ...", flush=True)
        hit_miss = compare(hit_miss_variants(app, key), "public request", **timing)
        print("  cProfile: hit against public, miss against hit ...", flush=True)
        profiled = profiles(app, key, count=50 if quick else 2000)
        print("  raw RSA verify in four contexts ...", flush=True)
        rsa = rsa_contexts(app, key, samples=20 if quick else 300)
    finally:
        jwks.stop()
    print("RESULT " + json.dumps({
        "base": rows, "full_us": total, "timed_full_us": base["full"]["us"],
        "request_object_us": base["request object"]["us"],
        "access_log_us": base["gunicorn access log line"]["us"],
        "hit_miss": {name: row["us"] for name, row in hit_miss.items()}, "rsa": rsa,
        "profiles": profiled}),
        flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
