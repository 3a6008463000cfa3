"""Features that meet in the request path, re-attacked end to end: real gunicorn, production
settings (DEBUG off), JSON logs, requests sent byte for byte with ``http.client``.

Three servers: DPoP "allowed" (the default) with the token page and certificate-bound tokens
on (two workers, sessions in files), DPoP "required", and DPoP "off". Each answer is checked
for its status, its exact JSON body and, where the error table gives one, its challenge; each
server's log for WARNING lines and never an ERROR or a traceback.
"""

import json
import re
import time
from urllib.parse import urlencode

import pytest

from tests import raw_http
from tests.certs import Certificate
from tests.demo.cross_feature_urls import QUOTED_MESSAGE
from tests.dpop_client import DPoPKey
from tests.gunicorn_server import GunicornServer, production_environ
from tests.hostile import rs_signed
from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, int_b64, mint

DPOP = 'DPoP algs="ES256 PS256 RS256"'
MANY = "&".join(f"p{i}=1" for i in range(1001))
TOO_MANY = {"error": "invalid_request",
            "message": "Too many parameters in the query string or form body"}
TOO_BIG = {"error": "invalid_request", "message": "Request body is too large"}
BAD_HOST = {"error": "invalid_request", "message": "Host header is not allowed"}
BAD_MULTIPART = {"error": "invalid_request", "message": "Malformed multipart body"}
UNAUTHORIZED = {"error": "unauthorized", "message": "Authentication required"}
SENDER_CONSTRAINED = b"This token is sender-constrained and cannot be kept in a session"
NOW = int(time.time())


# -- servers ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jwks(signing_key, other_key):
    """The tenant's JWKS: key-1, plus key-2 published with private CRT members but no "d"
    (a misconfigured key set: such a key must be ignored, RFC 7518 section 6.3.2)."""
    server = JWKSServer().start()
    numbers = other_key.private.private_numbers()
    leaky = other_key.jwk(p=int_b64(numbers.p), q=int_b64(numbers.q),
                          dp=int_b64(numbers.dmp1), dq=int_b64(numbers.dmq1),
                          qi=int_b64(numbers.iqmp))
    server.serve_keys(signing_key.jwk(), leaky)
    yield server
    server.stop()


def start(tmp_path_factory, jwks, name, **env):
    log_dir = tmp_path_factory.mktemp(f"cross-feature-{name}")
    (log_dir / "sessions").mkdir()
    environ = production_environ(
        log_dir / "static", DJANGO_SETTINGS_MODULE="tests.demo.cross_feature_settings",
        AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE, AUTH0_JWKS_URL=jwks.url,
        AUTH0_SESSION_TOKEN="true", DJANGO_SESSION_FILE_PATH=str(log_dir / "sessions"),
        DJANGO_LOG_FORMAT="json", **env)
    return GunicornServer(environ, log_dir).start(timeout=60)


@pytest.fixture(scope="module")
def allowed(tmp_path_factory, jwks):
    """DPoP allowed (the default), the token page on, certificate-bound tokens through a
    trusted proxy's Client-Cert header; two workers."""
    server = start(tmp_path_factory, jwks, "allowed", WEB_CONCURRENCY="2",
                   DJANGO_BEHIND_PROXY="true", AUTH0_MTLS_MODE="allowed",
                   AUTH0_MTLS_CLIENT_CERT_HEADER="Client-Cert")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def required(tmp_path_factory, jwks):
    server = start(tmp_path_factory, jwks, "required", WEB_CONCURRENCY="1",
                   AUTH0_DPOP_MODE="required")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dpop_off(tmp_path_factory, jwks):
    server = start(tmp_path_factory, jwks, "off", WEB_CONCURRENCY="1", AUTH0_DPOP_MODE="off")
    yield server
    server.stop()


# -- requests ---------------------------------------------------------------------------------

class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def challenge(self):
        return self.headers.get("WWW-Authenticate")


def send(server, method, target, headers=(), body=None, host=None):
    """``target`` goes on the request line exactly as given; header values may be bytes."""
    return Answer(*raw_http.send(server.port, method, target, headers, body, host))


def bearer(token):
    return [("Authorization", f"Bearer {token}")]


def json_error(answer, status, body):
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == body


def log_entries(server):
    entries = []
    for line in server.app_log().splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                pass
    return entries


