"""Every error response, whichever feature produced it, against the error table: exactly the
documented keys in the body, exactly the documented ``WWW-Authenticate``, and every ``error``
code one that docs/errors.md lists.

One sweep of requests through the whole stack (DRF views, Django views, the token page, the
health probes, the client-error middleware), in each DPoP mode.
"""
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.dpop_client import DPoPKey
from tests.keys import mint


ROOT = Path(__file__).resolve().parents[2]
ALGS = 'algs="ES256 PS256 RS256"'
# The keys beyond error/message that the table documents, per error code.
EXTRA_KEYS = {"insufficient_scope": {"required_scopes"}, "invalid_request": {"details"}}
MANY = "&".join(f"p{i}=1" for i in range(1001))
URL = "http://testserver/private"


def documented_codes():
    """Every backticked error code in the tables of docs/errors.md."""
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return set(re.findall(r"`([a-z_]+)`", "\n".join(rows)))


def challenge(mode, error=None, description=None, scope=None, scheme="Bearer"):
    """The table's header for ``mode``; the error attributes on ``scheme``."""
    params = []
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scope:
        params.append(f'scope="{scope}"')
    bearer = ", ".join(['realm="api"'] + (params if scheme == "Bearer" else []))
    dpop = ", ".join((params if scheme == "DPoP" or mode == "required" else []) + [ALGS])
    if mode == "off":
        return f"Bearer {bearer}"
    if mode == "required":
        return f"DPoP {dpop}"
    return f"Bearer {bearer}, DPoP {dpop}"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # a 500 is an answer here, not a failure


@pytest.fixture
def sweep(client, configure, signing_key, jwks_server, settings):
    """``sweep(mode)``: ``[(name, response, expected challenge or None)]`` of many errors."""
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sweep"}}

    def run(mode):
        configure(DPOP_MODE=mode, DPOP_NONCE_LIFETIME=None)
        key = DPoPKey()
        bound = mint(signing_key, cnf={"jkt": key.thumbprint()})
        scheme = "DPoP" if mode == "required" else "Bearer"
        good = bound if mode == "required" else mint(signing_key)

        def auth(token, **headers):
            if mode == "required":
                headers.setdefault("HTTP_DPOP", key.proof(htu=URL, access_token=token))
                return {"HTTP_AUTHORIZATION": f"DPoP {token}", **headers}
            return {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}

        def scoped_auth(token):
            if mode == "required":
                return {"HTTP_AUTHORIZATION": f"DPoP {token}", "HTTP_DPOP": key.proof(
                    htu="http://testserver/admin", access_token=token)}
            return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        expired = mint(signing_key, exp=1, **({"cnf": {"jkt": key.thumbprint()}}
                                              if mode == "required" else {}))
        answers = [
            ("no-credentials", client.get("/private"), challenge(mode)),
            ("other-scheme", client.get("/private", HTTP_AUTHORIZATION="Basic eDp5"),
             challenge(mode)),
            ("malformed-header", client.get("/private", HTTP_AUTHORIZATION="Bearer"),
             challenge(mode, "invalid_request", "Bearer token is missing")),
            ("expired", client.get("/private", **auth(expired)),
             challenge(mode, "invalid_token", "Token expired", scheme=scheme)),
            ("insufficient-scope", client.get("/admin", **scoped_auth(good)),
             challenge(mode, "insufficient_scope", "Insufficient scope", "admin:access",
                       scheme=scheme)),
            ("claim-check", client.get("/org/org_999", **(
                auth(good) if mode != "required" else {
                    "HTTP_AUTHORIZATION": f"DPoP {good}", "HTTP_DPOP": key.proof(
                        htu="http://testserver/org/org_999", access_token=good)})), None),
            ("not-found", client.get("/nothing-here"), None),
            ("method", client.post("/public"), None),
            ("bad-body", client.post("/test/echo", {"text": "x" * 50},
                                     content_type="application/json"), None),
            ("media-type", client.post("/test/echo", "text", content_type="text/plain"), None),
            ("too-many-fields", client.get(f"/public?{MANY}"), None),
            ("bad-host", client.get("/public", HTTP_HOST="evil.example"), None),
            ("server-error", client.get("/test/broken"), None),
            ("django-server-error", client.get("/test/broken-django"), None),
            ("page-off", client.post("/auth/token"), None),
        ]
        if mode != "off":
            answers.append(("bad-proof", client.get(
                "/private", HTTP_AUTHORIZATION=f"DPoP {bound}",
                HTTP_DPOP=key.proof(htu="http://testserver/elsewhere", access_token=bound)),
                challenge(mode, "invalid_dpop_proof",
                          "DPoP proof 'htu' does not match the request URI", scheme="DPoP")))
        jwks_server.status = 500
        configure(DPOP_MODE=mode, DPOP_NONCE_LIFETIME=None, JWKS_URL=jwks_server.url + "?down")
        answers.append(("keys-unavailable", client.get("/private", **auth(good)), None))
        answers.append(("not-ready", client.get("/readyz"), None))
        return answers

    return run


@pytest.mark.parametrize("mode", ["off", "allowed", "required"])
def test_every_error_has_the_documented_keys_codes_and_challenge(sweep, mode):
    codes = documented_codes()
    for name, response, expected_challenge in sweep(mode):
        assert response.status_code >= 400, name
        assert response["Content-Type"] == "application/json", name
        body = response.json()
        code = body.get("error")
        assert code in codes, f"{name}: '{code}' is not in docs/errors.md"
        assert isinstance(body.get("message"), str) and body["message"], name
        extra = set(body) - {"error", "message"}
        assert extra <= EXTRA_KEYS.get(code, set()), f"{name}: undocumented keys {extra}"
        if code == "insufficient_scope":
            assert extra == {"required_scopes"}, name
        if name == "bad-body":
            assert extra == {"details"}, name
        assert response.get("WWW-Authenticate") == expected_challenge, name
        if response.status_code == 503:
            assert int(response["Retry-After"]) >= 1, name

