import gc

import pytest

from auth0_jwt._ops.log_limits import forget_counts
from tests.issuer_server import IssuerServer
from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, SigningKey, mint


@pytest.fixture(scope="session")
def signing_key():
    return SigningKey("key-1")


@pytest.fixture(scope="session")
def other_key():
    """A second key pair, for rotation and wrong-key tests."""
    return SigningKey("key-2")


@pytest.fixture(scope="session")
def _jwks_server():
    server = JWKSServer().start()
    yield server
    server.stop()


@pytest.fixture
def jwks_server(_jwks_server, signing_key):
    """The loopback JWKS server, reset for each test and serving ``signing_key``."""
    _jwks_server.reset()
    _jwks_server.serve_keys(signing_key.jwk())
    yield _jwks_server
    _jwks_server.reset()


@pytest.fixture(scope="module")
def _server_b():
    """A second tenant's JWKS server, for several issuers."""
    server = JWKSServer().start()
    yield server
    server.stop()


@pytest.fixture
def server_b(_server_b, other_key):
    """The second tenant's JWKS server, reset for each test and serving ``other_key``."""
    _server_b.reset()
    _server_b.serve_keys(other_key.jwk())
    return _server_b


@pytest.fixture(scope="module")
def _issuer_server():
    server = IssuerServer().start()
    yield server
    server.stop()


@pytest.fixture
def issuer_server(_issuer_server, signing_key):
    """A loopback issuer publishing discovery metadata and ``signing_key`` in its JWKS."""
    _issuer_server.publish(signing_key.jwk())
    return _issuer_server


@pytest.fixture
def class_view():
    """``class_view(overrides)``: a view behind an ``Auth0JWTAuthentication`` subclass with its
    own settings; returns ``call(token, **headers)``. The classes are dropped afterwards
    (system checks look at every live subclass)."""
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from auth0_jwt import Auth0JWTAuthentication

    made = []

    def make(overrides):
        cls = type("PartnerAuthentication", (Auth0JWTAuthentication,),
                   {"auth0_jwt_settings": overrides, "__module__": __name__})
        view = type("PartnerView", (APIView,), {
            "authentication_classes": [cls], "permission_classes": [IsAuthenticated],
            "get": lambda self, request: Response({"user": request.user.sub})}).as_view()
        made.append(cls)

        def call(token=None, **headers):
            if token is not None:
                headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            return view(APIRequestFactory().get("/partner", **headers))

        return call

    yield make
    made.clear()
    gc.collect()


@pytest.fixture(autouse=True)
def fresh_log_limits():
    """The project's LOGGING limits per-request lines (auth0_jwt/_ops/log_limits.py): each
    test starts with fresh counts, as a new process would, and leaves none pending."""
    forget_counts()
    yield
    forget_counts()


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory):
    """The test run's own STATE_DIR (the DPoP replay file), not the machine-wide default."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture
def auth0_settings(settings, jwks_server, state_dir):
    """AUTH0_JWT pointing at the loopback JWKS server; each test gets a fresh verifier."""
    settings.AUTH0_JWT = {
        "ISSUER": ISSUER,
        "AUDIENCE": [AUDIENCE],
        "JWKS_URL": jwks_server.url,
        "JWKS_TIMEOUT": 2,
        "STATE_DIR": str(state_dir),
    }
    return settings


@pytest.fixture
def configure(auth0_settings):
    """Change AUTH0_JWT options for one test: ``configure(LEEWAY=30)``."""

    def apply(**options):
        auth0_settings.AUTH0_JWT = {**auth0_settings.AUTH0_JWT, **options}

    return apply


@pytest.fixture
def api(client, auth0_settings):
    """GET a route with an optional bearer token; returns the response."""

    def get(path, token=None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.get(path, **headers)

    return get


@pytest.fixture
def token(signing_key):
    def make(**claim_overrides):
        return mint(signing_key, **claim_overrides)

    return make


# The local issuer, the token page and the session-held token (tests/local_fixtures.py).
from tests.local_fixtures import (local_issuer, local_key_file, local_settings,  # noqa: E402,F401
                                  local_token)
