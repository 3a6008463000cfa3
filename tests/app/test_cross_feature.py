"""Features that meet in the request path, attacked in pairs: does A's path skip B's checks?

Each test first makes the token pass under one feature (so that it sits in a verified-token
cache, a session, or a mode that accepts it), then presents it where another feature must
refuse it. Real JWKS servers on 127.0.0.1, real RSA and DPoP keys, the whole DRF stack.
"""
import time

import pytest
from rest_framework.response import Response

from tests.certs import Certificate
from tests.dpop_client import DPoPKey
from tests.expected import and_dpop
from tests.hostile import hmac_signed, public_key_forms
from tests.keys import ISSUER, claims, mint

BRAND_B = "https://brand-b.test.example/"
PARTNER_AUDIENCE = "https://partner-api.test.example"
SECRET = "an-hs256-secret-of-more-than-thirty-two-bytes"
HOSTS = {"a.api.test": ISSUER, "b.api.test": BRAND_B}
URL = "http://testserver/private"
REVOKED = set()


def tenant_issuers(request):
    return HOSTS.get(request.get_host().split(":")[0], [])


def not_revoked(jti, claims, header):
    """A VALIDATORS rule that reads state that changes: a revocation list."""
    return jti not in REVOKED


def body_of(response):
    # A DRF view called directly answers a Response (``data``); the test client, JSON bytes.
    return response.data if hasattr(response, "data") else response.json()


def assert_401(response, message, code="invalid_token", challenge=None):
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    assert response.status_code == 401, response.content
    assert body_of(response) == {"error": code, "message": message}
    if challenge is not None:
        assert response["WWW-Authenticate"] == challenge


def bearer_challenge(message, code="invalid_token"):
    return and_dpop(f'Bearer realm="api", error="{code}", error_description="{message}"')


@pytest.fixture(autouse=True)
def forget_revocations():
    REVOKED.clear()
    yield
    REVOKED.clear()


@pytest.fixture(scope="module")
def dpop_key():
    return DPoPKey()


@pytest.fixture(scope="module")
def client_cert():
    return Certificate("client-app")


@pytest.fixture
def get(client, auth0_settings):
    def request(token=None, path="/private", scheme="Bearer", proof=None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"{scheme} {token}"
        if proof is not None:
            headers["HTTP_DPOP"] = proof
        return client.get(path, **headers)

    return request


def cached_twice(get, token, **headers):
    """Send ``token`` twice, both 200: the second is answered from the verified-token cache."""
    for _ in range(2):
        response = get(token, **headers)
        assert response.status_code == 200, response.content
    return response


# -- the token cache against per-class settings -----------------------------------------------

def test_token_cached_for_the_project_audience_is_refused_by_a_class_with_another(
        get, class_view, signing_key):
    partner = class_view({"AUDIENCE": PARTNER_AUDIENCE})
    token = mint(signing_key)
    cached_twice(get, token)
    assert_401(partner(token), "Unexpected 'aud' value")


def test_token_cached_by_a_class_is_refused_by_the_project_with_another_audience(
        get, class_view, signing_key):
    partner = class_view({"AUDIENCE": PARTNER_AUDIENCE})
    token = mint(signing_key, aud=PARTNER_AUDIENCE)
    for _ in range(2):
        assert partner(token).status_code == 200
    assert_401(get(token), "Unexpected 'aud' value", challenge=bearer_challenge(
        "Unexpected 'aud' value"))


def test_token_cached_for_the_project_issuer_is_refused_by_a_class_trusting_another(
        get, class_view, signing_key, jwks_server):
    # Same JWKS (same keys): only the issuer check tells the two settings sets apart.
    partner = class_view({"ISSUER": BRAND_B, "JWKS_URL": jwks_server.url})
    token = mint(signing_key)
    cached_twice(get, token)
    assert_401(partner(token), "Unexpected 'iss' value")


def test_token_cached_by_the_project_is_refused_by_a_class_validator(get, class_view,
                                                                      signing_key):
    partner = class_view({"VALIDATORS": {"org_id": "org_123"}})
    token = mint(signing_key, org_id="org_999")
    cached_twice(get, token)
    assert_401(partner(token), "Unexpected 'org_id' value")


def test_token_cached_by_a_class_is_refused_by_the_project_max_age(get, configure, class_view,
                                                                    signing_key):
    configure(MAX_TOKEN_AGE=60)
    partner = class_view({"MAX_TOKEN_AGE": None})
    token = mint(signing_key, iat=int(time.time()) - 600)
    for _ in range(2):
        assert partner(token).status_code == 200
    assert_401(get(token), "Token is older than the maximum age")


# -- the token cache against VALIDATORS that read changing state -------------------------------

def test_a_validator_runs_on_every_request_also_when_the_token_is_cached(get, configure,
                                                                         signing_key):
    configure(VALIDATORS={"jti": not_revoked})
    token = mint(signing_key, jti="session-1")
    cached_twice(get, token)
    REVOKED.add("session-1")
    assert_401(get(token), "Unexpected 'jti' value")


def test_a_validator_runs_on_every_request_with_several_issuers(settings, get, signing_key,
                                                                jwks_server, server_b):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER": None, "JWKS_URL": None,
                          "ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                      {"ISSUER": BRAND_B, "JWKS_URL": server_b.url}],
                          "VALIDATORS": {"jti": not_revoked}}
    token = mint(signing_key, jti="session-2")
    cached_twice(get, token)
    REVOKED.add("session-2")
    assert_401(get(token), "Unexpected 'jti' value")


