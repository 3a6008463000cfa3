"""The AUTH0_JWT settings object: defaults, derived values, reload on change."""
from auth0_jwt._ops import runtime
from auth0_jwt._settings import DEFAULTS, auth0_settings


def test_defaults_apply_for_unset_options(settings):
    settings.AUTH0_JWT = {"DOMAIN": "dev-abc123.us.auth0.com", "AUDIENCE": "https://api"}
    assert auth0_settings.ALGORITHMS == ["RS256"] == DEFAULTS["ALGORITHMS"]
    assert auth0_settings.LEEWAY == 0
    assert auth0_settings.REALM == "api"


def test_issuer_and_jwks_url_derive_from_the_domain(settings):
    settings.AUTH0_JWT = {"DOMAIN": "dev-abc123.us.auth0.com", "AUDIENCE": "https://api"}
    assert auth0_settings.issuer == "https://dev-abc123.us.auth0.com/"
    assert auth0_settings.jwks_url == "https://dev-abc123.us.auth0.com/.well-known/jwks.json"


def test_explicit_issuer_and_jwks_url_win(settings):
    settings.AUTH0_JWT = {"DOMAIN": "dev.auth0.com", "ISSUER": "https://login.example.com/",
                          "JWKS_URL": "https://keys.example.com/jwks", "AUDIENCE": "a"}
    assert auth0_settings.issuer == "https://login.example.com/"
    assert auth0_settings.jwks_url == "https://keys.example.com/jwks"


def test_audience_accepts_a_comma_separated_string_or_a_list(settings):
    settings.AUTH0_JWT = {"DOMAIN": "d.example", "AUDIENCE": "https://a, https://b"}
    assert auth0_settings.audiences == ("https://a", "https://b")
    settings.AUTH0_JWT = {"DOMAIN": "d.example", "AUDIENCE": ["https://c"]}
    assert auth0_settings.audiences == ("https://c",)


def test_changing_the_settings_rebuilds_the_verifier(settings, auth0_settings):
    first = runtime.get_verifier()
    assert runtime.get_verifier() is first
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "LEEWAY": 42}
    second = runtime.get_verifier()
    assert second is not first
    assert second.leeway == 42
