"""Settings for the end-to-end run of tests/demo/test_sdk_gunicorn.py: the demo's settings, read
from the environment as a deployer sets them, plus what only code can say: an issuer resolver
(which issuers each host accepts), a validator, and a route whose authentication class has
settings of its own (tests/demo/sdk_urls.py)."""
import json
import os

from config.settings import *  # noqa: F401,F403
from config.settings import AUTH0_JWT

# {"<host>": ["<issuer>", ...]}: a fixed allowlist, never built from request data.
TENANT_HOSTS = json.loads(os.environ.get("SDK_TEST_TENANT_HOSTS", "{}"))


def issuers_for_host(request):
    return TENANT_HOSTS.get(request.get_host().split(":")[0], [])


def not_anonymous(sub, claims, header):
    return not sub.startswith("anon@")


AUTH0_JWT = {**AUTH0_JWT, "ISSUER_RESOLVER": "tests.demo.sdk_settings.issuers_for_host",
             "VALIDATORS": {"sub": not_anonymous}}
ALLOWED_HOSTS = ["127.0.0.1", *TENANT_HOSTS]
ROOT_URLCONF = "tests.demo.sdk_urls"
