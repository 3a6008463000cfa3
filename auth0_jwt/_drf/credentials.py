"""Where a credential arrives, and nothing else: each source finds the raw credential and says
how it came (RFC 6750 section 2; RFC 9449 section 7 for DPoP).

A source returns a ``Credential``, None when the request carries none it reads, or raises
``InvalidRequest`` when the way it is carried is malformed (RFC 6750 section 3.1: 400).
Checking the credential itself is the pipeline's job (``pipeline.py``), the same for every
source: header (Bearer or DPoP), query, form body and the session-held token.
"""
import re

from django.conf import settings

from auth0_jwt._core.errors import InvalidRequest
from auth0_jwt._settings import auth0_settings

HEADER, QUERY, FORM, SESSION = "header", "query", "form", "session"
PARAMETER = "access_token"  # RFC 6750 sections 2.2 and 2.3
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SESSION_KEY = "auth0_jwt.token"
# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # the grammar; is_b64token() is the fast check
B64TOKEN_CHARACTERS = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       b"-._~+/")
WHITESPACE = re.compile(r"\s")
# Servers join a repeated header with a comma (gunicorn, wsgiref): "Bearer a,Bearer b".
REPEATED_SCHEME = re.compile(r",\s*(bearer|dpop)\s", re.IGNORECASE)
# RFC 7230 section 3.2.3: optional whitespace around a field value is SP or HTAB.
OWS = " \t"


class PresentedToken(str):
    """The raw access token as sent, with the ``scheme`` it came with: "Bearer" or "DPoP".

    It is the string the verifier sees and ``request.auth.token`` holds, so an error rendered
    later knows which challenge to answer on.
    """

    def __new__(cls, value, scheme="Bearer"):
        token = super().__new__(cls, value)
        token.scheme = scheme
        return token


class Credential:
    """A credential as found: ``token`` (a ``PresentedToken``), ``source`` (header, query,
    form or session) and ``proof``, the raw ``DPoP`` header sent beside a DPoP token."""

    __slots__ = ("token", "source", "proof")

    def __init__(self, token, source, proof=None):
        self.token = token
        self.source = source
        self.proof = proof

    @property
    def scheme(self):
        return self.token.scheme

    def __repr__(self):  # never the token: reprs end up in logs
        return f"<Credential {self.scheme} from {self.source}>"


# -- the Authorization header ------------------------------------------------------------------

def header_credential(django_request):
    """``Authorization: Bearer <token>`` or, with DPoP on, ``Authorization: DPoP <token>`` plus
    its ``DPoP`` header; None for no header or another scheme ("not ours")."""
    header = django_request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    scheme, token = split_authorization(header)
    if scheme is None:
        return None
    proof = django_request.META.get("HTTP_DPOP") if scheme == "DPoP" else None
    return Credential(PresentedToken(token, scheme), HEADER, proof)


def split_authorization(header):
    """``(scheme, token)`` of an ``Authorization`` value, ``(None, None)`` if not ours.

    RFC 7235 section 2.1: ``credentials = auth-scheme [ 1*SP token68 ]``: the scheme is
    case-insensitive and followed by spaces only. A tab, NBSP or other whitespace after our
    scheme name is a malformed header (400), never a separator to be guessed at.
    """
    value = header.strip(OWS)
    if not value:
        raise InvalidRequest("Authorization header is empty")
    name, _, rest = value.partition(" ")
    scheme = scheme_named(name)
    if scheme is not None:
        return scheme, rest.lstrip(" ")
    first_word = WHITESPACE.split(name, 1)[0]
    if first_word != name and scheme_named(first_word) is not None:
        raise InvalidRequest(f"Authorization header: the {scheme_named(first_word)} scheme "
                             "must be followed by a space")
    return None, None


def scheme_named(name):
    """"Bearer", "DPoP" (only when DPoP is on), or None for a scheme that is not ours."""
    name = name.lower()  # RFC 7235 section 2.1: schemes are case-insensitive
    if name == "bearer":
        return "Bearer"
    if name == "dpop" and auth0_settings.DPOP_MODE != "off":
        return "DPoP"
    return None