def assert_no_error_logged(server):
    log = server.app_log()
    assert "Traceback" not in log
    assert not [e for e in log_entries(server) if e.get("level") in ("ERROR", "CRITICAL")]


class Browser:
    """Cookies by hand: with DEBUG off they are Secure, which an http client would not send."""

    def __init__(self, server, headers=()):
        self.server, self.headers, self.cookies = server, list(headers), {}

    def request(self, method, path, form=None):
        headers = [("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())),
                   *self.headers]
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form).encode()
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        answer = send(self.server, method, path, headers, body)
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, value = re.match(r"([^=]+)=([^;]*)", cookie).groups()
            self.cookies[name] = value
        return answer

    def paste(self, token):
        assert self.request("GET", "/auth/token").status == 200  # the CSRF cookie
        return self.request("POST", "/auth/token", {"token": token})


# -- the token page: what is never kept ------------------------------------------------------

def test_dpop_bound_token_is_refused_on_the_token_page_with_the_reason(allowed, signing_key):
    browser = Browser(allowed)
    answer = browser.paste(mint(signing_key, cnf={"jkt": DPoPKey().thumbprint()}))
    assert answer.status == 400
    assert SENDER_CONSTRAINED in answer.body
    assert json.loads(browser.request("GET", "/api/private").body) == UNAUTHORIZED


def test_certificate_bound_token_is_refused_on_the_token_page_even_with_its_certificate(
        allowed, signing_key):
    cert = Certificate("browser")
    browser = Browser(allowed, [("Client-Cert", cert.rfc9440)])
    answer = browser.paste(mint(signing_key, cnf={"x5t#S256": cert.thumbprint}))
    assert answer.status == 400, answer.body[:300]
    assert SENDER_CONSTRAINED in answer.body
    assert json.loads(browser.request("GET", "/api/private").body) == UNAUTHORIZED


def test_bearer_token_pasted_while_dpop_is_required_is_refused_with_the_reason(required,
                                                                                signing_key):
    browser = Browser(required)
    answer = browser.paste(mint(signing_key))
    assert answer.status == 400
    assert b"DPoP is required" in answer.body
    assert b"a browser session cannot send proofs" in answer.body


# -- requests Django cannot read: JSON 400, a WARNING, no traceback ---------------------------

AUTH = pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "with-token"])


def maybe_token(with_token, signing_key):
    return bearer(mint(signing_key)) if with_token else []


@AUTH
@pytest.mark.parametrize("path", ["/api/private", "/api/feed", "/api/docs", "/api/schema",
                                  "/auth/token"])
def test_a_thousand_and_one_query_parameters(allowed, signing_key, with_token, path):
    answer = send(allowed, "GET", f"{path}?{MANY}", maybe_token(with_token, signing_key))
    json_error(answer, 400, TOO_MANY)
    assert answer.challenge is None


