"""System checks of the Express SDK's options: each misconfiguration stops startup with the
setting's name and an example value, and never echoes a secret."""
import gc

import pytest
from django.core import checks

from auth0_jwt import Auth0JWTAuthentication
from tests.hostile import public_key_forms
from tests.keys import AUDIENCE, ISSUER

SECRET = "an-hs256-secret-of-more-than-thirty-two-bytes"
JWKS = "https://keys.example.com/jwks.json"


def problems(settings, **options):
    settings.AUTH0_JWT = {"AUDIENCE": AUDIENCE, **options}
    return {m.id: m for m in checks.run_checks() if m.id and m.id.startswith("auth0_jwt.")}


def only(found, check_id, *texts):
    assert set(found) == {check_id}, {k: v.msg for k, v in found.items()}
    message = found[check_id]
    assert message.level == checks.ERROR
    for text in texts:
        assert text in message.msg + " " + message.hint, message


# -- valid configurations --------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"ISSUERS": [ISSUER, "https://brand-b.example.com/"]},
    {"ISSUERS": [{"DOMAIN": "a.eu.auth0.com"}, {"ISSUER": ISSUER, "JWKS_URL": JWKS},
                 {"ISSUER": "https://i.example/", "SECRET": SECRET, "ALGORITHMS": ["HS256"]}]},
    {"ISSUERS": [ISSUER], "ISSUER_RESOLVER": "tests.app.test_sdk_options.tenant_issuers"},
    {"ISSUERS": [ISSUER], "DISCOVERY": True},
    {"ISSUER": ISSUER, "DISCOVERY": True},
    {"ISSUER": ISSUER, "SECRET": SECRET, "ALGORITHMS": ["HS256"]},
    {"ISSUER": ISSUER, "SECRET": "s" * 64, "ALGORITHMS": ["HS256", "HS512"]},
    {"ISSUER": ISSUER, "VALIDATORS": {"org_id": "org_123", "iss": False}},
    {"DOMAIN": "dev.auth0.com", "MTLS_MODE": "allowed", "MTLS_CLIENT_CERT_HEADER": "Client-Cert"},
])
def test_valid_configurations_pass(settings, options):
    assert problems(settings, **options) == {}


def test_static_public_key_passes(settings, signing_key):
    pem = public_key_forms(signing_key)["pem-spki"].decode()
    assert problems(settings, ISSUER=ISSUER, PUBLIC_KEY=pem) == {}
    assert problems(settings, ISSUER=ISSUER, PUBLIC_KEY=signing_key.jwk()) == {}


# -- several issuers -------------------------------------------------------------------------

