"""System checks for whom to trust and how: several issuers, the key source of each (JWKS URL,
discovery, a public key, a secret), custom validators, mTLS, and the settings of each
authentication class. Each problem names the setting and shows an example (see ``checks.py``).
"""
import inspect
import re
from urllib.parse import urlsplit

from django.core.checks import Error
from django.utils.module_loading import import_string

from auth0_jwt._core.discovery import is_fetchable_url
from auth0_jwt._core.jwks import RSA_ALGORITHMS
from auth0_jwt._core.mtls import MODES as MTLS_MODES
from auth0_jwt._core.static_keys import (HMAC_ALGORITHMS, KeyConfigurationError, SecretKeySource,
                                         StaticKeySource)
from auth0_jwt._core.validators import ClaimValidators, ValidatorConfigurationError
from auth0_jwt._settings import KEY_SOURCES, PER_CLASS_SETTINGS, SETTINGS_NAME, default_jwks_url

ENTRY_KEYS = ("ISSUER", "DOMAIN", "ALGORITHMS") + KEY_SOURCES
SINGLE_ISSUER_SETTINGS = ("DOMAIN", "ISSUER", "JWKS_URL", "PUBLIC_KEY", "SECRET")
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # RFC 7230 section 3.2.6 token
DOMAIN_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?")

EXAMPLE_ISSUERS = ("AUTH0_ISSUERS=https://brand-a.example.com/,https://brand-b.example.com/")
EXAMPLE_PUBLIC_KEY = "'-----BEGIN PUBLIC KEY-----\\nMIIBIjANBg...\\n-----END PUBLIC KEY-----'"
EXAMPLE_SECRET = "AUTH0_SIGNING_SECRET=<at least 32 random bytes, e.g. from openssl rand -hex 32>"
EXAMPLE_JWKS = "AUTH0_JWKS_URL=https://dev-abc123.us.auth0.com/.well-known/jwks.json"


def error(option, problem, example, number):
    """``option``: a setting name, or the path to a value inside one: ("ISSUERS", 0, "SECRET")."""
    parts = (option,) if isinstance(option, str) else option
    name = SETTINGS_NAME + "".join(f"[{part!r}]" for part in parts)
    return Error(f"{name} {problem}.", hint=f"Example: {example}", obj=SETTINGS_NAME,
                 id=f"auth0_jwt.E{number:03d}")


# -- one issuer or several ------------------------------------------------------------------


def check_issuers(config):
    """``ISSUERS`` (several issuers), exclusive with the single-issuer settings."""
    mixed = [name for name in SINGLE_ISSUER_SETTINGS if getattr(config, name)]
    if mixed:
        return [error("ISSUERS", f"is set together with {', '.join(mixed)}: use ISSUERS alone "
                      "(one entry per issuer) or the single-issuer settings", EXAMPLE_ISSUERS,
                      23)]
    entries = config.ISSUERS
    if not isinstance(entries, (list, tuple)) or not entries:
        return [error("ISSUERS", "must be a non-empty list of issuer URLs or dicts",
                      EXAMPLE_ISSUERS, 22)]
    problems, seen = [], set()
    for index, entry in enumerate(entries):
        found = check_entry(entry, config, ("ISSUERS", index))
        problems += found
        issuer = entry if isinstance(entry, str) else _entry_issuer(entry)
        if not found and issuer in seen:
            problems.append(error(("ISSUERS", index), "repeats an issuer", EXAMPLE_ISSUERS, 22))
        seen.add(issuer)
    return problems + check_resolver(config)


