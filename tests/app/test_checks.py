"""System checks: a bad setting stops startup, naming the setting and an example.

The demo project's startup (``manage.py check``, the WSGI boot, its own checks) is in
``tests/demo/test_project_checks.py``."""
import pytest
from django.core import checks
VALID = {"DOMAIN": "dev-abc123.us.auth0.com", "AUDIENCE": "https://api.example.com"}


def errors_for(settings, **options):
    settings.AUTH0_JWT = {**VALID, **options}
    return {m.id: m for m in checks.run_checks() if m.id and m.id.startswith("auth0_jwt.")}


def test_valid_settings_have_no_errors(settings):
    assert errors_for(settings) == {}


@pytest.mark.parametrize("options,check_id,names", [
    ({"DOMAIN": None}, "auth0_jwt.E003", "AUTH0_DOMAIN=dev-abc123.us.auth0.com"),
    ({"DOMAIN": "https://dev-abc123.us.auth0.com/"}, "auth0_jwt.E002", "AUTH0_DOMAIN="),
    ({"AUDIENCE": None}, "auth0_jwt.E005", "AUTH0_AUDIENCE=https://api.example.com"),
    ({"AUDIENCE": ""}, "auth0_jwt.E005", "AUTH0_AUDIENCE="),
    ({"ISSUER": "not a url"}, "auth0_jwt.E004", "AUTH0_ISSUER="),
    ({"JWKS_URL": "ftp://x/jwks"}, "auth0_jwt.E006", "AUTH0_JWKS_URL="),
    ({"JWKS_URL": "http://keys.example.com/jwks.json"}, "auth0_jwt.E007", "https"),
    ({"ALGORITHMS": ["HS256"]}, "auth0_jwt.E008", "['RS256']"),
    ({"ALGORITHMS": ["none"]}, "auth0_jwt.E008", "['RS256']"),
    ({"ALGORITHMS": []}, "auth0_jwt.E008", "['RS256']"),
    ({"LEEWAY": -1}, "auth0_jwt.E009", "30"),
    ({"LEEWAY": "abc"}, "auth0_jwt.E009", "30"),
    ({"MAX_TOKEN_AGE": 0}, "auth0_jwt.E009", "86400"),
    ({"JWKS_TIMEOUT": 0}, "auth0_jwt.E009", "5"),
    ({"STRICT_RFC9068": "yes"}, "auth0_jwt.E010", "False"),
    ({"REALM": 'a"b'}, "auth0_jwt.E011", "'api'"),
    ({"JWKS_WARMUP": "yes"}, "auth0_jwt.E010", "False"),
    ({"CLIENT_IP_HEADER": "X Forwarded For"}, "auth0_jwt.E020", "'X-Forwarded-For'"),
    ({"AUDIANCE": "typo"}, "auth0_jwt.E001", "AUDIENCE"),
    ({"USER_CLASS": "myproject.nowhere.User"}, "auth0_jwt.E041", "'auth0_jwt.TokenUser'"),
    ({"USER_CLASS": "not-a-path"}, "auth0_jwt.E041", "'auth0_jwt.TokenUser'"),
    ({"USER_CLASS": 42}, "auth0_jwt.E041", "'auth0_jwt.TokenUser'"),
])
def test_misconfiguration_names_the_setting_and_an_example(settings, options, check_id, names):
    found = errors_for(settings, **options)
    assert check_id in found, found
    message = found[check_id]
    assert message.level == checks.ERROR
    option = next(iter(options))
    assert f"AUTH0_JWT['{option}']" in message.msg or option in message.hint
    assert names in message.hint


def test_http_jwks_url_on_loopback_is_allowed(settings):
    assert errors_for(settings, JWKS_URL="http://127.0.0.1:9999/jwks.json") == {}


def test_warning_when_our_authentication_class_is_not_first(settings):
    settings.AUTH0_JWT = VALID
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.BasicAuthentication",
            "auth0_jwt._drf.authentication.Auth0JWTAuthentication"],
    }
    found = {m.id: m for m in checks.run_checks()}
    assert found["auth0_jwt.W001"].level == checks.WARNING


def test_warning_when_the_exception_handler_is_not_ours(settings):
    settings.AUTH0_JWT = VALID
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "EXCEPTION_HANDLER":
                               "rest_framework.views.exception_handler"}
    assert "auth0_jwt.W002" in {m.id for m in checks.run_checks()}


@pytest.mark.parametrize("domain, reason", [
    ("bogus", "a tenant's domain has at least one dot"),
    ("localhost:8443", "a tenant's domain has at least one dot"),
    ("https://dev-abc123.us.auth0.com", "without its scheme"),
    ("dev-abc123.us.auth0.com/", "without a path"),
    ("dev abc.auth0.com", "characters a host name cannot have"),
    ("", "it is empty"),
])
def test_a_domain_that_is_not_a_host_name_is_refused_with_the_reason_and_an_example(
        settings, domain, reason):
    message = errors_for(settings, DOMAIN=domain)["auth0_jwt.E002"]
    assert message.msg.startswith(f"AUTH0_JWT['DOMAIN'] is not a domain name ({domain!r}): ")
    assert reason in message.msg
    assert message.hint == "Example: AUTH0_DOMAIN=dev-abc123.us.auth0.com"


@pytest.mark.parametrize("domain", ["dev-abc123.us.auth0.com", "login.example.com",
                                    "127.0.0.1:8443", "tenant.eu.auth0.com:443"])
def test_a_host_name_with_a_dot_is_a_domain(settings, domain):
    assert errors_for(settings, DOMAIN=domain) == {}


@pytest.mark.parametrize("options, option", [
    ({"DOMAIN": "your-tenant.us.auth0.com"}, "DOMAIN"),
    ({"DOMAIN": "YOUR_DOMAIN"}, "DOMAIN"),
    ({"DOMAIN": "{yourDomain}"}, "DOMAIN"),
    ({"DOMAIN": None, "ISSUER": "https://{yourDomain}/"}, "ISSUER"),
    ({"AUDIENCE": "YOUR_API_IDENTIFIER"}, "AUDIENCE"),
    ({"AUDIENCE": ["https://api.example.com", "https://your-api-identifier"]}, "AUDIENCE"),
])
def test_a_placeholder_left_from_a_sample_is_an_error_not_a_tenant(settings, options, option):
    found = errors_for(settings, **options)
    assert set(found) == {"auth0_jwt.E033"}, found  # one message, not a syntax error as well
    message = found["auth0_jwt.E033"]
    assert message.msg.startswith(f"AUTH0_JWT['{option}'] is a placeholder (")
    assert "local issuer" in message.hint and "Auth0 Dashboard" in message.hint


@pytest.mark.parametrize("audience", ["https://yourapp.com", "https://api.example.com"])
def test_an_audience_that_merely_starts_with_your_is_not_a_placeholder(settings, audience):
    assert errors_for(settings, AUDIENCE=audience) == {}
