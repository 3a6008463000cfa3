"""``manage.py mint_token``: its tokens verify through the API; bad arguments are one line."""
import base64
import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from tests.expected import and_dpop



def mint_token(*args):
    out, err = StringIO(), StringIO()
    call_command("mint_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def payload(token):
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def get(client, path, token):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_minted_token_gets_200_on_private_and_403_without_the_scope(local_settings, client):
    token, summary = mint_token("--sub", "local|alice")
    response = get(client, "/private", token)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "local|alice"
    response = get(client, "/private-scoped", token)
    assert response.status_code == 403
    assert response.json() == {"error": "insufficient_scope", "message": "Insufficient scope",
                               "required_scopes": ["read:messages"]}
    assert response["WWW-Authenticate"] == (
        and_dpop('Bearer realm="api", error="insufficient_scope", '
        'error_description="Insufficient scope", scope="read:messages"'))
    assert "issuer:   https://local-issuer.invalid/" in summary
    assert "audience: https://local-api.invalid" in summary


def test_scopes_and_json_claims_reach_the_permission_checks(local_settings, client):
    token, _ = mint_token("--scope", "read:messages admin:access", "--claim", "org_id=org_123",
                          "--claim", 'roles=["editor","viewer"]', "--claim", "verified=true",
                          "--claim", "subscription=premium")
    for path in ("/private-scoped", "/admin", "/org/org_123", "/roles",
                 "/premium"):
        assert get(client, path, token).status_code == 200, path
    claims = payload(token)
    assert claims["scope"] == "read:messages admin:access"
    assert claims["roles"] == ["editor", "viewer"] and claims["verified"] is True


def test_expires_in_sets_the_lifetime(local_settings):
    token, summary = mint_token("--expires-in", "15m")
    claims = payload(token)
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 5
    assert "(in 15m)" in summary


def test_token_alone_on_stdout_with_verbosity_zero(local_settings):
    token, summary = mint_token("--verbosity", "0")
    assert token.count(".") == 2 and "\n" not in token and summary == ""


@pytest.mark.parametrize("args, message", [
    (["--expires-in", "15x"], "--expires-in '15x' is not a duration; use e.g. 30s, 15m, 2h, 1d"),
    (["--expires-in", "0s"], "--expires-in '0s' must be between 1s and 365d"),
    (["--expires-in", "400d"], "--expires-in '400d' must be between 1s and 365d"),
    (["--claim", "org_id"], "--claim 'org_id' must look like name=value"),
    (["--claim", "=x"], "--claim '=x' must look like name=value"),
    (["--claim", "sub=bob"], "--claim sub=... is not allowed: use --sub"),
    (["--claim", "exp=1"], "--claim exp=... is not allowed: use --expires-in"),
    (["--claim", "roles=[1,"], "--claim roles: '[1,' looks like JSON but does not parse"),
    (["--claim", "a=1", "--claim", "a=2"], "--claim a is given more than once"),
    (["--sub", " "], "--sub must not be empty"),
])
def test_bad_arguments_are_a_command_error(local_settings, args, message):
    with pytest.raises(CommandError) as info:
        mint_token(*args)
    assert str(info.value).startswith(message)


def test_refuses_with_debug_off(local_settings):
    local_settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on; set DJANGO_DEBUG=true"):
        mint_token()


def test_refuses_when_a_tenant_is_configured(local_settings):
    local_settings.AUTH0_JWT = {"DOMAIN": "dev-abc123.us.auth0.com", "AUDIENCE": "https://a"}
    with pytest.raises(CommandError, match="a tenant is configured"):
        mint_token()


def test_refuses_with_no_tenant_and_local_issuer_off_naming_the_setting(local_settings):
    # A project of one's own: DEBUG on, no tenant, LOCAL_ISSUER left at its default. The
    # refusal must not claim a tenant is configured.
    local_settings.AUTH0_JWT = {"AUDIENCE": "https://a"}
    with pytest.raises(CommandError) as info:
        mint_token()
    assert str(info.value) == ("The local issuer is off: set AUTH0_JWT['LOCAL_ISSUER'] = True "
                               "(DEBUG only, no tenant) to mint local tokens")
