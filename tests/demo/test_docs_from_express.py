"""docs/from-express.md stays true: it names every option and export of
express-oauth2-jwt-bearer 1.10, and every setting and class it names here exists."""
import re
from pathlib import Path

import auth0_jwt
from auth0_jwt._settings import DEFAULTS

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "from-express.md").read_text()

SDK_OPTIONS = [
    "issuerBaseURL", "issuer", "jwksUri", "audience", "secret", "tokenSigningAlg", "publicKey",
    "mcd", "cooldownDuration", "timeoutDuration", "cacheMaxAge", "cache", "agent",
    "clockTolerance", "maxTokenAge", "strict", "validators", "authRequired", "dpop", "mtls",
    "getCertificate",
]
SDK_EXPORTS = [
    "auth()", "requiredScopes", "scopeIncludesAny", "claimEquals", "claimIncludes", "claimCheck",
    "UnauthorizedError", "InvalidRequestError", "InvalidTokenError", "InsufficientScopeError",
    "JWTPayload", "JWTHeader", "AuthResult", "Validator", "Validators", "FunctionValidator",
    "JSONPrimitive",
]
# Each SDK guard and its counterpart, as the guide must state it.
GUARDS = {"requiredScopes": "HasScope", "scopeIncludesAny": "HasAnyScope",
          "claimEquals": "ClaimEquals", "claimIncludes": "ClaimIncludes",
          "claimCheck": "ClaimCheck", "authRequired: false": "AllowAny"}


def table_rows():
    return [line for line in GUIDE.splitlines() if line.startswith("| ")]


def test_every_sdk_option_and_export_has_a_row():
    first_cells = " ".join(row.split("|")[1] for row in table_rows())
    missing = [name for name in SDK_OPTIONS + SDK_EXPORTS if f"`{name}" not in first_cells]
    assert missing == []


def test_every_sdk_guard_is_named_with_its_counterpart():
    for guard, ours in GUARDS.items():
        assert re.search(rf"`{re.escape(guard)}`\s+is\s+`{ours}`", GUIDE), guard


def test_every_setting_the_guide_names_exists():
    named = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})`", GUIDE))
    environment = {name for name in named if name.startswith(("AUTH0_", "HTTPS_", "NO_",
                                                              "CACHE_"))}
    sdk_environment = {"ISSUER_BASE_URL", "ISSUER", "JWKS_URI", "AUDIENCE", "SECRET",
                       "TOKEN_SIGNING_ALG"}
    rest_framework = {"DEFAULT_AUTHENTICATION_CLASSES", "EXCEPTION_HANDLER"}
    unknown = named - environment - sdk_environment - rest_framework - set(DEFAULTS)
    assert sorted(unknown) == []


def test_every_class_the_guide_names_is_public():
    named = set(re.findall(r"`(?:auth0_jwt\.)?((?:Has|Claim|Auth0JWT|Verified)[A-Za-z]+)", GUIDE))
    assert named and sorted(named - set(auth0_jwt.__all__)) == []