@pytest.mark.parametrize("options, check_id, texts", [
    ({"ISSUERS": []}, "auth0_jwt.E022", ["AUTH0_JWT['ISSUERS'] must be a non-empty list",
                                         "AUTH0_ISSUERS="]),
    ({"ISSUERS": "https://a.example/"}, "auth0_jwt.E022", ["non-empty list"]),
    ({"ISSUERS": ["not a url"]}, "auth0_jwt.E022", ["['ISSUERS'][0]", "exact 'iss' URL"]),
    ({"ISSUERS": [ISSUER, ISSUER]}, "auth0_jwt.E022", ["['ISSUERS'][1]", "repeats an issuer"]),
    ({"ISSUERS": [{"JWKS_URL": JWKS}]}, "auth0_jwt.E022", ["exactly one of ISSUER or DOMAIN"]),
    ({"ISSUERS": [{"ISSUER": ISSUER, "AUDIENCE": "x"}]}, "auth0_jwt.E022", ["unknown keys"]),
    ({"ISSUERS": [{"DOMAIN": "https://x/"}]}, "auth0_jwt.E022", ["bare host name"]),
    ({"ISSUERS": [ISSUER], "DOMAIN": "dev.auth0.com"}, "auth0_jwt.E023",
     ["is set together with DOMAIN"]),
    ({"ISSUERS": [ISSUER], "SECRET": SECRET}, "auth0_jwt.E023", ["together with SECRET"]),
    ({"ISSUER": ISSUER, "ISSUER_RESOLVER": "tests.app.test_sdk_options.tenant_issuers"},
     "auth0_jwt.E024", ["needs ISSUERS"]),
    ({"ISSUERS": [ISSUER], "ISSUER_RESOLVER": "tests.nowhere.resolver"}, "auth0_jwt.E024",
     ["cannot be imported"]),
    ({"ISSUERS": [ISSUER], "ISSUER_RESOLVER": 42}, "auth0_jwt.E024", ["synchronous function"]),
    ({"ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": "http://keys.example.com/jwks"}]},
     "auth0_jwt.E007", ["https"]),
    ({"ISSUERS": ["http://idp.example.com/"]}, "auth0_jwt.E007",
     ["['ISSUERS'][0]['JWKS_URL'] (derived from the issuer) must be an https URL"]),
    ({"ISSUERS": ["http://idp.example.com/"], "DISCOVERY": True}, "auth0_jwt.E032",
     ["['ISSUERS'][0]['DISCOVERY'] needs an https issuer"]),
    ({"ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": JWKS, "DISCOVERY": True}]}, "auth0_jwt.E025",
     ["one key source per issuer"]),
    ({"ISSUERS": [{"ISSUER": ISSUER, "ALGORITHMS": ["HS256"]}]}, "auth0_jwt.E008",
     ["HS* only with a SECRET"]),
])
def test_misconfigured_issuers_name_the_setting_and_an_example(settings, options, check_id,
                                                               texts):
    only(problems(settings, **options), check_id, *texts)


# -- key sources -----------------------------------------------------------------------------

@pytest.mark.parametrize("options, check_id, texts", [
    ({"ISSUER": ISSUER, "JWKS_URL": JWKS, "SECRET": SECRET, "ALGORITHMS": ["HS256"]},
     "auth0_jwt.E025", ["JWKS_URL'] is set with SECRET", "one key source per issuer"]),
    ({"ISSUER": ISSUER, "DISCOVERY": True, "PUBLIC_KEY": "x"}, "auth0_jwt.E025",
     ["is set with PUBLIC_KEY"]),
    ({"ISSUER": ISSUER, "DISCOVERY": "yes"}, "auth0_jwt.E010", ["True or False"]),
    ({"ISSUER": "http://idp.example.com/", "DISCOVERY": True}, "auth0_jwt.E032",
     ["needs an https issuer"]),
    ({"ISSUER": ISSUER, "PUBLIC_KEY": "not a key"}, "auth0_jwt.E026",
     ["AUTH0_JWT['PUBLIC_KEY'] must be a PEM public key or a JWK", "BEGIN PUBLIC KEY"]),
    ({"ISSUER": ISSUER, "SECRET": SECRET}, "auth0_jwt.E008",
     ["must be HS256, HS384 or HS512 (and only those) with a SECRET", "['HS256']"]),
    ({"ISSUER": ISSUER, "SECRET": SECRET, "ALGORITHMS": ["HS256", "RS256"]}, "auth0_jwt.E008",
     ["never sits beside asymmetric keys"]),
    ({"ISSUER": ISSUER, "SECRET": "too-short-secret", "ALGORITHMS": ["HS256"]},
     "auth0_jwt.E027", ["AUTH0_JWT['SECRET'] is shorter than 32 bytes", "RFC 7518",
                        "AUTH0_SIGNING_SECRET="]),
    ({"ISSUER": ISSUER, "SECRET": SECRET, "ALGORITHMS": ["HS512"]}, "auth0_jwt.E027",
     ["shorter than 64 bytes, the hash size of HS512"]),
    ({"ISSUER": ISSUER, "ALGORITHMS": ["HS256"]}, "auth0_jwt.E008",
     ["RS256, RS384, RS512 (HS256, HS384, HS512 only with a SECRET)"]),
])
def test_misconfigured_key_sources_name_the_setting_and_an_example(settings, options, check_id,
                                                                   texts):
    only(problems(settings, **options), check_id, *texts)