# -- the token cache against sender constraints and DPoP modes --------------------------------

def test_dpop_bound_token_cached_with_its_proof_is_refused_as_bearer(get, signing_key,
                                                                      dpop_key):
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    for _ in range(2):
        response = get(token, scheme="DPoP", proof=dpop_key.proof(htu=URL, access_token=token))
        assert response.status_code == 200, response.content
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    assert_401(get(token), message, challenge=bearer_challenge(message))


def test_dpop_bound_token_cached_with_its_proof_is_refused_with_another_keys_proof(
        get, signing_key, dpop_key):
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    response = get(token, scheme="DPoP", proof=dpop_key.proof(htu=URL, access_token=token))
    assert response.status_code == 200, response.content
    thief = DPoPKey()
    response = get(token, scheme="DPoP", proof=thief.proof(htu=URL, access_token=token))
    assert_401(response, "Invalid DPoP key binding")


def test_dpop_bound_token_cached_in_one_mode_is_refused_as_bearer_when_dpop_is_off(
        get, configure, signing_key, dpop_key):
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    assert get(token, scheme="DPoP", proof=dpop_key.proof(htu=URL, access_token=token)
               ).status_code == 200
    configure(DPOP_MODE="off")
    response = get(token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="DPoP-bound token must '
        'be sent with the DPoP scheme and a DPoP proof"')


def test_cached_bearer_token_is_refused_once_dpop_is_required(get, configure, signing_key):
    token = mint(signing_key)
    cached_twice(get, token)
    configure(DPOP_MODE="required")
    response = get(token)
    assert response.status_code == 401
    assert response.json()["message"].startswith("DPoP is required")


def test_certificate_bound_token_cached_with_its_certificate_is_refused_without_it(
        get, configure, signing_key, client_cert):
    configure(MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    token = mint(signing_key, cnf={"x5t#S256": client_cert.thumbprint})
    cached_twice(get, token, HTTP_CLIENT_CERT=client_cert.rfc9440)
    assert_401(get(token), "Certificate-bound token requires the client certificate it is "
                           "bound to")
    assert_401(get(token, HTTP_CLIENT_CERT=Certificate("other").rfc9440),
               "Token is not bound to the presented client certificate")


# -- query and form tokens against DPoP and mutual TLS ----------------------------------------

def test_dpop_bound_token_cached_by_the_header_is_refused_in_the_query(
        get, client, configure, signing_key, dpop_key):
    configure(ALLOW_QUERY_TOKEN=True, ALLOW_FORM_TOKEN=True)
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    assert get(token, scheme="DPoP", proof=dpop_key.proof(htu=URL, access_token=token)
               ).status_code == 200
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    assert_401(client.get(f"/private?access_token={token}"), message)
    proof = dpop_key.proof(htu=URL, access_token=token)
    assert_401(client.get(f"/private?access_token={token}", HTTP_DPOP=proof), message)
    response = client.post("/private", f"access_token={token}",
                           content_type="application/x-www-form-urlencoded")
    assert_401(response, message)


def test_query_token_with_a_dpop_proof_beside_it_is_400(client, configure, signing_key,
                                                        dpop_key):
    configure(ALLOW_QUERY_TOKEN=True)
    token = mint(signing_key)
    response = client.get(f"/private?access_token={token}",
                          HTTP_DPOP=dpop_key.proof(htu=URL, access_token=token))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "DPoP proof requires "
                               "the DPoP authentication scheme, not Bearer"}


def test_query_token_is_refused_when_dpop_is_required(client, configure, signing_key):
    configure(ALLOW_QUERY_TOKEN=True, DPOP_MODE="required")
    response = client.get(f"/private?access_token={mint(signing_key)}")
    assert response.status_code == 401
    assert response.json()["message"].startswith("DPoP is required")


