"""The Express SDK's options in AUTH0_JWT, through the whole DRF stack (authentication, the
exception handler, the documented error bodies and challenges): several issuers and a
resolver, discovery, a static public key, a shared secret, validators, certificate-bound
tokens, and settings per authentication class. Real key and metadata servers on 127.0.0.1."""
import logging

import pytest

from tests.certs import Certificate
from tests.hostile import hmac_signed, public_key_forms
from tests.issuer_server import OIDC_PATH
from tests.keys import AUDIENCE, ISSUER, claims, mint
from tests.expected import and_dpop

BRAND_B = "https://brand-b.test.example/"
PARTNER_AUDIENCE = "https://partner-api.test.example"
SECRET = "an-hs256-secret-of-more-than-thirty-two-bytes"
HOSTS = {"a.api.test": ISSUER, "b.api.test": BRAND_B}


def tenant_issuers(request):
    """An ISSUER_RESOLVER: the issuer allowed on each host (an allowlist, never request data)."""
    return HOSTS.get(request.get_host().split(":")[0], [])


def broken_resolver(request):
    raise LookupError("tenant database down")


def challenge(message, code="invalid_token"):
    return and_dpop(f'Bearer realm="api", error="{code}", error_description="{message}"')


def assert_refused(response, status, code, message):
    assert response.status_code == status, response.content
    assert response.json() == {"error": code, "message": message}
    if status == 401:
        assert response["WWW-Authenticate"] == challenge(message, code)


@pytest.fixture
def trust(settings, jwks_server):
    """Replace AUTH0_JWT: ``trust(ISSUERS=[...])``; AUDIENCE is the tests' audience."""
    def apply(**options):
        settings.AUTH0_JWT = {"AUDIENCE": [AUDIENCE], "JWKS_TIMEOUT": 2, **options}
        settings.ALLOWED_HOSTS = ["testserver", *HOSTS]

    return apply