def check_entry(entry, config, option):
    if isinstance(entry, str):
        if not _is_http_url(entry):
            return [error(option, "must be the exact 'iss' URL of an issuer", EXAMPLE_ISSUERS,
                          22)]
        return check_key_source({"ISSUER": entry}, config, option)
    if not isinstance(entry, dict):
        return [error(option, "must be an issuer URL or a dict", EXAMPLE_ISSUERS, 22)]
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        return [error(option, f"has unknown keys {', '.join(map(str, unknown))}",
                      f"{{'ISSUER': 'https://login.example.com/', 'JWKS_URL': ...}} (keys: "
                      f"{', '.join(ENTRY_KEYS)})", 22)]
    if ("ISSUER" in entry) == ("DOMAIN" in entry):
        return [error(option, "needs exactly one of ISSUER or DOMAIN",
                      "{'DOMAIN': 'brand-a.eu.auth0.com'}", 22)]
    if "DOMAIN" in entry and not (isinstance(entry["DOMAIN"], str)
                                  and DOMAIN_PATTERN.fullmatch(entry["DOMAIN"])):
        return [error(option, "DOMAIN must be a bare host name", "{'DOMAIN': "
                      "'brand-a.eu.auth0.com'}", 22)]
    if "ISSUER" in entry and not _is_http_url(entry["ISSUER"]):
        return [error(option, "ISSUER must be the exact 'iss' URL of the issuer",
                      "{'ISSUER': 'https://login.example.com/'}", 22)]
    return check_key_source({**entry, "ISSUER": _entry_issuer(entry)}, config, option)


def check_resolver(config):
    resolver = config.ISSUER_RESOLVER
    if resolver is None:
        return []
    example = "'myproject.tenants.allowed_issuers' (a function: request -> issuer URLs)"
    if config.ISSUERS is None:
        return [error("ISSUER_RESOLVER", "needs ISSUERS: it selects among the configured "
                      "issuers, never adds one", example, 24)]
    if isinstance(resolver, str):
        try:
            resolver = import_string(resolver)
        except ImportError:
            return [error("ISSUER_RESOLVER", "cannot be imported", example, 24)]
    if not callable(resolver) or inspect.iscoroutinefunction(resolver):
        return [error("ISSUER_RESOLVER", "must be a synchronous function of the request",
                      example, 24)]
    return []


def check_single_issuer(config):
    """The key source of the one issuer of ``DOMAIN`` / ``ISSUER``."""
    if config.ISSUER_RESOLVER is not None:
        return check_resolver(config)
    entry = {name: getattr(config, name) for name in KEY_SOURCES if getattr(config, name)}
    if config.JWKS_URL is None and not entry:
        return []  # the default JWKS URL (checks.check_jwks_url)
    return check_key_source({**entry, "ISSUER": config.issuer}, config, ())


# -- where the keys come from ---------------------------------------------------------------


def check_key_source(entry, config, option):
    """At most one key source, and that one usable with the issuer's ALGORITHMS."""
    given = [name for name in KEY_SOURCES if entry.get(name)]
    if len(given) > 1:
        where = option or given[0]
        return [error(where, f"{'sets' if option else 'is set with'} "
                      f"{' and '.join(given if option else given[1:])}: one key source per "
                      "issuer", EXAMPLE_JWKS, 25)]
    algorithms = entry.get("ALGORITHMS") or config.ALGORITHMS
    source = given[0] if given else (
        "DISCOVERY" if entry.get("DISCOVERY", config.DISCOVERY) is True else "JWKS_URL")
    name = (*option, source)
    if source == "SECRET":
        return check_secret(entry["SECRET"], algorithms, name, option)
    if option and "ALGORITHMS" in entry and not _all_in(entry["ALGORITHMS"], RSA_ALGORITHMS):
        return [error((*option, "ALGORITHMS"), "must be a non-empty list of "
                      + ", ".join(sorted(RSA_ALGORITHMS)) + " (HS* only with a SECRET)",
                      "['RS256']", 8)]
    if source == "PUBLIC_KEY":
        return check_public_key(entry["PUBLIC_KEY"], algorithms, name)
    if source == "DISCOVERY":
        return check_discovery(entry.get("DISCOVERY", True), entry["ISSUER"], name)
    url = entry.get("JWKS_URL") or default_jwks_url(entry["ISSUER"])
    if option and not is_fetchable_url(url):
        # (one issuer: checks.check_jwks_url says it with the variable's name)
        return [error(name, f"{'' if entry.get('JWKS_URL') else '(derived from the issuer) '}"
                      "must be an https URL (plain http only on loopback)", EXAMPLE_JWKS, 7)]
    return []


