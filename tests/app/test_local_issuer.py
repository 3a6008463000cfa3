"""The local issuer: its key file, its key source, and that it only ever runs with DEBUG on."""
import os
import stat
import threading

import pytest
from django.core.checks import run_checks

from auth0_jwt._dev.local_issuer import (LOCAL_AUDIENCE, LOCAL_ISSUER, LocalIssuer, LocalKeyError,
                                    load_or_create_key, public_jwk)
from tests.keys import mint
from tests.expected import and_dpop


def private(client, token):
    return client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")


def check_ids(*prefixes):
    return sorted(m.id for m in run_checks() if m.id.startswith(prefixes))


def test_key_file_is_created_owner_only_and_reused(tmp_path):
    path = tmp_path / "nested" / "issuer-key.pem"
    first = LocalIssuer(path)
    kid = first.kid
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert LocalIssuer(path).kid == kid  # same file, same key, same kid
    assert [p.name for p in path.parent.iterdir()] == ["issuer-key.pem"]  # no temp file left


def test_two_starts_creating_the_key_at_once_end_with_one_key(tmp_path):
    path = tmp_path / "issuer-key.pem"
    barrier, keys = threading.Barrier(2), []

    def create():
        barrier.wait()
        keys.append(public_jwk(load_or_create_key(path)))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(keys) == 2 and keys[0] == keys[1]


def test_key_file_readable_by_others_is_refused(tmp_path, local_key_file):
    path = tmp_path / "issuer-key.pem"
    path.write_bytes(local_key_file.read_bytes())
    path.chmod(0o644)
    with pytest.raises(LocalKeyError, match=r"readable by other users; run: chmod 600"):
        load_or_create_key(path)


def test_unusable_key_file_stops_startup_with_its_name(local_settings, tmp_path):
    path = tmp_path / "issuer-key.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "LOCAL_ISSUER_KEY_FILE": str(path)}
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E018"]
    assert str(path) in message.msg and "is not a PEM RSA private key" in message.msg


def test_local_token_is_verified_like_a_tenant_token(local_settings, client, local_token):
    response = private(client, local_token(sub="local|alice"))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "local|alice"
    assert check_ids("auth0_jwt.") == []


def test_local_token_for_another_audience_is_401(local_settings, client, local_token):
    response = private(client, local_token(aud="https://other-api.example"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Unexpected 'aud' value"}
    assert response["WWW-Authenticate"] == (and_dpop('Bearer realm="api", error="invalid_token", '
                                            'error_description="Unexpected \'aud\' value"'))


def test_token_signed_by_another_key_with_the_local_kid_is_401(local_settings, client,
                                                                local_issuer, signing_key):
    header = {"alg": "RS256", "typ": "at+jwt", "kid": local_issuer.kid}
    token = mint(signing_key, header=header, iss=LOCAL_ISSUER, aud=LOCAL_AUDIENCE)
    response = private(client, token)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Invalid token signature"}


def test_token_with_an_unknown_kid_is_401(local_settings, client, signing_key):
    response = private(client, mint(signing_key, iss=LOCAL_ISSUER, aud=LOCAL_AUDIENCE))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Token signing key is not known"}


def test_local_issuer_with_debug_off_refuses_to_start_and_rejects_local_tokens(
        local_settings, client, local_token):
    local_settings.DEBUG = False
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E016"]
    assert message.msg == ("AUTH0_JWT['LOCAL_ISSUER'] is on but DEBUG is off: the local issuer "
                           "is for development only; set a tenant instead.")
    assert message.hint == "Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com"
    response = private(client, local_token())
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "message": "Token signing key is not trusted: no issuer is configured"}


def test_switching_debug_off_drops_the_local_key_at_once(local_settings, client, local_token):
    token = local_token()
    assert private(client, token).status_code == 200  # the verifier is built and cached
    local_settings.DEBUG = False
    assert private(client, token).status_code == 401


def test_no_tenant_with_debug_off_names_auth0_domain_and_rejects_local_tokens(
        settings, client, local_token):
    settings.DEBUG = False
    settings.AUTH0_JWT = {"LOCAL_ISSUER": False}
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E003"]
    assert message.msg == ("AUTH0_JWT['DOMAIN'] is not set (nor ISSUER), so no token can be "
                           "trusted (the local issuer only runs with DEBUG on).")
    assert message.hint == "Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com"
    response = private(client, local_token())
    assert response.status_code == 401
    assert response.json()["message"] == "Token signing key is not trusted: no issuer is configured"


def test_no_tenant_with_debug_on_points_at_local_issuer_not_at_debug(settings):
    # DEBUG is already on in a new project: the way to develop without a tenant is LOCAL_ISSUER.
    settings.DEBUG = True
    settings.AUTH0_JWT = {"AUDIENCE": "https://a"}
    [message] = [m for m in run_checks() if m.id == "auth0_jwt.E003"]
    assert message.msg == ("AUTH0_JWT['DOMAIN'] is not set (nor ISSUER), so no token can be "
                           "trusted (to develop without a tenant, set LOCAL_ISSUER to True: "
                           "DEBUG only).")
    assert message.hint == "Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com"


def test_local_issuer_beside_a_tenant_is_a_configuration_error(local_settings):
    local_settings.AUTH0_JWT = {**local_settings.AUTH0_JWT, "DOMAIN": "dev-abc123.us.auth0.com"}
    assert "auth0_jwt.E017" in check_ids("auth0_jwt.")


def test_setting_a_tenant_removes_the_local_issuer(local_settings, client, local_token,
                                                   jwks_server):
    local_settings.AUTH0_JWT = {"ISSUER": "https://tenant.test.example/",
                                "AUDIENCE": LOCAL_AUDIENCE, "JWKS_URL": jwks_server.url}
    response = private(client, local_token())
    assert response.status_code == 401
    assert response.json()["message"] == "Token signing key is not known"
