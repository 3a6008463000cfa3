"""Fixtures for the local issuer, the token page and the session-held token.

Imported into ``conftest.py``, so every test module can use them.
"""
import pytest

from auth0_jwt._dev.local_issuer import LOCAL_AUDIENCE, LocalIssuer


@pytest.fixture(scope="session")
def local_key_file(tmp_path_factory):
    """One generated key file for the whole run (RSA generation is the slow part)."""
    path = tmp_path_factory.mktemp("local-issuer") / "issuer-key.pem"
    LocalIssuer(path).private_key()
    return path


@pytest.fixture
def local_settings(settings, local_key_file, tmp_path):
    """DEBUG on, no tenant: the local issuer, with the session-held token enabled (sessions in
    files under the test's own folder)."""
    settings.DEBUG = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    settings.SESSION_FILE_PATH = str(tmp_path)
    settings.AUTH0_JWT = {"LOCAL_ISSUER": True, "LOCAL_ISSUER_KEY_FILE": str(local_key_file),
                          "SESSION_TOKEN": True}
    return settings


@pytest.fixture
def local_issuer(local_key_file):
    return LocalIssuer(local_key_file)


@pytest.fixture
def local_token(local_issuer):
    """``local_token(sub=..., scope=..., **claims)``: a token from the local key."""

    def make(sub="local|alice", scope="read:messages", expires_in=3600, **claims):
        return local_issuer.mint(sub=sub, audience=LOCAL_AUDIENCE, scope=scope, claims=claims,
                                 expires_in=expires_in)

    return make


