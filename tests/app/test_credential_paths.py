"""One line of defence: every way a credential arrives gets the same answer for the same token.

For each token of the hostile corpus (the classes of ``test_hostile_tokens.py``, built with
``tests/hostile.py``, plus sender-constrained tokens and the contract gaps) and each DPoP mode,
the token is sent in the ``Authorization`` header, as ``?access_token=``, in a form body and as
the session-held token (planted in the server-side session store, as the token page would
have kept it before the rules changed). Every path must give the header's status, body and
challenge, and write the same security log line (event, reason, status, kid, sub).
"""
import logging
import time
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.backends.file import SessionStore

from auth0_jwt._drf.credentials import SESSION_KEY
from tests.dpop_client import DPoPKey
from tests.hostile import (Verbatim, eddsa_signed, es256_signed, hmac_signed, ps256_signed,
                           public_key_forms, respell, rs_signed, unsigned)
from tests.keys import b64url, claims
from tests.leak_guard import client, leak_guard  # noqa: F401  (every test is a leak test)


MODES = ("off", "allowed", "required")
PATHS = ("query", "form", "session")
WHOAMI = "/test/whoami"
LOG_FIELDS = ("event", "reason", "status", "kid", "sub")


def header(**changes):
    value = {"alg": "RS256", "typ": "JWT", "kid": "key-1", **changes}
    return {k: v for k, v in value.items() if v is not ...}


def payload(**changes):
    value = {**claims(), **changes}
    return {k: v for k, v in value.items() if v is not ...}


def with_segment(token, index, value):
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


NOW = int(time.time())
SURROGATE_SUB = (b'{"iss":"https://tenant.test.example/","aud":"https://api.test.example",'
                 b'"sub":"\\ud800","exp":%d}' % (NOW + 3600))
SURROGATE_SCOPE = (b'{"iss":"https://tenant.test.example/","aud":"https://api.test.example",'
                   b'"sub":"a","scope":"read\\udfff","exp":%d}' % (NOW + 3600))
X5T = "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"


def signed(key, hdr=None, **claim_changes):
    return rs_signed(key, header() if hdr is None else hdr, payload(**claim_changes))


def respelled(token):
    signature = token.split(".")[2]
    return with_segment(token, 2, respell(signature) if len(signature) % 4 in (2, 3)
                        else signature + "A")


