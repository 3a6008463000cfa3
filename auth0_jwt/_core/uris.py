"""HTTP URI normalisation for the DPoP ``htu`` comparison. No Django imports.

RFC 9449 section 4.3 check 9: ``htu`` matches the request URI ignoring query and fragment,
after syntax-based and scheme-based normalisation (RFC 3986 sections 6.2.2 and 6.2.3): case of
scheme and host, percent-encoding case and unreserved characters, dot segments, default ports
and the empty path.
"""
import re
from urllib.parse import quote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# RFC 3986 section 3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@" ("/" between
# segments); quote() never encodes the unreserved characters.
_PATH_SAFE = "/!$&'()*+,;=:@"
# Host characters we accept: reg-name letters, digits, dots and hyphens, or an IP literal.
_HOST = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")


def normalize(uri):
    """``scheme://host[:port]/path`` in normal form, or None if ``uri`` is no usable http(s) URI.

    Query and fragment are dropped. A URI with user information, a bad port or an unusual host
    is refused (None) rather than guessed at.
    """
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    if ":" in host:
        host = f"[{host}]"
    authority = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{authority}{normalize_path(parts.path)}"


def normalize_path(path):
    """Percent-encoding in upper case, unreserved characters decoded, dot segments removed."""
    path = _PERCENT.sub(_normalize_escape, path)
    return remove_dot_segments(path) if path else "/"


def _normalize_escape(match):
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def remove_dot_segments(path):
    """RFC 3986 section 5.2.4 for an absolute path: ``/a/./b/../c`` is ``/a/c``."""
    output = []
    segments = path.split("/")[1:]
    for segment in segments:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments and segments[-1] in (".", ".."):
        output.append("")  # "/a/b/.." is "/a/", not "/a"
    return "/" + "/".join(output)


def target_path(request_target):
    """The path of an HTTP request-target as the client sent it, without query or fragment.

    RFC 9112 section 3.2: origin-form (``/a/b?q``) or absolute-form (``http://host/a/b?q``, sent
    to proxies). Nothing is decoded: ``/org%3B123`` stays distinct from ``/org;123``. None when
    there is no path (authority-form, asterisk-form, or an empty target).
    """
    if request_target.startswith("/"):
        path = request_target
    elif request_target[:7].lower() == "http://" or request_target[:8].lower() == "https://":
        # Only "//" after the scheme delimits an authority; the path starts at the next "/".
        start = request_target.find("/", request_target.index("//") + 2)
        path = request_target[start:] if start >= 0 else "/"
    else:
        return None
    return path.split("?", 1)[0].split("#", 1)[0]


def quote_path(path):
    """A decoded path percent-encoded again, leaving the characters a path may hold as they are.

    The fallback when the raw request-target is unknown: the decoded path cannot tell ``;``
    from ``%3B`` any more, so the literal character is assumed.
    """
    return quote(path, safe=_PATH_SAFE)