@pytest.fixture
def get(client):
    def request(token=None, path="/private", **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.get(path, **headers)

    return request


@pytest.fixture
def two_brands(trust, jwks_server, server_b):
    trust(ISSUERS=[{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                   {"ISSUER": BRAND_B, "JWKS_URL": server_b.url}])


# -- several issuers ------------------------------------------------------------------------

def test_each_listed_issuer_is_accepted_with_its_own_keys(two_brands, get, signing_key,
                                                          other_key, jwks_server, server_b):
    assert get(mint(signing_key)).json()["user"] == "auth0|user-1"
    assert get(mint(other_key, iss=BRAND_B, sub="b|1")).json()["user"] == "b|1"
    assert (jwks_server.hits, server_b.hits) == (1, 1)


def test_unlisted_issuer_is_401_and_fetches_nothing(two_brands, get, signing_key, jwks_server,
                                                    server_b):
    response = get(mint(signing_key, iss=f"http://127.0.0.1:{jwks_server.httpd.server_port}/"))
    assert_refused(response, 401, "invalid_token", "Token issuer is not allowed")
    assert (jwks_server.hits, server_b.hits) == (0, 0)


def test_issuer_b_token_signed_with_issuer_a_key_is_401(two_brands, get, signing_key):
    response = get(mint(signing_key, iss=BRAND_B))  # kid key-1 is not in B's key set
    assert_refused(response, 401, "invalid_token", "Token signing key is not known")


def test_listed_issuers_use_discovery_when_asked(trust, get, issuer_server, signing_key):
    trust(ISSUERS=[issuer_server.issuer, BRAND_B], DISCOVERY=True)
    assert get(mint(signing_key, iss=issuer_server.issuer)).status_code == 200
    assert issuer_server.hit_count(OIDC_PATH) == 1


@pytest.mark.parametrize("resolver", [tenant_issuers, "tests.app.test_sdk_options.tenant_issuers"])
def test_resolver_allows_each_host_its_own_issuer(two_brands, settings, get, signing_key,
                                                  other_key, resolver):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER_RESOLVER": resolver}
    token_a, token_b = mint(signing_key), mint(other_key, iss=BRAND_B)
    assert get(token_a, HTTP_HOST="a.api.test").status_code == 200
    assert get(token_b, HTTP_HOST="b.api.test").status_code == 200
    for token, host in ((token_a, "b.api.test"), (token_b, "a.api.test"), (token_a, "testserver")):
        assert_refused(get(token, HTTP_HOST=host), 401, "invalid_token",
                       "Token issuer is not allowed")


def test_cached_token_is_not_served_on_another_tenants_host(two_brands, settings, get,
                                                            signing_key):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER_RESOLVER": tenant_issuers}
    get(mint(signing_key, sub="warm-up"), HTTP_HOST="a.api.test")
    token = mint(signing_key)
    assert get(token, HTTP_HOST="a.api.test").status_code == 200
    assert get(token, HTTP_HOST="a.api.test").status_code == 200  # a cache hit
    assert get(token, HTTP_HOST="b.api.test").status_code == 401


def test_resolver_that_raises_refuses_every_token(two_brands, settings, get, signing_key, caplog):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER_RESOLVER": broken_resolver}
    with caplog.at_level(logging.ERROR, logger="auth0_jwt.issuers"):
        response = get(mint(signing_key), HTTP_HOST="a.api.test")
    assert_refused(response, 401, "invalid_token", "Token issuer is not allowed")
    assert "ISSUER_RESOLVER failed (LookupError)" in caplog.text


# -- discovery, static key, secret ----------------------------------------------------------

def test_discovery_finds_the_keys_in_the_issuers_metadata(trust, get, issuer_server,
                                                          signing_key):
    trust(ISSUER=issuer_server.issuer, DISCOVERY=True)
    assert get(mint(signing_key, iss=issuer_server.issuer)).status_code == 200


def test_metadata_down_is_503_like_keys_unavailable(trust, settings, get, issuer_server,
                                                    signing_key):
    trust(ISSUER=issuer_server.issuer, DISCOVERY=True, JWKS_RETRY_AFTER=9)
    issuer_server.routes = {}
    response = get(mint(signing_key, iss=issuer_server.issuer))
    assert_refused(response, 503, "temporarily_unavailable",
                   "Signing keys are temporarily unavailable")
    assert response["Retry-After"] == "9"


def test_metadata_for_another_issuer_is_503_and_logged(trust, get, issuer_server, signing_key,
                                                       caplog):
    trust(ISSUER=issuer_server.issuer, DISCOVERY=True)
    issuer_server.publish(signing_key.jwk(), issuer="https://evil.example/")
    with caplog.at_level(logging.WARNING, logger="auth0_jwt.discovery"):
        response = get(mint(signing_key, iss=issuer_server.issuer))
    assert response.status_code == 503
    assert "its issuer 'https://evil.example/' is not the configured issuer" in caplog.text


def test_static_pem_key_verifies_without_any_fetch_whatever_the_kid(trust, get, jwks_server,
                                                                   signing_key):
    trust(ISSUER=ISSUER, PUBLIC_KEY=public_key_forms(signing_key)["pem-spki"].decode())
    assert get(mint(signing_key)).status_code == 200
    assert get(mint(signing_key, header={"alg": "RS256", "typ": "JWT"})).status_code == 200
    assert jwks_server.hits == 0


def test_static_jwk_with_a_kid_refuses_tokens_naming_another_key(trust, get, jwks_server,
                                                                 signing_key):
    trust(ISSUER=ISSUER, PUBLIC_KEY=signing_key.jwk())
    assert get(mint(signing_key)).status_code == 200
    assert_refused(get(mint(signing_key, header={"alg": "RS256", "kid": "key-2"})), 401,
                   "invalid_token", "Token signing key is not known")
    assert jwks_server.hits == 0


def test_secret_verifies_hs256_tokens(trust, get):
    trust(ISSUER=ISSUER, SECRET=SECRET, ALGORITHMS=["HS256"])
    token = hmac_signed(SECRET.encode(), {"alg": "HS256", "typ": "JWT"}, claims())
    assert get(token).status_code == 200


@pytest.mark.parametrize("form", ["pem-spki", "der-spki", "jwk-json"])
@pytest.mark.parametrize("configuration", ["jwks", "public-key", "secret", "issuers"])
def test_hs256_signed_with_the_rsa_public_key_is_refused_in_every_configuration(
        trust, get, jwks_server, server_b, signing_key, form, configuration):
    trust(**{
        "jwks": dict(ISSUER=ISSUER, JWKS_URL=jwks_server.url),
        "public-key": dict(ISSUER=ISSUER, PUBLIC_KEY=signing_key.jwk()),
        "secret": dict(ISSUER=ISSUER, SECRET=SECRET, ALGORITHMS=["HS256"]),
        "issuers": dict(ISSUERS=[{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                 {"ISSUER": BRAND_B, "SECRET": SECRET, "ALGORITHMS": ["HS256"]}]),
    }[configuration])
    token = hmac_signed(public_key_forms(signing_key)[form], {"alg": "HS256", "kid": "key-1"},
                        claims())
    response = get(token)
    assert response.status_code == 401
    assert response.json()["message"] in ("Token algorithm is not allowed",
                                          "Invalid token signature")
    assert jwks_server.hits == 0


# -- validators ------------------------------------------------------------------------------

def test_failed_validator_is_401_invalid_token_naming_the_claim(configure, get, signing_key):
    configure(VALIDATORS={"org_id": "org_123"})
    assert get(mint(signing_key, org_id="org_123")).status_code == 200
    assert_refused(get(mint(signing_key, org_id="org_999")), 401, "invalid_token",
                   "Unexpected 'org_id' value")


def test_issuer_validator_accepts_each_tenants_issuer(configure, get, signing_key):
    configure(VALIDATORS={"iss": lambda iss, claims, header: iss in (ISSUER, BRAND_B)})
    assert get(mint(signing_key, iss=BRAND_B)).status_code == 200
    assert_refused(get(mint(signing_key, iss="https://evil.example/")), 401, "invalid_token",
                   "Unexpected 'iss' value")


# -- certificate-bound tokens ----------------------------------------------------------------

@pytest.fixture(scope="module")
def client_cert():
    return Certificate("client-app")


def bound(key, cert):
    return mint(key, cnf={"x5t#S256": cert.thumbprint})


def test_bound_token_with_its_certificate_from_the_proxy_is_200(configure, get, signing_key,
                                                                client_cert):
    configure(MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    assert get(bound(signing_key, client_cert), HTTP_CLIENT_CERT=client_cert.rfc9440
               ).status_code == 200
    assert get(mint(signing_key)).status_code == 200  # unbound: a bearer token


@pytest.mark.parametrize("header, message", [
    (None, "Certificate-bound token requires the client certificate it is bound to"),
    ("other", "Token is not bound to the presented client certificate"),
    (":bm90IGEgY2VydA==:", "Client certificate header is not a certificate"),
])
def test_bound_token_without_its_certificate_is_401(configure, get, signing_key, client_cert,
                                                    header, message):
    configure(MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    headers = {}
    if header is not None:
        headers["HTTP_CLIENT_CERT"] = (Certificate("other").rfc9440 if header == "other"
                                       else header)
    assert_refused(get(bound(signing_key, client_cert), **headers), 401, "invalid_token", message)


def test_client_cert_header_is_ignored_unless_the_proxy_is_trusted(configure, get, signing_key,
                                                                   client_cert):
    configure(MTLS_MODE="allowed", MTLS_CLIENT_CERT_HEADER="X-Proxy-Client-Cert")
    response = get(bound(signing_key, client_cert), HTTP_CLIENT_CERT=client_cert.rfc9440)
    assert_refused(response, 401, "invalid_token",
                   "Certificate-bound token requires the client certificate it is bound to")


def test_bound_token_is_401_when_mtls_is_off(get, auth0_settings, signing_key, client_cert):
    response = get(bound(signing_key, client_cert), HTTP_CLIENT_CERT=client_cert.rfc9440)
    assert_refused(response, 401, "invalid_token", "Certificate-bound token cannot be used: "
                   "this API does not accept mutual TLS")


def test_unbound_token_is_401_when_mtls_is_required(configure, get, signing_key):
    configure(MTLS_MODE="required", MTLS_CLIENT_CERT_HEADER="Client-Cert")
    assert_refused(get(mint(signing_key)), 401, "invalid_token",
                   "Token is not certificate-bound (no 'cnf.x5t#S256' claim) and mutual TLS "
                   "is required")


# -- settings per authentication class -------------------------------------------------------

def test_class_with_its_own_audience_accepts_its_tokens_only(auth0_settings, get,
                                                             class_view, signing_key,
                                                             jwks_server):
    partner = class_view({"AUDIENCE": PARTNER_AUDIENCE})
    assert partner(mint(signing_key, aud=PARTNER_AUDIENCE)).status_code == 200
    assert partner(mint(signing_key)).status_code == 401
    assert get(mint(signing_key)).status_code == 200  # the project's settings are untouched
    assert get(mint(signing_key, aud=PARTNER_AUDIENCE)).status_code == 401
    assert jwks_server.hits == 1  # one JWKS client for the URL, shared by both settings sets


def test_class_with_its_own_tenant_trusts_that_tenant_only(auth0_settings, get,
                                                           class_view, signing_key,
                                                           other_key, server_b):
    partner = class_view({"ISSUER": BRAND_B, "JWKS_URL": server_b.url})
    assert partner(mint(other_key, iss=BRAND_B)).status_code == 200
    response = partner(mint(signing_key))  # the project's tenant, kid key-1: not in B's keys
    assert response.status_code == 401
    assert response.data == {"error": "invalid_token",
                             "message": "Token signing key is not known"}
    assert get(mint(other_key, iss=BRAND_B)).status_code == 401


# -- readiness and warm-up with several issuers -----------------------------------------------

def test_readyz_is_200_while_one_of_several_issuers_holds_keys(two_brands, client, jwks_server,
                                                               server_b):
    server_b.status = 503
    assert client.get("/readyz").status_code == 200
    assert (jwks_server.hits, server_b.hits) == (1, 1)


def test_readyz_is_503_when_no_issuer_has_keys(two_brands, client, jwks_server, server_b):
    jwks_server.status = server_b.status = 503
    assert client.get("/readyz").status_code == 503


def test_warm_up_fetches_every_issuers_keys(trust, jwks_server, server_b, issuer_server):
    from auth0_jwt._ops import runtime

    trust(JWKS_WARMUP=True, ISSUERS=[{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                     {"ISSUER": BRAND_B, "JWKS_URL": server_b.url},
                                     {"ISSUER": issuer_server.issuer, "DISCOVERY": True}])
    assert runtime.warm_up() is True
    assert (jwks_server.hits, server_b.hits, issuer_server.hit_count()) == (1, 1, 2)


def test_an_entry_can_decline_the_top_level_discovery(trust, get, jwks_server, signing_key,
                                                      issuer_server):
    # No DISCOVERY for this entry: its keys are at <issuer>.well-known/jwks.json.
    plain = jwks_server.url.replace(".well-known/jwks.json", "")
    trust(DISCOVERY=True, ISSUERS=[{"ISSUER": plain, "DISCOVERY": False}, issuer_server.issuer])
    assert get(mint(signing_key, iss=plain)).status_code == 200
    assert jwks_server.hits == 1 and issuer_server.hit_count() == 0


# -- the security log -------------------------------------------------------------------------

def security_reasons(caplog):
    return [r.reason for r in caplog.records if r.name == "auth0_jwt.security"]


def test_each_new_refusal_has_its_own_reason_in_the_security_log(two_brands, settings, get,
                                                                 signing_key, caplog):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "VALIDATORS": {"org_id": "org_123"},
                          "MTLS_MODE": "allowed", "MTLS_CLIENT_CERT_HEADER": "Client-Cert"}
    with caplog.at_level(logging.INFO, logger="auth0_jwt.security"):
        get(mint(signing_key, iss="https://evil.example/"))
        get(mint(signing_key, org_id="org_999"))
        get(mint(signing_key, org_id="org_123", cnf={"x5t#S256": "abc"}))
    assert security_reasons(caplog) == ["issuer_not_allowed", "rejected_claim",
                                        "certificate_binding_error"]