# Token class -> build(key, other_key, good_token). One per class of the hostile suites.
CORPUS = {
    "valid": lambda k, o, good: good,
    "valid-scoped": lambda k, o, good: signed(k, scope="read:messages admin:access"),
    "valid-scope-with-a-tab-is-one-scope": lambda k, o, good: signed(
        k, scope="read:messages\twrite"),
    "alg-none": lambda k, o, good: unsigned(header(alg="none"), payload()),
    "alg-none-genuine-signature": lambda k, o, good: ".".join(
        [unsigned(header(alg="none"), {}).split(".")[0], *good.split(".")[1:]]),
    "hs256-keyed-with-public-pem": lambda k, o, good: hmac_signed(
        public_key_forms(k)["pem-spki"], header(alg="HS256"), payload()),
    "hs256-keyed-with-public-der": lambda k, o, good: hmac_signed(
        public_key_forms(k)["der-spki"], header(alg="HS256"), payload()),
    "rs384-outside-allowlist": lambda k, o, good: rs_signed(k, header(alg="RS384"), payload(),
                                                            "RS384"),
    "ps256": lambda k, o, good: ps256_signed(k, header(alg="PS256"), payload()),
    "es256": lambda k, o, good: es256_signed(header(alg="ES256"), payload()),
    "eddsa": lambda k, o, good: eddsa_signed(header(alg="EdDSA"), payload()),
    "alg-list": lambda k, o, good: signed(k, header(alg=["RS256"])),
    "no-kid": lambda k, o, good: signed(k, header(kid=...)),
    "kid-number": lambda k, o, good: signed(k, header(kid=1)),
    "unknown-kid": lambda k, o, good: signed(k, header(kid="key-999")),
    "kid-with-crlf": lambda k, o, good: signed(k, header(kid="key-1\r\nX-Injected: yes")),
    "signed-by-another-key": lambda k, o, good: rs_signed(o, header(), payload()),
    "jku-to-attacker": lambda k, o, good: rs_signed(
        o, header(jku="http://127.0.0.1:9/jwks.json"), payload()),
    "embedded-jwk": lambda k, o, good: rs_signed(o, header(jwk=o.jwk(kid="key-1")), payload()),
    "x5c": lambda k, o, good: rs_signed(o, header(x5c=[b64url(b"\x30\x82" + b"\x00" * 64)]),
                                        payload()),
    "crit": lambda k, o, good: signed(k, header(crit=["exp"])),
    "respelled-signature": lambda k, o, good: respelled(good),
    "standard-alphabet": lambda k, o, good: good[:-1] + "+",
    "padded-signature": lambda k, o, good: good + "==",
    "padding-inside": lambda k, o, good: with_segment(good, 0, good.split(".")[0] + "=="),
    "trailing-dot": lambda k, o, good: good + ".",
    "trailing-space-junk": lambda k, o, good: good + " junk",
    "trailing-tab-junk": lambda k, o, good: good + "\tjunk",
    "trailing-nul": lambda k, o, good: good + "\x00",
    "trailing-non-ascii": lambda k, o, good: good + "\u00e9",
    "space-inside": lambda k, o, good: good[:40] + " " + good[40:],
    "scheme-pasted-twice": lambda k, o, good: "Bearer " + good,
    "empty": lambda k, o, good: "",
    "header-not-json": lambda k, o, good: rs_signed(k, b"not json", payload()),
    "header-duplicate-alg": lambda k, o, good: rs_signed(
        k, b'{"alg":"none","alg":"RS256","kid":"key-1"}', payload()),
    "payload-not-json": lambda k, o, good: rs_signed(k, header(), b"not json"),
    "payload-duplicate-sub": lambda k, o, good: rs_signed(
        k, header(), b'{"sub":"auth0|user-1","sub":"admin"}'),
    "payload-deeply-nested": lambda k, o, good: rs_signed(
        k, header(), b'{"a":' * 1500 + b"1" + b"}" * 1500),
    "two-segments": lambda k, o, good: "e30.e30",
    "jwe-five-segments": lambda k, o, good: ".".join(
        [good.split(".")[0], b64url(b"k" * 256), b64url(b"iv" * 6), b64url(b"\x00" * 100),
         b64url(b"t" * 16)]),
    "empty-signature": lambda k, o, good: with_segment(good, 2, ""),
    "garbage-signature": lambda k, o, good: with_segment(good, 2, b64url(b"\x00" * 256)),
    "signature-of-another-token": lambda k, o, good: with_segment(
        signed(k, sub="admin"), 2, good.split(".")[2]),
    "too-large": lambda k, o, good: "eyJhbGciOiJSUzI1NiJ9." + "A" * 20_000 + ".AAAA",
    "expired": lambda k, o, good: signed(k, exp=NOW - 10),
    "not-yet-valid": lambda k, o, good: signed(k, nbf=NOW + 3600),
    "issued-in-the-future": lambda k, o, good: signed(k, iat=NOW + 3600),
    "no-exp": lambda k, o, good: signed(k, exp=...),
    "exp-a-string": lambda k, o, good: signed(k, exp="soon"),
    "wrong-audience": lambda k, o, good: signed(k, aud="https://other.example"),
    "wrong-issuer": lambda k, o, good: signed(k, iss="https://evil.example/"),
    "no-sub": lambda k, o, good: signed(k, sub=...),
    "sub-a-number": lambda k, o, good: signed(k, sub=123),
    "scope-a-list": lambda k, o, good: signed(k, scope=["read:messages"]),
    "permissions-a-string": lambda k, o, good: signed(k, permissions="admin:access"),
    "jti-a-number": lambda k, o, good: signed(k, jti=42),
    "client-id-a-number": lambda k, o, good: signed(k, client_id=7),
    "lone-surrogate-in-sub": lambda k, o, good: rs_signed(k, header(),
                                                          Verbatim(b64url(SURROGATE_SUB))),
    "lone-surrogate-in-scope": lambda k, o, good: rs_signed(k, header(),
                                                            Verbatim(b64url(SURROGATE_SCOPE))),
    "dpop-bound": lambda k, o, good: signed(k, cnf={"jkt": DPoPKey().thumbprint()}),
    "certificate-bound": lambda k, o, good: signed(k, cnf={"x5t#S256": X5T}),
    "bound-both-ways": lambda k, o, good: signed(
        k, cnf={"jkt": DPoPKey().thumbprint(), "x5t#S256": X5T}),
    "cnf-not-an-object": lambda k, o, good: signed(k, cnf="bound"),
    "cnf-jkt-not-a-string": lambda k, o, good: signed(k, cnf={"jkt": 42}),
    "cnf-unknown-method": lambda k, o, good: signed(k, cnf={"jwk": {"kty": "EC"}}),
    "cnf-empty": lambda k, o, good: signed(k, cnf={}),
}


