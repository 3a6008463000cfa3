"""gunicorn logger classes that never write a credential (``logger_class`` in the config).

gunicorn's access log can show the raw request line (``%(r)s``), the query string
(``%(q)s``), the referrer and any request header (``%({authorization}i)s``). Here those atoms
are cleaned before any format sees them: sensitive query parameters are replaced by
``[redacted]`` and credential headers are dropped, so even an operator's own
``--access-logformat`` cannot record a token. As a second line of defence every finished
line, access or error (gunicorn's "Invalid request line '...'" quotes the request line), goes
through ``config.logs.redact``.

No Django imports: the master process loads this class (and ``config/logs.py``), so a
change to these two modules needs a restart; a ``HUP`` reloads everything else.
"""
import logging
import traceback

from gunicorn import glogging

from .logs import JSONFormatter, redact

# Request headers and environ keys that carry credentials: never an access-log atom.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
CREDENTIAL_RESPONSE_HEADERS = frozenset({"set-cookie"})
CREDENTIAL_ENVIRON = frozenset({"http_authorization", "http_proxy_authorization", "http_cookie"})
URL_ATOMS = ("r", "q", "f")
JSON_ATOMS = ("h", "m", "U", "q", "s", "B", "M", "a", "f", "p")  # what a JSON access line holds


class RedactingFormatter(logging.Formatter):
    """Wraps the formatter a handler already has (gunicorn's, syslog's) and redacts its lines."""

    def __init__(self, inner=None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record):
        return redact(self.inner.format(record))


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with credentials removed from the access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler.formatter, (RedactingFormatter, JSONFormatter)):
                    handler.setFormatter(self.formatter_for(handler.formatter))

    def formatter_for(self, current):
        return RedactingFormatter(current)

    def atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms, every one cleaned (for code that reads them all)."""
        atoms = self.redacted_atoms(resp, req, environ, request_time)
        return {key: atoms.clean(key) for key in atoms}

    def redacted_atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms, each cleaned when it is read (``RedactedAtoms``)."""
        return RedactedAtoms(super().atoms(resp, req, environ, request_time))

    def access(self, resp, req, environ, request_time):
        """gunicorn's ``access`` with the atoms cleaned as the format reads them: a line
        costs the few atoms its format names, not the forty-odd gunicorn offers."""
        if not self.access_log_enabled:
            return
        atoms = self.redacted_atoms(resp, req, environ, request_time)
        try:
            self.access_log.info(self.cfg.access_log_format, atoms)
        except Exception:
            self.error(traceback.format_exc())


class RedactedAtoms(dict):
    """gunicorn's atoms as a format reads them (in place of its ``SafeAtoms``): names of
    ``{header}i`` atoms in any case, ``-`` for an unknown atom or a credential, URL and
    environ atoms redacted, ``"`` escaped; each only when the format reads it."""

    def __getitem__(self, key):
        value = self.clean(key)
        return value.replace('"', '\\"') if isinstance(value, str) else value

    def clean(self, key):
        """The atom ``key`` without credentials (not escaped)."""
        if key.startswith("{"):
            key = key.lower()
        if is_credential_atom(key):
            return "-"
        value = self.get(key, "-")
        if isinstance(value, str) and (key in URL_ATOMS or key.endswith("}e")):
            return redact(value)  # the request line, query, referrer, RAW_URI...
        return value


class JSONLogger(RedactingLogger):
    """The same, one JSON object per line (``DJANGO_LOG_FORMAT=json``).

    An access line: ``{"time", "level", "logger": "gunicorn.access", "message": "GET /path 200",
    "remote_addr", "method", "path", "query", "status", "bytes", "duration_ms", "user_agent",
    "referer", "pid"}``; ``query`` and ``referer`` are redacted like the plain format.
    """

    def formatter_for(self, current):
        return JSONFormatter()

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.redacted_atoms(resp, req, environ, request_time)
        atoms = {key: atoms.clean(key) for key in JSON_ATOMS}
        fields = {"remote_addr": atoms["h"], "method": atoms["m"], "path": atoms["U"],
                  "query": atoms["q"] or "", "status": _int(atoms["s"]),
                  "bytes": atoms["B"], "duration_ms": atoms["M"], "user_agent": atoms["a"],
                  "referer": atoms["f"], "pid": int(atoms["p"].strip("<>"))}
        self.access_log.info("%s %s %s", atoms["m"], atoms["U"], atoms["s"], extra=fields)


def is_credential_atom(key):
    if key.endswith("}i"):
        return key[1:-2] in CREDENTIAL_HEADERS
    if key.endswith("}o"):
        return key[1:-2] in CREDENTIAL_RESPONSE_HEADERS
    if key.endswith("}e"):
        return key[1:-2] in CREDENTIAL_ENVIRON
    return False


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
