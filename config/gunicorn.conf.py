"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Everything comes from the environment (the twelve-factor names PaaS platforms set):

| variable | default | setting |
|---|---|---|
| ``PORT`` / ``GUNICORN_HOST`` | ``8000`` / ``0.0.0.0`` | ``bind`` (``GUNICORN_BIND`` overrides both) |
| ``WEB_CONCURRENCY`` | 2 x CPUs + 1, at most 12 | ``workers`` |
| ``GUNICORN_WORKER_CLASS`` / ``GUNICORN_THREADS`` | ``sync`` / ``1`` | ``worker_class`` / ``threads`` |
| ``GUNICORN_TIMEOUT`` / ``GUNICORN_GRACEFUL_TIMEOUT`` / ``GUNICORN_KEEPALIVE`` | 30 / 30 / 5 | seconds |
| ``GUNICORN_DRAIN_SECONDS`` | ``5`` | on ``TERM``, ``/readyz`` is 503 this long before workers stop |
| ``GUNICORN_MAX_REQUESTS`` | ``0`` (never) | recycle a worker after N requests (+ up to 10% jitter) |
| ``GUNICORN_LIMIT_REQUEST_FIELD_SIZE`` | ``20480`` | bytes of one header line |
| ``GUNICORN_ACCESS_LOG`` / ``GUNICORN_ERROR_LOG`` | ``-`` / ``-`` | stdout / stderr, or a file path |
| ``GUNICORN_LOG_LEVEL`` | ``info`` | gunicorn's own messages |
| ``DJANGO_LOG_FORMAT`` | ``plain`` | ``json`` makes gunicorn's lines JSON too |
| ``GUNICORN_CONTROL_SOCKET`` | none (off) | path of the ``gunicornc`` control socket |
| ``AUTH0_JWKS_WARMUP`` | ``false`` | fetch the signing keys as each worker boots |

Nothing here imports Django: the master stays free of application code, so a ``HUP``
(graceful reload) forks workers that load the code afresh; the old workers serve until the
new ones are ready, and ``TERM`` drains (``config/gunicorn_lifecycle.py``).
"""
import os
from pathlib import Path


def env_int(name, default, minimum):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {raw!r} "
                         f"(example: {name}={max(default, minimum)})")
    return value


def default_workers():
    """2 x CPUs + 1 (gunicorn's advice for sync workers), capped: each worker holds its own
    copy of the app and its own JWKS cache."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(2 * cpus + 1, 12)


# The repository root, so the command works from any directory.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "config.wsgi:application"

bind = [os.environ.get("GUNICORN_BIND")
        or f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{env_int('PORT', 8000, 1)}"]
workers = env_int("WEB_CONCURRENCY", default_workers(), 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = env_int("GUNICORN_THREADS", 1, 1)  # more than 1 turns sync into gthread
# Longer than the JWKS fetch timeout (AUTH0_JWKS_TIMEOUT, 5 s), so a slow tenant gives a 503,
# not a killed worker.
timeout = env_int("GUNICORN_TIMEOUT", 30, 1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, 1)
# On TERM each worker answers 503 on /readyz and keeps serving this long, so that a load
# balancer probing it stops sending first; then in-flight and queued requests are answered.
# Set it to the balancer's probe interval x failure threshold, plus a second.
drain_seconds = env_int("GUNICORN_DRAIN_SECONDS", 5, 0)
if drain_seconds >= graceful_timeout:
    # The master kills the workers graceful_timeout after TERM: no room left for requests.
    raise ValueError(f"GUNICORN_DRAIN_SECONDS ({drain_seconds}) must be shorter than "
                     f"GUNICORN_GRACEFUL_TIMEOUT ({graceful_timeout})")
keepalive = env_int("GUNICORN_KEEPALIVE", 5, 0)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0, 0)
max_requests_jitter = max_requests // 10

# One header line is "Authorization: Bearer <token>": room for the verifier's longest token
# (AUTH0_JWT MAX_TOKEN_LENGTH, 16384 characters) plus the name; gunicorn's default (8190)
# would answer 400 to a 10 KB token before Django sees it.
limit_request_field_size = env_int("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 20480, 1)
limit_request_line = 8190  # gunicorn's maximum; tokens belong in the header, not the URL

# Logs: to stdout/stderr by default (the platform collects them). The logger class removes
# credentials from every atom and line; the format records the request line with sensitive
# query parameters redacted, never a request header.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
logger_class = ("config.gunicorn_logging.JSONLogger"
                if os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() == "json"
                else "config.gunicorn_logging.RedactingLogger")

# gunicorn 25.1+ opens a control socket at one fixed path per user ($HOME/.gunicorn/): two
# servers on a machine would fight over it. Off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Heartbeat files in memory: a slow or full disk must not get workers killed.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    """Master, once: the record of reloads that it shares with its workers, and gunicorn's
    own refusals (before Django) in JSON rather than HTML."""
    from config import gunicorn_errors, gunicorn_lifecycle

    gunicorn_lifecycle.start_master()
    gunicorn_errors.install()


def on_reload(server):
    """Master, on HUP, before the new workers are forked: the current ones are replaced."""
    from config import gunicorn_lifecycle

    gunicorn_lifecycle.reloading(server)


def post_worker_init(worker):
    """Fetch the signing keys before the worker takes its first request, when
    ``AUTH0_JWKS_WARMUP`` is on (see ``auth0_jwt._ops.runtime.warm_up``; it never raises);
    then handle TERM (wait for successors, or drain) and report the worker ready."""
    from auth0_jwt._ops import draining
    from auth0_jwt._ops.runtime import warm_up
    from config import gunicorn_lifecycle

    warm_up()
    gunicorn_lifecycle.worker_ready(worker, drain_seconds, on_drain=draining.start)


def worker_exit(server, worker):
    """Worker, on its way out: answer the connections still queued (sync workers)."""
    from config import gunicorn_lifecycle

    gunicorn_lifecycle.worker_exiting(worker)