# -- access_token in the query string or a form body (RFC 6750 sections 2.2, 2.3) ---------------

def query_credential(django_request):
    if not auth0_settings.ALLOW_QUERY_TOKEN:
        return None
    return parameter_credential(django_request.GET.getlist(PARAMETER), QUERY)


def form_credential(django_request):
    if not auth0_settings.ALLOW_FORM_TOKEN or not is_form_body(django_request):
        return None
    return parameter_credential(django_request.POST.getlist(PARAMETER), FORM)


def parameter_credential(values, source):
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequest(f"Parameter '{PARAMETER}' is repeated")
    return Credential(PresentedToken(values[0]), source)


def carries_switched_off_parameter(django_request):
    """An ``access_token`` in the query or form body while that method is off.

    Names are compared decoded, so any spelling on the wire counts (``access%5Ftoken``). The
    raw query string is only parsed when it could hold the name at all.
    """
    query = django_request.META.get("QUERY_STRING", "")
    if (not auth0_settings.ALLOW_QUERY_TOKEN and query
            and (PARAMETER in query or "%" in query) and PARAMETER in django_request.GET):
        return True
    return (not auth0_settings.ALLOW_FORM_TOKEN and is_form_body(django_request)
            and PARAMETER in django_request.POST)


def is_form_body(django_request):
    # RFC 6750 section 2.2: only a form-encoded body, never on GET.
    return (django_request.method not in ("GET", "HEAD")
            and django_request.META.get("CONTENT_TYPE", "").startswith(FORM_CONTENT_TYPE))


# -- the session-held token (the token page, ``token_page.py``) -------------------------------

def session_credential(django_request):
    """The token held in the session, when the feature is on, the request has no
    ``Authorization`` header and carries a session cookie; else None."""
    if not auth0_settings.SESSION_TOKEN or "HTTP_AUTHORIZATION" in django_request.META:
        return None
    # Touch the session only when a cookie exists: no "Vary: Cookie" on other requests.
    if settings.SESSION_COOKIE_NAME not in django_request.COOKIES:
        return None
    session = getattr(django_request, "session", None)
    token = session.get(SESSION_KEY) if session is not None else None
    return Credential(PresentedToken(token), SESSION) if isinstance(token, str) else None


# -- token syntax, the same whatever the source ---------------------------------------------------

def check_token_syntax(token, scheme="Bearer"):
    """RFC 6750 section 2.1 ``b64token`` (RFC 9449 section 7.1: the DPoP token68 too)."""
    if not token:
        raise InvalidRequest(f"{scheme} token is missing")
    if is_b64token(token):
        return
    if REPEATED_SCHEME.search(token):
        # RFC 9110 section 5.3: Authorization is not a list; two of them cannot be chosen from.
        raise InvalidRequest("Authorization header is sent more than once")
    if WHITESPACE.search(token):
        raise InvalidRequest(spaces_message(token, scheme))
    raise InvalidRequest(f"{scheme} token contains characters that are not allowed")


def spaces_message(token, scheme):
    """A message that says what to do: a pasted "Bearer eyJ..." is the usual cause."""
    first_word = WHITESPACE.split(token, 1)[0]
    if first_word.lower() in ("bearer", "dpop"):
        return (f"{scheme} token must not contain spaces: the scheme name is written twice; "
                "send the token alone after it")
    return (f"{scheme} token must not contain spaces: send the token alone, without quotes "
            "or line breaks")


def is_b64token(token):
    """RFC 6750 ``b64token``: one or more of its characters, then only "=" padding.

    Byte translation rather than a regular expression: this runs on every protected request
    and is three times faster on an 800-character token.
    """
    try:
        body = token.encode("ascii").rstrip(b"=")
    except UnicodeEncodeError:
        return False
    return bool(body) and not body.translate(None, B64TOKEN_CHARACTERS)