@pytest.fixture(scope="module")
def tokens(signing_key, other_key):
    good = signed(signing_key)
    return {name: build(signing_key, other_key, good) for name, build in CORPUS.items()}


@pytest.fixture
def use_mode(configure):
    """DPoP mode ``dpop_mode``, with every credential path switched on."""

    def apply(dpop_mode):
        configure(DPOP_MODE=dpop_mode, ALLOW_QUERY_TOKEN=True, ALLOW_FORM_TOKEN=True,
                  SESSION_TOKEN=True)

    return apply


@pytest.fixture
def send(client, settings, tmp_path, caplog):
    """``send(path, token)`` -> ``(status, body, challenge, log line)`` for one request."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    settings.SESSION_FILE_PATH = str(tmp_path)
    caplog.set_level(logging.INFO, logger="auth0_jwt.security")

    def send(path, token):
        caplog.clear()
        client.cookies.clear()
        if path == "header":
            response = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}")
        elif path == "query":
            response = client.get(WHOAMI, {"access_token": token})
        elif path == "form":
            response = client.post(WHOAMI, urlencode({"access_token": token}),
                                   content_type="application/x-www-form-urlencoded")
        else:
            response = client.get(WHOAMI, HTTP_COOKIE=f"sessionid={plant(token)}")
        return (response.status_code, response.json(), response.get("WWW-Authenticate"),
                log_line(caplog))

    return send


def plant(token):
    """A server-side session holding ``token``, as the token page keeps one; its key."""
    session = SessionStore()
    session[SESSION_KEY] = token
    session.save()  # a new key, written to the file store
    return session.session_key


def log_line(caplog):
    records = [r for r in caplog.records if r.name == "auth0_jwt.security"]
    assert len(records) <= 1, [r.__dict__ for r in records]
    return {k: getattr(records[0], k) for k in LOG_FIELDS if hasattr(records[0], k)} if (
        records) else None


@pytest.mark.parametrize("dpop_mode", MODES)
@pytest.mark.parametrize("token_class", CORPUS)
def test_every_path_answers_a_token_as_the_header_does(send, use_mode, tokens, token_class,
                                                       dpop_mode):
    use_mode(dpop_mode)
    token = tokens[token_class]
    expected = send("header", token)
    assert expected[0] in (200, 400, 401), expected
    for path in PATHS:
        assert send(path, token) == expected, (path, token_class, dpop_mode)


def test_corpus_reaches_acceptance_and_each_kind_of_refusal(send, use_mode, tokens):
    """The property above is only worth something if the corpus reaches each outcome."""
    use_mode("off")
    outcomes = {send("header", tokens[name])[1].get("error", "ok") for name in tokens}
    assert outcomes == {"ok", "invalid_request", "invalid_token"}


def test_stolen_dpop_bound_token_never_works_from_a_session(send, use_mode, tokens):
    for dpop_mode in MODES:
        use_mode(dpop_mode)
        status, body, _, line = send("session", tokens["dpop-bound"])
        assert status == 401 and line["reason"] == "invalid_token", body
    use_mode("off")
    assert send("session", tokens["valid"])[0] == 200


def test_plain_bearer_token_is_refused_from_a_session_when_dpop_is_required(send, use_mode,
                                                                            tokens):
    use_mode("required")
    status, body, challenge, _ = send("session", tokens["valid"])
    message = "DPoP is required: send a DPoP-bound token with the DPoP scheme and a DPoP proof"
    assert (status, body) == (401, {"error": "invalid_token", "message": message})
    assert challenge == (f'DPoP error="invalid_token", error_description="{message}", '
                         'algs="ES256 PS256 RS256"')