def check_secret(secret, algorithms, name, option):
    if not _all_in(algorithms, HMAC_ALGORITHMS):
        where = (*option, "ALGORITHMS")
        return [error(where, "must be HS256, HS384 or HS512 (and only those) with a SECRET: "
                      "a shared secret never sits beside asymmetric keys", "['HS256']", 8)]
    try:
        SecretKeySource(secret, algorithms)
    except KeyConfigurationError as exc:
        # The message never contains the secret (static_keys.py).
        return [error(name, str(exc), EXAMPLE_SECRET, 27)]
    return []


def check_public_key(public_key, algorithms, name):
    try:
        StaticKeySource(public_key, algorithms)
    except KeyConfigurationError as exc:
        return [error(name, str(exc), EXAMPLE_PUBLIC_KEY, 26)]
    return []


def check_discovery(value, issuer, name):
    if value is not True:
        return [error(name, "must be True or False", "AUTH0_DISCOVERY=true", 10)]
    if not is_fetchable_url(issuer):
        return [error(name, "needs an https issuer (plain http only on loopback): the "
                      "metadata is fetched from it", "AUTH0_ISSUER=https://login.example.com/",
                      32)]
    return []


# -- validators, mTLS -----------------------------------------------------------------------


def check_validators(config):
    validators = config.VALIDATORS
    if validators is None:
        return []
    try:
        ClaimValidators(validators)
    except ValidatorConfigurationError as exc:
        return [error("VALIDATORS", str(exc), "{'org_id': 'org_123', 'iss': lambda iss, "
                      "claims, header: iss in TENANT_ISSUERS}", 28)]
    return []


def check_mtls(config):
    problems = []
    if config.MTLS_MODE not in MTLS_MODES:
        problems.append(error("MTLS_MODE", f"must be one of {', '.join(map(repr, MTLS_MODES))}",
                              "AUTH0_MTLS_MODE=allowed", 29))
    header = config.MTLS_CLIENT_CERT_HEADER
    if header is not None and not (isinstance(header, str) and HEADER_NAME.fullmatch(header)):
        problems.append(error("MTLS_CLIENT_CERT_HEADER", "must be an HTTP header name or None",
                              "AUTH0_MTLS_CLIENT_CERT_HEADER=Client-Cert", 30))
    elif header is None and config.MTLS_MODE in ("allowed", "required"):
        problems.append(error("MTLS_CLIENT_CERT_HEADER", "is not set, so no client certificate "
                              "can be seen: name the header your TLS proxy sets (and strips "
                              "from client requests)", "AUTH0_MTLS_CLIENT_CERT_HEADER=Client-Cert",
                              30))
    return problems


# -- settings per authentication class ------------------------------------------------------


def check_class_overrides(cls):
    """The ``auth0_jwt_settings`` of one authentication class: known, per-class settings."""
    overrides = cls.auth0_jwt_settings
    prefix = f"{cls.__module__}.{cls.__qualname__}.auth0_jwt_settings"
    if not isinstance(overrides, dict):
        return [Error(f"{prefix} must be a dict of AUTH0_JWT settings.",
                      hint="Example: {'AUDIENCE': 'https://partner-api.example.com'}",
                      obj=prefix, id="auth0_jwt.E031")]
    wrong = sorted(set(overrides) - set(PER_CLASS_SETTINGS))
    if wrong:
        return [Error(f"{prefix} sets {', '.join(map(str, wrong))}, which only the project's "
                      f"{SETTINGS_NAME} can set.", hint="Per class: "
                      + ", ".join(PER_CLASS_SETTINGS), obj=prefix, id="auth0_jwt.E031")]
    return []


def _entry_issuer(entry):
    if entry.get("ISSUER"):
        return entry["ISSUER"]
    return f"https://{entry['DOMAIN']}/" if entry.get("DOMAIN") else None


def _all_in(values, allowed):
    return (isinstance(values, (list, tuple)) and bool(values)
            and all(isinstance(v, str) and v in allowed for v in values))


def _is_http_url(value):
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
