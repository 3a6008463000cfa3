"""gunicorn's own refusals in the API's JSON shape.

A request gunicorn cannot take (a request line over 8190 bytes, more than 100 header fields,
a header line over ``limit_request_field_size``, a malformed request line) is answered by
gunicorn itself, before Django, through ``gunicorn.util.write_error``: an HTML page. nginx
refuses most of these first, in JSON, but not all (it has no limit on the number of header
fields), and a client of gunicorn alone meets them all. The master replaces the writer once,
before forking its workers (``on_starting`` in ``config/gunicorn.conf.py``).
"""
import json

from gunicorn import util

# status -> (error, message). gunicorn's own detail is left out of the body: it can quote the
# request (a header name, the request line), and the app's messages never echo a request.
REFUSALS = {
    400: ("invalid_request", "Bad request"),
    403: ("forbidden", "Forbidden"),
    414: ("invalid_request", "Request line too long"),
    417: ("invalid_request", "Expectation failed"),
    431: ("invalid_request", "Request header fields too large"),
    500: ("server_error", "Internal Server Error"),
}


def json_refusal(status_int, reason):
    """The response gunicorn sends for ``status_int``, as bytes."""
    fallback = ("server_error", "Internal Server Error") if status_int >= 500 else (
        "invalid_request", "Bad request")
    error, message = REFUSALS.get(status_int, fallback)
    body = json.dumps({"error": error, "message": message}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def write_error(sock, status_int, reason, mesg):
    """Drop-in for ``gunicorn.util.write_error`` (same signature; ``mesg`` is not sent)."""
    util.write_nonblock(sock, json_refusal(status_int, reason))


def install():
    util.write_error = write_error
