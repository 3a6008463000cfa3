"""Requests sent byte for byte (``http.client``: repeated headers, tabs and odd bytes go out
as written) and answers read as a client reads them: status, headers, JSON body and the
``WWW-Authenticate`` challenges (RFC 9110 section 11.6.1) parsed into schemes and parameters.
"""
import http.client
import json
import re
from dataclasses import dataclass, field

TIMEOUT = 10  # seconds per request: a hung server fails the comparison, never blocks it


@dataclass
class Request:
    """``headers`` is a list of ``(name, value)``: a name may appear twice."""

    method: str = "GET"
    path: str = "/api/private"
    headers: list = field(default_factory=list)
    body: bytes = None


@dataclass
class Answer:
    status: int
    headers: dict  # lower-case name -> value (repeated fields joined with ", ")
    body: object  # the parsed JSON, or None when the body is not JSON
    challenges: list  # [(scheme, {param: value})], in the order sent

    @property
    def code(self):
        """The ``error`` a client reads from the challenges (RFC 6750 section 3), or None."""
        return next((params["error"] for _, params in self.challenges if "error" in params),
                    None)

    @property
    def error_scheme(self):
        """The scheme whose challenge carries the error, or None."""
        return next((scheme for scheme, params in self.challenges if "error" in params), None)

    @property
    def media_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def send(port, request):
    """The ``Answer`` of ``request`` sent to 127.0.0.1:``port``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.putrequest(request.method, request.path, skip_accept_encoding=True)
        for name, value in request.headers:
            connection.putheader(name, value.encode("latin-1") if isinstance(value, str)
                                 else value)
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        response = connection.getresponse()
        return read_answer(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def read_answer(status, header_list, body):
    headers = {}
    for name, value in header_list:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Answer(status, headers, parse_json(body),
                  parse_challenges(headers.get("www-authenticate", "")))


def parse_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


# RFC 9110 section 11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ];
# auth-param = token BWS "=" BWS ( token / quoted-string ). Challenges and parameters share
# the comma, so a token not followed by "=" starts the next challenge.
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
QUOTED = r'"(?:[^"\\]|\\.)*"'
ITEM = re.compile(rf"\s*(?:({TOKEN})\s*=\s*({QUOTED}|{TOKEN})|({TOKEN})(?=[\s,]|$))\s*,?")


def parse_challenges(value):
    """``[(scheme, {param: value})]``; parameter names lower-cased, quoted values unquoted."""
    challenges, position = [], 0
    while position < len(value):
        match = ITEM.match(value, position)
        if match is None or match.end() == position:
            raise ValueError(f"unparsable WWW-Authenticate at {position}: {value!r}")
        name, param_value, scheme = match.groups()
        if scheme is not None:
            challenges.append((scheme, {}))
        elif challenges:
            challenges[-1][1][name.lower()] = unquote(param_value)
        else:
            raise ValueError(f"WWW-Authenticate parameter before any scheme: {value!r}")
        position = match.end()
    return challenges


def unquote(value):
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