def test_certificate_bound_query_token_needs_its_certificate(client, configure, signing_key,
                                                             client_cert):
    configure(ALLOW_QUERY_TOKEN=True, MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    token = mint(signing_key, cnf={"x5t#S256": client_cert.thumbprint})
    assert_401(client.get(f"/private?access_token={token}"),
               "Certificate-bound token requires the client certificate it is bound to")
    # The certificate proves possession whatever carries the token (RFC 8705 section 3).
    assert client.get(f"/private?access_token={token}",
                      HTTP_CLIENT_CERT=client_cert.rfc9440).status_code == 200


# -- the optional-authentication route --------------------------------------------------------

FEED = "/feed"
FEED_URL = f"http://testserver{FEED}"


def test_optional_route_without_a_token_is_a_guest(get):
    assert get(path=FEED).json() == {"message": "Welcome, guest!", "personalizedContent": False}


def test_optional_route_refuses_a_dpop_bound_token_without_its_proof(get, signing_key,
                                                                     dpop_key):
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    assert_401(get(token, path=FEED), "DPoP-bound token must be sent with the DPoP scheme "
                                      "and a DPoP proof")


def test_optional_route_refuses_an_expired_token_also_after_a_cache_hit(get, signing_key):
    assert_401(get(mint(signing_key, exp=int(time.time()) - 1), path=FEED), "Token expired")


def test_optional_route_refuses_a_bad_proof(get, signing_key, dpop_key):
    token = mint(signing_key, cnf={"jkt": dpop_key.thumbprint()})
    wrong_htu = dpop_key.proof(htu="http://testserver/private", access_token=token)
    response = get(token, path=FEED, scheme="DPoP", proof=wrong_htu)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"
    good = dpop_key.proof(htu=FEED_URL, access_token=token)
    assert get(token, path=FEED, scheme="DPoP", proof=good).json()["personalizedContent"]


def test_optional_route_refuses_a_certificate_bound_token_without_its_certificate(
        get, configure, signing_key, client_cert):
    configure(MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    token = mint(signing_key, cnf={"x5t#S256": client_cert.thumbprint})
    assert_401(get(token, path=FEED),
               "Certificate-bound token requires the client certificate it is bound to")


# -- a secret issuer beside a JWKS issuer ------------------------------------------------------

@pytest.fixture
def secret_and_jwks(settings, auth0_settings, jwks_server):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER": None, "JWKS_URL": None,
                          "ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                      {"ISSUER": BRAND_B, "SECRET": SECRET,
                                       "ALGORITHMS": ["HS256"]}]}


def hs256(secret, **claim_changes):
    return hmac_signed(secret, {"alg": "HS256", "typ": "JWT", "kid": "key-1"},
                       claims(**claim_changes))


def test_each_issuer_of_a_mixed_list_accepts_its_own_tokens(secret_and_jwks, get, signing_key):
    assert get(mint(signing_key)).status_code == 200
    assert get(hs256(SECRET.encode(), iss=BRAND_B)).status_code == 200


@pytest.mark.parametrize("form", ["pem-spki", "pem-pkcs1", "der-spki", "jwk-json"])
@pytest.mark.parametrize("iss", [ISSUER, BRAND_B])
def test_hs256_keyed_with_the_jwks_issuers_public_key_is_refused_under_either_issuer(
        secret_and_jwks, get, signing_key, jwks_server, form, iss):
    token = hs256(public_key_forms(signing_key)[form], iss=iss)
    message = "Token algorithm is not allowed" if iss == ISSUER else "Invalid token signature"
    assert_401(get(token), message)


def test_secret_signed_token_naming_the_jwks_issuer_is_refused(secret_and_jwks, get):
    assert_401(get(hs256(SECRET.encode())), "Token algorithm is not allowed")


def test_rsa_signed_token_naming_the_secret_issuer_is_refused(secret_and_jwks, get,
                                                              signing_key, jwks_server):
    assert_401(get(mint(signing_key, iss=BRAND_B)), "Token algorithm is not allowed")
    assert jwks_server.hits == 0


def test_a_cached_token_of_one_issuer_does_not_pass_with_the_others_iss(secret_and_jwks, get,
                                                                        signing_key):
    good = mint(signing_key)
    cached_twice(get, good)
    header, _, signature = good.split(".")
    swapped = hs256(SECRET.encode(), iss=BRAND_B)
    forged = ".".join([header, swapped.split(".")[1], signature])
    assert_401(get(forged), "Token algorithm is not allowed")


def test_kid_of_the_jwks_issuers_key_on_a_token_of_another_listed_issuer(settings, get,
                                                                         auth0_settings,
                                                                         signing_key,
                                                                         jwks_server, server_b):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER": None, "JWKS_URL": None,
                          "ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                      {"ISSUER": BRAND_B, "JWKS_URL": server_b.url}]}
    cached_twice(get, mint(signing_key))
    assert_401(get(mint(signing_key, iss=BRAND_B)), "Token signing key is not known")


def test_a_class_with_validators_of_its_own_replaces_the_projects_rules(get, configure,
                                                                       class_view, signing_key):
    # Settings per class are merged key by key: a class's VALIDATORS replaces the project's
    # mapping (docs/issuers.md says so, and how to keep the project's rules).
    configure(VALIDATORS={"jti": not_revoked})
    REVOKED.add("revoked")
    token = mint(signing_key, jti="revoked", org_id="org_123")
    assert_401(get(token), "Unexpected 'jti' value")
    assert class_view({"VALIDATORS": {"org_id": "org_123"}})(token).status_code == 200
    keeping = class_view({"VALIDATORS": {"jti": not_revoked, "org_id": "org_123"}})
    assert_401(keeping(token), "Unexpected 'jti' value")
