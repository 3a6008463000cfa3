"""Where the public route's CPU goes, in process: an instrumented copy of the production
handler (each middleware's own time, URL resolving, DRF's dispatch, negotiation, the view's
body, rendering, Django's handler around them, all from the same requests), and one line of
gunicorn's access log.
"""
import functools
import os
import statistics
import time

from bench.servers import ROOT
from bench.wsgi_requests import PUBLIC, caller, environ, new_request


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
