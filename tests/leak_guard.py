"""A leak guard for whole test modules: every request a test sends through Django's test client
is recorded, every log record (all loggers at DEBUG) is captured, and at teardown no token
segment or key material sent or served may appear in a log record or a response.

Use it by importing both fixtures into a test module::

    from tests.leak_guard import client, leak_guard  # noqa: F401

The ``request`` attribute Django attaches to its ``django.request`` records is left out: its
repr is the full path, query string included, i.e. a query token the client chose to put in
the URL (``test_secrets_not_leaked.test_query_tokens_leak_nothing_but_the_url_the_client_chose``).
"""
import logging
import re
from urllib.parse import parse_qsl

import pytest

from tests.hostile import public_key_forms
from tests.keys import b64url

LOGGERS = ("", "django", "django.request", "django.server", "auth0_jwt", "urllib3", "requests")
FORMATTER = logging.Formatter("%(levelname)s %(name)s %(message)s")
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def key_material(key):
    """The public key in every form it could be logged: JWK n, decimal n, PEM body, DER."""
    forms = public_key_forms(key)
    pem_lines = [line for line in forms["pem-spki"].decode().splitlines() if "-----" not in line]
    return [key.jwk()["n"], str(key.private.public_key().public_numbers().n),
            *[line for line in pem_lines if len(line) >= 40], b64url(forms["der-spki"])[:64]]


def token_material(token):
    """The whole token, its signature and its payload segment (the header is not secret)."""
    parts = token.split(".")
    return [token] + [part for part in parts[1:] if len(part) >= 16]


def rendered_logs(records, skip=()):
    lines = []
    for record in records:
        lines.append(FORMATTER.format(record))  # message, exc_info and stack_info
        lines += [f"{k}={v}" for k, v in vars(record).items()
                  if k not in STANDARD_ATTRIBUTES and k not in skip]
    return "\n".join(lines)


def rendered_response(response):
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{response.status_code}\n{headers}\n{response.content.decode('utf-8', 'replace')}"


def assert_nothing_leaked(texts, secrets):
    assert secrets, "the scenario sent no secret: the test would prove nothing"
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret {secret[:12]}... found in: {text[:300]}"


SEGMENT = re.compile(r"[A-Za-z0-9_-]{16,}")


def secrets_in(value):
    """The payload and signature segments (and the whole token) of a credential as sent."""
    token = value.split(None, 1)[-1] if " " in value.strip() else value.strip()
    parts = token.split(".")
    found = [part for part in parts[1:] if SEGMENT.fullmatch(part)]
    return found + ([token] if found else [])


@pytest.fixture
def client(client):
    """pytest-django's client, recording what each request carried and what it got back."""
    client.recorded = []
    send = client.request

    def request(**environ):
        response = send(**environ)
        client.recorded.append((environ, response))
        return response

    client.request = request
    return client


@pytest.fixture(autouse=True)
def leak_guard(client, caplog, signing_key, other_key):
    for name in LOGGERS:
        caplog.set_level("DEBUG", logger=name)
    yield
    assert_no_leaks(client.recorded, caplog.records,
                    key_material(signing_key) + key_material(other_key))


def assert_no_leaks(recorded, records, secrets):
    """``recorded``: (WSGI environ, response) pairs; ``records``: log records."""
    secrets = list(secrets)
    for environ, _ in recorded:
        for name in ("HTTP_AUTHORIZATION", "HTTP_DPOP"):
            secrets += secrets_in(str(environ.get(name, "")))
        for key, value in parse_qsl(environ.get("QUERY_STRING", "")):
            secrets += secrets_in(value) if key == "access_token" else []
    texts = [rendered_logs(records, skip={"request"})]
    texts += [rendered_response(response) for _, response in recorded]
    assert_nothing_leaked(texts, secrets)
