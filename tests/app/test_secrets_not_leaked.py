"""No token, signature or key material in any log record or response.

Each scenario replays a slice of the hostile suites (valid, hostile and oversized tokens,
malformed headers, JWKS faults whose bodies carry key material, a 500 from a view) while every
logger records at DEBUG; then every formatted record (traceback and ``extra`` fields included)
and every response body and header is searched for the secrets that were sent or served.
"""
import json
import logging

import pytest

from tests.hostile import hmac_signed, public_key_forms, unsigned
from tests.keys import claims, mint
from tests.leak_guard import (LOGGERS, assert_no_leaks, assert_nothing_leaked, key_material,
                              rendered_logs, rendered_response, token_material)

@pytest.fixture
def capture(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# -- scenarios: each returns (responses, secrets) --------------------------------------------

def valid_tokens(client, signing_key, other_key, jwks_server, configure):
    good = mint(signing_key, scope="read:messages")
    paths = ["/private", "/private-scoped", "/admin", "/org/org_9",
             "/roles", "/premium", "/feed", "/nowhere"]
    return [client.get(p, HTTP_AUTHORIZATION=f"Bearer {good}") for p in paths], [
        *token_material(good), *key_material(signing_key)]


def hostile_tokens(client, signing_key, other_key, jwks_server, configure):
    good = mint(signing_key)
    parts = good.split(".")
    tokens = [
        f"{parts[0]}.{parts[1]}.{parts[2][:-4]}AAAA",
        unsigned({"alg": "none", "kid": signing_key.kid}, claims()),
        hmac_signed(public_key_forms(signing_key)["pem-spki"],
                    {"alg": "HS256", "kid": signing_key.kid}, claims()),
        mint(signing_key, exp=1), mint(signing_key, aud="https://other.example"),
        mint(other_key), mint(other_key, header={"alg": "RS256", "kid": signing_key.kid}),
        mint(signing_key, pad="x" * 20_000),
        f"{good}.{parts[1]}",
    ]
    responses = [client.get("/private", HTTP_AUTHORIZATION=f"Bearer {t}") for t in tokens]
    responses += [client.get("/private", HTTP_AUTHORIZATION=f"Bearer {good} {good}"),
                  client.get("/private", HTTP_AUTHORIZATION=f"Bearer {good}\u00e9")]
    secrets = [s for t in tokens for s in token_material(t)] + token_material(good)
    return responses, secrets + key_material(signing_key) + key_material(other_key)


def query_tokens(client, signing_key, other_key, jwks_server, configure):
    configure(ALLOW_QUERY_TOKEN=True)
    good, bad = mint(signing_key), mint(signing_key, exp=1)
    responses = [client.get("/private", {"access_token": good}),
                 client.get("/private", {"access_token": bad}),
                 client.get("/private", {"access_token": [good, good]}),
                 client.get(f"/private?access_token={good}",
                            HTTP_AUTHORIZATION=f"Bearer {good}")]
    return responses, token_material(good) + token_material(bad)


def jwks_faults(client, signing_key, other_key, jwks_server, configure):
    configure(JWKS_REFETCH_COOLDOWN=0)
    good = mint(signing_key)
    document = json.dumps({"keys": [signing_key.jwk(), other_key.jwk()]})
    bodies = [
        document[:-20].encode(),  # truncated JSON holding both moduli
        (document + " " * 200_000).encode(),  # over the size cap
        b"<html>" + document.encode() + b"</html>",
        json.dumps({"keys": [signing_key.jwk(use="enc"), other_key.jwk(kid=None)]}).encode(),
        json.dumps({"keys": [signing_key.jwk(), signing_key.jwk(alg="RS256", e="AQAB")]}).encode(),
    ]
    responses = []
    for body in bodies:
        jwks_server.body = body
        responses.append(client.get("/private", HTTP_AUTHORIZATION=f"Bearer {good}"))
    jwks_server.body, jwks_server.status = None, 500
    responses.append(client.get("/private", HTTP_AUTHORIZATION=f"Bearer {good}"))
    assert {r.status_code for r in responses} == {503}
    return responses, token_material(good) + key_material(signing_key) + key_material(other_key)


def failing_view(client, signing_key, other_key, jwks_server, configure):
    good = mint(signing_key)
    response = client.get("/test/failing", HTTP_AUTHORIZATION=f"Bearer {good}")
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "message": "Internal Server Error"}
    return [response], token_material(good) + key_material(signing_key)


SCENARIOS = [valid_tokens, hostile_tokens, jwks_faults]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_no_token_signature_or_key_material_in_logs_or_responses(
        scenario, capture, client, api, signing_key, other_key, jwks_server, configure):
    responses, secrets = scenario(client, signing_key, other_key, jwks_server, configure)
    assert capture.records, "nothing was logged: the capture is not working"
    assert_nothing_leaked([rendered_logs(capture.records)]
                          + [rendered_response(r) for r in responses], secrets)


def test_query_tokens_leak_nothing_but_the_url_the_client_chose(
        capture, client, api, signing_key, other_key, jwks_server, configure, monkeypatch):
    """RFC 6750 5.3: a token in a URL is in every URL log. Our messages and responses carry
    none, but Django attaches the request (whose repr is the full path, query included) to
    its ``django.request`` records, and gunicorn's access log prints the request line: the
    reason ALLOW_QUERY_TOKEN is off by default (SECURITY.md)."""
    # Django's own records, as any LOGGING gets them (the project's only counts the 4xx).
    monkeypatch.setattr(logging.getLogger("django.request"), "filters", [])
    responses, secrets = query_tokens(client, signing_key, other_key, jwks_server, configure)
    assert_nothing_leaked([rendered_logs(capture.records, skip={"request"})]
                          + [rendered_response(r) for r in responses], secrets)
    reprs = [str(r.request) for r in capture.records if r.name == "django.request"]
    assert any(secrets[0] in text for text in reprs)


def test_a_500_after_authentication_leaks_nothing(capture, client, api, signing_key, other_key,
                                                 jwks_server, configure):
    responses, secrets = failing_view(client, signing_key, other_key, jwks_server, configure)
    logs = rendered_logs(capture.records)
    assert "RuntimeError" in logs and "Traceback" in logs  # the traceback is logged, in full
    assert_nothing_leaked([logs] + [rendered_response(r) for r in responses], secrets)


def test_the_leak_detector_finds_a_planted_token(signing_key):
    token = mint(signing_key)
    record = logging.makeLogRecord({"msg": "token %s", "args": (token.split(".")[2],)})
    with pytest.raises(AssertionError):
        assert_nothing_leaked([rendered_logs([record])], token_material(token))
    record = logging.makeLogRecord({"msg": "ok", "jwk": signing_key.jwk()})
    with pytest.raises(AssertionError):
        assert_nothing_leaked([rendered_logs([record])], key_material(signing_key))


def test_the_leak_guard_finds_a_token_a_request_carried(client, api, signing_key):
    token = mint(signing_key)
    response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")
    environ = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert_no_leaks([(environ, response)], [], [])  # the real answer carries nothing
    planted = logging.makeLogRecord({"msg": "debug %s", "args": (token.split(".")[1],)})
    with pytest.raises(AssertionError):
        assert_no_leaks([(environ, response)], [planted], [])
