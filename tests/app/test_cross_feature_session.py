"""The session-held token (the token page) against the features it meets: settings per
authentication class, the issuer resolver, and the error table's 401 when the session class
is a view's only (or first) authentication class."""
import gc
import logging

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.file import SessionStore
from django.test import Client
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from auth0_jwt import Auth0JWTAuthentication
from auth0_jwt._drf.credentials import SESSION_KEY
from auth0_jwt._drf.session import SessionTokenAuthentication
from tests.expected import and_dpop
from tests.keys import ISSUER, mint

BRAND_B = "https://brand-b.test.example/"
PARTNER_AUDIENCE = "https://partner-api.test.example"
HOSTS = {"a.api.test": ISSUER, "b.api.test": BRAND_B}


def tenant_issuers(request):
    return HOSTS.get(request.get_host().split(":")[0], [])


@pytest.fixture
def hold(settings, auth0_settings, tmp_path):
    """``hold(token)``: a server-side session holding ``token``, as the token page keeps it;
    returns the session key (the cookie's value)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    settings.SESSION_FILE_PATH = str(tmp_path)
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "SESSION_TOKEN": True}

    def keep(token):
        session = SessionStore()
        session[SESSION_KEY] = token
        session.save()
        return session.session_key

    return keep


@pytest.fixture
def session_view():
    """``session_view(overrides, classes)``: ``call(session_key)`` of a view whose
    authentication classes are ``classes`` with ``SessionTokenAuthentication`` replaced by a
    subclass carrying ``overrides``."""
    made = []

    def make(overrides=None, classes=(SessionTokenAuthentication,)):
        cls = type("PartnerSessionAuthentication", (SessionTokenAuthentication,),
                   {"auth0_jwt_settings": overrides, "__module__": __name__})
        made.append(cls)
        view = type("PartnerView", (APIView,), {
            "authentication_classes": [cls if c is SessionTokenAuthentication else c
                                       for c in classes],
            "permission_classes": [IsAuthenticated],
            "get": lambda self, request: Response({"user": request.user.sub})}).as_view()

        def call(session_key=None):
            cookie = (f"{django_settings.SESSION_COOKIE_NAME}={session_key}" if session_key
                      else "")
            request = APIRequestFactory().get("/partner", HTTP_COOKIE=cookie)
            request.session = SessionStore(session_key)
            response = view(request)
            response.render()
            return response

        return call

    yield make
    made.clear()
    gc.collect()


def assert_401(response, code, message, challenge):
    assert response.status_code == 401, response.content
    assert response.data == {"error": code, "message": message}
    assert response["WWW-Authenticate"] == challenge


def test_session_token_gets_the_checks_of_its_class_settings(hold, session_view, signing_key):
    key = hold(mint(signing_key))
    assert session_view()(key).status_code == 200
    message = "Unexpected 'aud' value"
    assert_401(session_view({"AUDIENCE": PARTNER_AUDIENCE})(key), "invalid_token", message,
               and_dpop(f'Bearer realm="api", error="invalid_token", '
                        f'error_description="{message}"'))


@pytest.mark.parametrize("first", [True, False])
def test_a_view_listing_the_session_class_first_or_alone_keeps_the_401(hold, session_view,
                                                                       signing_key, first):
    classes = ((SessionTokenAuthentication, Auth0JWTAuthentication) if first
               else (SessionTokenAuthentication,))
    call = session_view(None, classes)
    assert_401(call(None), "unauthorized", "Authentication required",
               and_dpop('Bearer realm="api"'))
    key = hold(mint(signing_key, exp=1))
    assert_401(call(key), "invalid_token", "Token expired", and_dpop(
        'Bearer realm="api", error="invalid_token", error_description="Token expired"'))


@pytest.fixture
def resolved(settings, auth0_settings, jwks_server, server_b):
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "ISSUER": None, "JWKS_URL": None,
                          "ISSUERS": [{"ISSUER": ISSUER, "JWKS_URL": jwks_server.url},
                                      {"ISSUER": BRAND_B, "JWKS_URL": server_b.url}],
                          "ISSUER_RESOLVER": tenant_issuers}
    settings.ALLOWED_HOSTS = ["testserver", *HOSTS]


def test_session_token_under_a_resolver_is_allowed_on_its_hosts_only(hold, resolved, client,
                                                                     signing_key):
    client.cookies[django_settings.SESSION_COOKIE_NAME] = hold(mint(signing_key))
    json = {"HTTP_ACCEPT": "application/json"}
    assert client.get("/private", HTTP_HOST="a.api.test", **json).status_code == 200
    response = client.get("/private", HTTP_HOST="b.api.test", **json)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": "Token issuer is not allowed"}



def test_token_page_under_a_resolver_keeps_a_token_of_this_hosts_issuer_only(
        hold, resolved, signing_key):
    for host, status in (("a.api.test", 303), ("b.api.test", 400)):
        browser = Client(enforce_csrf_checks=True, HTTP_HOST=host)
        browser.get("/auth/token")
        response = browser.post("/auth/token", {
            "token": mint(signing_key), "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
        assert response.status_code == status, response.content[:2000]
    page = response.content.decode()
    assert "Token issuer is not allowed" in page
    # Several issuers: no single "trusted issuer" to name, and never "None".
    assert "trusts None" not in page
    assert "This API does not accept tokens of that issuer here" in page


def test_certificate_bound_token_is_never_kept_even_with_its_certificate(hold, settings,
                                                                         signing_key):
    # Through the trusted TLS proxy, the browser's own client certificate arrives with the
    # paste: it proves possession for that request, but a session must never hold a bound
    # token (the contract: "it can never be parked in a session").
    from tests.certs import Certificate
    cert = Certificate("browser")
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "MTLS_MODE": "allowed",
                          "MTLS_CLIENT_CERT_HEADER": "Client-Cert"}
    browser = Client(enforce_csrf_checks=True, HTTP_CLIENT_CERT=cert.rfc9440)
    browser.get("/auth/token")
    response = browser.post("/auth/token", {
        "token": mint(signing_key, cnf={"x5t#S256": cert.thumbprint}),
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 400, response.content[:500]
    assert "cannot be kept in a session" in response.content.decode()
    response = browser.get("/private", HTTP_ACCEPT="application/json")
    assert response.json() == {"error": "unauthorized", "message": "Authentication required"}


def test_a_certificate_bound_token_planted_in_a_session_is_refused_with_its_certificate(
        hold, settings, client, signing_key, caplog):
    from tests.certs import Certificate
    cert = Certificate("browser")
    settings.AUTH0_JWT = {**settings.AUTH0_JWT, "MTLS_MODE": "allowed",
                          "MTLS_CLIENT_CERT_HEADER": "Client-Cert"}
    client.cookies[django_settings.SESSION_COOKIE_NAME] = hold(
        mint(signing_key, cnf={"x5t#S256": cert.thumbprint}))
    with caplog.at_level(logging.WARNING, logger="auth0_jwt.security"):
        response = client.get("/private", HTTP_CLIENT_CERT=cert.rfc9440,
                              HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token",
                               "message": "Sender-constrained token cannot be used from a session"}
    assert [r.reason for r in caplog.records if r.name == "auth0_jwt.security"] == [
        "bound_token_in_session"]


def test_a_dpop_proof_never_turns_the_session_token_into_a_dpop_credential(hold, client,
                                                                           signing_key):
    # The session path is a bearer path: a proof beside it (even a valid one, for the held
    # DPoP-bound token and this very URL) is never what makes it pass.
    from tests.dpop_client import DPoPKey
    key = DPoPKey()
    url = "http://testserver/private"
    json = {"HTTP_ACCEPT": "application/json"}
    client.cookies[django_settings.SESSION_COOKIE_NAME] = hold(mint(signing_key))
    response = client.get("/private", HTTP_DPOP=key.proof(htu=url), **json)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "DPoP proof requires "
                               "the DPoP authentication scheme, not Bearer"}
    bound = mint(signing_key, cnf={"jkt": key.thumbprint()})
    client.cookies[django_settings.SESSION_COOKIE_NAME] = hold(bound)
    response = client.get("/private", HTTP_DPOP=key.proof(htu=url, access_token=bound),
                          **json)
    assert response.status_code == 401
    assert response.json()["message"] == ("DPoP-bound token must be sent with the DPoP scheme "
                                          "and a DPoP proof")