FORM = ("Content-Type", "application/x-www-form-urlencoded")
BODIES = {
    # kind: (headers, body, answer)
    "too-many-fields": ([FORM], MANY.encode(), TOO_MANY),
    "over-the-cap": ([FORM, ("Content-Length", str(3_000_000))], None, TOO_BIG),
    "broken-multipart": ([("Content-Type", "multipart/form-data")],  # no boundary
                         b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nx", BAD_MULTIPART),
}


@AUTH
@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_body_django_cannot_read_on_the_token_page(allowed, signing_key, with_token, kind):
    # CSRF reads the POST body of a Django view (for the form's CSRF token) once the CSRF
    # cookie is there: the token page reads it, token or not.
    answer = post_to_the_token_page(allowed, kind, maybe_token(with_token, signing_key))
    json_error(answer, 400, BODIES[kind][2])


def post_to_the_token_page(server, kind, extra_headers=()):
    """POST a body of ``kind`` to the token page, with the CSRF cookie of a visit before."""
    browser = Browser(server)
    assert browser.request("GET", "/auth/token").status == 200
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    headers, body, _ = BODIES[kind]
    return send(server, "POST", "/auth/token", [("Cookie", cookie), *extra_headers, *headers],
                body)


@pytest.mark.parametrize("kind", ["too-many-fields", "over-the-cap"])
def test_a_form_body_django_cannot_read_beside_a_token(allowed, signing_key, kind):
    # A token in the header: the form body is read for a second token (RFC 6750 section 2).
    headers, body, answer = BODIES[kind]
    json_error(send(allowed, "POST", "/api/private",
                    [*bearer(mint(signing_key)), *headers], body), 400, answer)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_body_nothing_reads_is_not_judged(allowed, kind):
    # No credential and a route that reads no body: the answer is the route's (401), without
    # parsing a body no one asked for.
    headers, body, _ = BODIES[kind]
    answer = send(allowed, "POST", "/api/private", headers, body)
    json_error(answer, 401, UNAUTHORIZED)
    assert answer.challenge == f'Bearer realm="api", {DPOP}'


@AUTH
@pytest.mark.parametrize("path", ["/api/private", "/api/docs", "/api/schema", "/auth/token"])
def test_host_outside_allowed_hosts(allowed, signing_key, with_token, path):
    json_error(send(allowed, "GET", path, maybe_token(with_token, signing_key),
                    host="evil.example"), 400, BAD_HOST)


def test_client_errors_are_logged_as_warnings_without_traceback(allowed):
    send(allowed, "GET", f"/api/public?{MANY}")
    send(allowed, "GET", "/api/public", host="evil.example")
    for kind in ("over-the-cap", "broken-multipart"):
        assert post_to_the_token_page(allowed, kind).status == 400
    warnings = [e for e in log_entries(allowed) if e.get("level") == "WARNING"
                and e.get("logger", "").startswith("django.security")]
    assert {e["logger"] for e in warnings} >= {
        "django.security.TooManyFieldsSent", "django.security.DisallowedHost",
        "django.security.RequestDataTooBig", "django.security.MultiPartParserError"}
    assert_no_error_logged(allowed)


# -- the schema and docs pages answer errors in JSON -----------------------------------------

@pytest.mark.parametrize("path", ["/api/docs", "/api/schema"])
def test_schema_and_docs_errors_are_json(allowed, path):
    answer = send(allowed, "POST", path)
    json_error(answer, 405, {"error": "method_not_allowed",
                             "message": 'Method "POST" not allowed.'})
    json_error(send(allowed, "GET", f"{path}/nothing-here"), 404,
               {"error": "not_found", "message": "Not found"})


# -- DPoP htu against the raw request target --------------------------------------------------

@pytest.fixture
def bound(signing_key):
    key = DPoPKey()
    return key, mint(signing_key, cnf={"jkt": key.thumbprint()}, org_id="org_123")


def dpop_get(server, key, token, target, htu_path):
    proof = key.proof(htu=f"http://127.0.0.1:{server.port}{htu_path}", access_token=token)
    return send(server, "GET", target, [("Authorization", f"DPoP {token}"), ("DPoP", proof)])


@pytest.mark.parametrize("segment", ["org%3B123", "org%40123", "org%25123", "org;123"])
def test_a_proof_for_the_path_as_sent_is_accepted(allowed, bound, segment):
    key, token = bound
    answer = dpop_get(allowed, key, token, f"/api/org/{segment}", f"/api/org/{segment}")
    assert answer.status == 200, answer.body


@pytest.mark.parametrize("sent, proved", [("org%3B123", "org;123"), ("org;123", "org%3B123"),
                                          ("org_123%3Fx", "org_123"),
                                          ("org%40123", "org@123")])
def test_a_proof_for_another_spelling_of_the_path_is_refused(allowed, bound, sent, proved):
    key, token = bound
    answer = dpop_get(allowed, key, token, f"/api/org/{sent}", f"/api/org/{proved}")
    json_error(answer, 401, {"error": "invalid_dpop_proof",
                             "message": "DPoP proof 'htu' does not match the request URI"})


def test_a_non_text_dpop_header_is_invalid_dpop_proof_without_error_log(allowed, bound):
    _, token = bound
    answer = send(allowed, "GET", "/api/private", [("Authorization", f"DPoP {token}"),
                                                   ("DPoP", b"\xff\xfe\x80proof")])
    assert answer.status == 401, answer.body
    assert answer.json()["error"] == "invalid_dpop_proof"
    assert answer.challenge.startswith('Bearer realm="api", DPoP error="invalid_dpop_proof"')
    assert_no_error_logged(allowed)


# -- bearer tokens and their spelling ----------------------------------------------------------

def test_dpop_bound_token_as_bearer_is_refused_with_dpop_off(dpop_off, bound):
    _, token = bound
    answer = send(dpop_off, "GET", "/api/private", bearer(token))
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    json_error(answer, 401, {"error": "invalid_token", "message": message})
    assert answer.challenge == (f'Bearer realm="api", error="invalid_token", '
                                f'error_description="{message}"')


@pytest.mark.parametrize("server_name", ["allowed", "dpop_off"])
@pytest.mark.parametrize("name", ["access%5Ftoken", "access_%74oken", "access_token"])
def test_a_query_token_beside_a_header_is_400_whatever_its_spelling(request, signing_key,
                                                                   server_name, name):
    server = request.getfixturevalue(server_name)
    token = mint(signing_key)
    answer = send(server, "GET", f"/api/private?{name}={token}", bearer(token))
    json_error(answer, 400, {"error": "invalid_request",
                             "message": "Token sent by more than one method"})


@pytest.mark.parametrize("separator", ["\t", "\u00a0"], ids=["tab", "nbsp"])
def test_a_tab_or_nbsp_after_the_scheme_is_400(allowed, signing_key, separator):
    header = f"Bearer{separator}{mint(signing_key)}".encode("latin-1")
    answer = send(allowed, "GET", "/api/private", [("Authorization", header)])
    message = "Authorization header: the Bearer scheme must be followed by a space"
    json_error(answer, 400, {"error": "invalid_request", "message": message})
    assert answer.challenge == (f'Bearer realm="api", error="invalid_request", '
                                f'error_description="{message}", {DPOP}')


def test_scope_is_split_on_spaces_only(allowed, signing_key):
    ok = send(allowed, "GET", "/api/private-scoped",
              bearer(mint(signing_key, scope="openid read:messages")))
    assert ok.status == 200, ok.body
    answer = send(allowed, "GET", "/api/private-scoped",
                  bearer(mint(signing_key, scope="openid\tread:messages")))
    assert answer.status == 403
    assert answer.json() == {"error": "insufficient_scope", "message": "Insufficient scope",
                             "required_scopes": ["read:messages"]}


@pytest.mark.parametrize("claim", ["jti", "client_id"])
def test_a_numeric_jti_or_client_id_is_401(allowed, signing_key, claim):
    answer = send(allowed, "GET", "/api/private", bearer(mint(signing_key, **{claim: 42})))
    json_error(answer, 401, {"error": "invalid_token",
                             "message": f"Claim '{claim}' must be a string"})


@pytest.mark.parametrize("payload", [
    b'{"iss":"%s","aud":"%s","sub":"\\ud800","exp":%d}',
    b'{"iss":"%s","aud":"%s","sub":"a","scope":"read\\udfff","exp":%d}'], ids=["sub", "scope"])
def test_a_lone_surrogate_in_a_claim_is_401_not_500(allowed, signing_key, payload):
    token = rs_signed(signing_key, {"alg": "RS256", "typ": "JWT", "kid": "key-1"},
                      payload % (ISSUER.encode(), AUDIENCE.encode(), NOW + 3600))
    answer = send(allowed, "GET", "/api/private", bearer(token))
    json_error(answer, 401, {"error": "invalid_token", "message": "Malformed token: payload "
                             "contains a string that is not valid Unicode"})


def test_a_jwks_key_with_private_members_but_no_d_is_ignored(allowed, other_key):
    token = mint(other_key)  # kid key-2: published with p, q, dp, dq, qi
    json_error(send(allowed, "GET", "/api/private", bearer(token)), 401,
               {"error": "invalid_token", "message": "Token signing key is not known"})


def test_a_quote_or_backslash_in_error_description_is_escaped(allowed, signing_key):
    answer = send(allowed, "GET", "/quoted", bearer(mint(signing_key)))
    assert answer.status == 403
    assert answer.json() == {"error": "insufficient_scope", "message": QUOTED_MESSAGE,
                             "required_scopes": ["read:reports"]}
    assert answer.challenge == (
        'Bearer realm="api", error="insufficient_scope", error_description="Needs the '
        '\\"reader\\" role \\\\ ask an admin", scope="read:reports", ' + DPOP)


def test_no_server_logged_an_error(allowed, required, dpop_off):
    for server in (allowed, required, dpop_off):
        assert_no_error_logged(server)
