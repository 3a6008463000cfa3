"""auth0_jwt/_ops/audit.py: one security-log line per refused request, with the facts and never
the token."""
import logging

import pytest

from tests.keys import mint

SECURITY = "auth0_jwt.security"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)

    def records():
        return [r for r in caplog.records if r.name == SECURITY]

    return records


def fields(record):
    keys = ("event", "reason", "status", "method", "route", "kid", "sub", "client_ip")
    return {key: getattr(record, key) for key in keys if hasattr(record, key)}


def test_expired_token_logs_reason_route_kid_sub_and_client_ip(api, token, security_log, caplog):
    expired = token(exp=1_000_000_000, iat=999_999_000)
    assert api("/private", expired).status_code == 401
    [record] = security_log()
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "authentication failed"
    # The signature held, so the sub is the issuer's and is logged.
    assert fields(record) == {"event": "authentication_failed", "reason": "token_expired",
                              "status": 401, "method": "GET", "route": "/private",
                              "kid": "key-1", "sub": "auth0|user-1", "client_ip": "127.0.0.1"}
    assert expired not in caplog.text
    assert expired.split(".")[2] not in caplog.text


def test_forged_token_logs_kid_but_not_the_unverified_sub(api, other_key, security_log):
    forged = mint(other_key, header={"alg": "RS256", "kid": "key-1"}, sub="admin|forged")
    assert api("/private", forged).status_code == 401
    [record] = security_log()
    assert fields(record) == {"event": "authentication_failed", "reason": "invalid_signature",
                              "status": 401, "method": "GET", "route": "/private",
                              "kid": "key-1", "client_ip": "127.0.0.1"}


def test_missing_credentials_log_at_info(api, security_log):
    assert api("/private").status_code == 401
    [record] = security_log()
    assert record.levelno == logging.INFO
    assert fields(record)["reason"] == "credentials_missing"
    assert "kid" not in fields(record)


def test_malformed_header_logs_invalid_request(client, auth0_settings, security_log):
    response = client.get("/private", HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 400
    [record] = security_log()
    assert fields(record)["reason"] == "invalid_request"


def test_unknown_kid_is_cut_and_escaped(api, signing_key, security_log, caplog):
    kid = "x\n" + "k" * 200
    assert api("/private", mint(signing_key, header={"alg": "RS256", "kid": kid})
               ).status_code == 401
    [record] = security_log()
    assert record.reason == "unknown_signing_key"
    assert record.kid == "x?" + "k" * 62 + "..."


def test_missing_scope_is_an_authorization_denial_with_the_sub(api, token, security_log):
    assert api("/private-scoped", token(scope="openid")).status_code == 403
    [record] = security_log()
    assert fields(record) == {"event": "authorization_denied", "reason": "insufficient_scope",
                              "status": 403, "method": "GET", "route": "/private-scoped",
                              "sub": "auth0|user-1", "client_ip": "127.0.0.1"}


def test_unavailable_signing_keys_are_logged(api, token, jwks_server, security_log):
    jwks_server.status = 503
    assert api("/private", token()).status_code == 503
    [record] = security_log()
    assert (record.reason, record.status, record.kid) == ("signing_keys_unavailable", 503, "key-1")


def test_client_ip_comes_from_the_proxy_header_only_when_configured(api, token, configure,
                                                                      security_log):
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    api("/private", **forwarded)
    configure(CLIENT_IP_HEADER="X-Forwarded-For")
    api("/private", **forwarded)
    # The last entry is the one our proxy added; the ones before it are the client's word.
    assert [r.client_ip for r in security_log()] == ["127.0.0.1", "203.0.113.7"]


def test_successful_and_public_requests_log_nothing(api, token, security_log):
    assert api("/private", token()).status_code == 200
    assert api("/public").status_code == 200
    assert api("/nowhere").status_code == 404
    assert security_log() == []


# -- DPoP refusals (RFC 9449) ----------------------------------------------------------------

DPOP_URL = "http://testserver/private"


@pytest.fixture
def dpop_call(client, configure, signing_key):
    from tests.dpop_client import DPoPKey

    configure(DPOP_MODE="allowed")
    key = DPoPKey()
    token = mint(signing_key, cnf={"jkt": key.thumbprint()})

    def call(proof):
        return client.get("/private", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)

    return key, token, call


def test_replayed_dpop_proof_logs_its_reason_with_the_verified_sub(dpop_call, security_log,
                                                                   caplog):
    key, token, call = dpop_call
    proof = key.proof(htu=DPOP_URL, access_token=token)
    assert call(proof).status_code == 200
    assert call(proof).status_code == 401
    [record] = security_log()
    assert fields(record) == {"event": "authentication_failed", "reason": "replayed_dpop_proof",
                              "status": 401, "method": "GET", "route": "/private",
                              "kid": "key-1", "sub": "auth0|user-1", "client_ip": "127.0.0.1"}
    assert token not in caplog.text and proof not in caplog.text


def test_dpop_proof_for_another_url_logs_invalid_dpop_proof(dpop_call, security_log):
    key, token, call = dpop_call
    assert call(key.proof(htu="http://testserver/admin", access_token=token)
                ).status_code == 401
    [record] = security_log()
    assert (record.reason, record.sub) == ("invalid_dpop_proof", "auth0|user-1")