def test_public_key_given_as_the_secret_is_refused(settings, signing_key):
    pem = public_key_forms(signing_key)["pem-spki"].decode()
    only(problems(settings, ISSUER=ISSUER, SECRET=pem, ALGORITHMS=["HS256"]), "auth0_jwt.E027",
         "is a public key, not a shared secret")


def test_a_secret_is_never_echoed_by_a_check(settings):
    secret = "short-but-secret-value"
    found = problems(settings, ISSUER=ISSUER, SECRET=secret, ALGORITHMS=["HS256"])
    assert found and all(secret not in m.msg + m.hint for m in found.values())


# -- validators, mTLS ------------------------------------------------------------------------

async def async_validator(value, claims, header):
    return True


@pytest.mark.parametrize("validators, text", [
    ({"alg": False}, "'alg' cannot be validated here"),
    ({"org_id": 7}, "must map to a function"),
    ({"org_id": async_validator}, "must be synchronous"),
    ({"aud": False}, "cannot be switched off"),
    ("org_id", "must be a dict"),
])
def test_unusable_validators_stop_startup(settings, validators, text):
    only(problems(settings, DOMAIN="dev.auth0.com", VALIDATORS=validators), "auth0_jwt.E028",
         "AUTH0_JWT['VALIDATORS']", text, "lambda iss, claims, header")


@pytest.mark.parametrize("options, check_id, text", [
    ({"MTLS_MODE": "on"}, "auth0_jwt.E029", "AUTH0_MTLS_MODE=allowed"),
    ({"MTLS_MODE": "allowed"}, "auth0_jwt.E030", "AUTH0_MTLS_CLIENT_CERT_HEADER=Client-Cert"),
    ({"MTLS_MODE": "required", "MTLS_CLIENT_CERT_HEADER": "Client Cert"}, "auth0_jwt.E030",
     "must be an HTTP header name"),
])
def test_misconfigured_mtls_stops_startup(settings, options, check_id, text):
    only(problems(settings, DOMAIN="dev.auth0.com", **options), check_id, text)


# -- settings per authentication class -------------------------------------------------------

@pytest.fixture
def subclass():
    made = []

    def make(overrides):
        cls = type("TenantAuthentication", (Auth0JWTAuthentication,),
                   {"auth0_jwt_settings": overrides, "__module__": "myproject.auth"})
        made.append(cls)
        return cls

    yield make
    made.clear()
    gc.collect()  # the checks look at every live subclass


def test_valid_class_settings_pass(settings, subclass):
    subclass({"AUDIENCE": "https://partner.example.com", "LEEWAY": 5})
    subclass({"ISSUER": ISSUER, "SECRET": SECRET, "ALGORITHMS": ["HS256"]})
    assert problems(settings, DOMAIN="dev.auth0.com") == {}


def test_class_settings_that_only_the_project_can_set_are_refused(settings, subclass):
    subclass({"AUDIENCE": "https://partner.example.com", "DPOP_MODE": "required"})
    found = problems(settings, DOMAIN="dev.auth0.com")
    only(found, "auth0_jwt.E031", "myproject.auth.TenantAuthentication.auth0_jwt_settings",
         "DPOP_MODE")


def test_class_settings_are_checked_like_the_projects(settings, subclass):
    subclass({"ISSUER": ISSUER, "SECRET": "short", "ALGORITHMS": ["HS256"]})
    found = problems(settings, DOMAIN="dev.auth0.com")
    only(found, "auth0_jwt.E027", "myproject.auth.TenantAuthentication.auth0_jwt_settings: "
         "AUTH0_JWT['SECRET'] is shorter than 32 bytes")


def test_class_tenant_settings_replace_the_projects_instead_of_mixing(settings, subclass):
    # The project trusts a domain; the class names an ISSUER with a secret: no E023/E025 mix.
    subclass({"ISSUER": ISSUER, "SECRET": SECRET, "ALGORITHMS": ["HS256"]})
    assert problems(settings, DOMAIN="dev.auth0.com", JWKS_URL=JWKS) == {}
