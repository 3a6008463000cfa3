"""System checks: a misconfiguration stops startup with the setting's name and an example.

Run by ``manage.py check``/``runserver``/``migrate`` and, in this project, by ``config/wsgi.py``
before gunicorn serves, so a bad setting never surfaces as a traceback on the first request.
"""
import ipaddress
import re
import secrets
from numbers import Real
from pathlib import PurePath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from auth0_jwt._core.errors import ReplayStoreUnavailable
from auth0_jwt._core.jwks import RSA_ALGORITHMS
from auth0_jwt._core.static_keys import HMAC_ALGORITHMS
from auth0_jwt._core.replay_sqlite import SQLiteReplayStore
from auth0_jwt._dev.local_issuer import LocalKeyError, load_or_create_key
from auth0_jwt._core.proof_keys import SUPPORTED_ALGORITHMS as DPOP_SUPPORTED_ALGORITHMS
from auth0_jwt._ops import issuer_checks
from auth0_jwt._settings import DEFAULTS, SETTINGS_NAME, Auth0JWTSettings, auth0_settings

AUTHENTICATION_CLASS = "auth0_jwt.Auth0JWTAuthentication"
EXCEPTION_HANDLER = "auth0_jwt.exception_handler"
SESSION_MIDDLEWARE = ("django.contrib.sessions.middleware.SessionMiddleware",
                      "django.middleware.csrf.CsrfViewMiddleware")
# The session engine keeping the token: server side, so that "Forget token" revokes it.
COOKIE_SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
CACHE_SESSION_ENGINES = ("django.contrib.sessions.backends.cache",
                         "django.contrib.sessions.backends.cached_db")
SESSION_ENGINE_EXAMPLE = ("SESSION_ENGINE = 'django.contrib.sessions.backends.file' (with "
                          "SESSION_FILE_PATH = '/var/lib/myapi/sessions'), or "
                          "'django.contrib.sessions.backends.cache' with a shared cache such as "
                          "Redis")
DOMAIN_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?")
# Each numeric option: (minimum, allow None, example).
NUMBERS = {
    "LEEWAY": (0, False, "30"),
    "MAX_TOKEN_AGE": (1, True, "86400"),
    "MAX_TOKEN_LENGTH": (1, False, "16384"),
    "JWKS_TIMEOUT": (0.001, False, "5"),
    "JWKS_WAIT": (0, False, "1"),
    "JWKS_CACHE_LIFETIME": (0, False, "600"),
    "JWKS_REFETCH_COOLDOWN": (0, False, "30"),
    "JWKS_MAX_BYTES": (1, False, "100000"),
    "JWKS_RETRY_AFTER": (1, False, "30"),
    "DPOP_IAT_WINDOW": (1, False, "60"),
    "DPOP_IAT_LEEWAY": (0, False, "5"),
    "DPOP_NONCE_LIFETIME": (1, True, "300"),
}
DPOP_MODES = ("off", "allowed", "required")
REPLAY_STORES = ("file", "cache", "memory")
# Cache backends that keep data inside one process: other workers and hosts do not see it.
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)
# DummyCache.add() always answers "added": every replay would pass.
USELESS_CACHES = ("django.core.cache.backends.dummy.DummyCache",)
# Redis backends (Django's, django-redis) and the longest socket timeout that keeps a frozen
# Redis from holding a worker for long (seconds): with the circuit breaker, one DPoP request
# per worker waits that long every few seconds while Redis does not answer.
REDIS_CACHES = ("django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache")
MAX_REDIS_TIMEOUT = 1.0
REDIS_OPTIONS_EXAMPLE = "OPTIONS = {'socket_connect_timeout': 0.25, 'socket_timeout': 0.25}"
BOOLEANS = ("STRICT_RFC9068", "ALLOW_QUERY_TOKEN", "ALLOW_FORM_TOKEN", "JWKS_WARMUP",
            "LOCAL_ISSUER", "SESSION_TOKEN", "DISCOVERY")
# RFC 7230 section 3.2.6: a header field name is a token.
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
TENANT_EXAMPLE = "AUTH0_DOMAIN=dev-abc123.us.auth0.com"
# A value copied from a sample's .env and never filled in ("YOUR_DOMAIN", "{yourDomain}",
# "your-tenant.us.auth0.com", "https://your-api-identifier"): it names no tenant, so it must
# not pass for one (and so silently replace the local issuer in development).
PLACEHOLDER = re.compile(r"[{}<>]|\byour[-_ ]?(?:tenant|domain|api|audience|identifier|issuer)",
                         re.IGNORECASE)
PLACEHOLDER_EXAMPLES = {
    "DOMAIN": TENANT_EXAMPLE,
    "ISSUER": "AUTH0_ISSUER=https://login.example.com/",
    "AUDIENCE": "AUTH0_AUDIENCE=https://api.example.com",
}


def name(option):
    return f"{SETTINGS_NAME}['{option}']"


def error(option, problem, example, number):
    return Error(f"{name(option)} {problem}.", hint=f"Example: {example}",
                 obj=SETTINGS_NAME, id=f"auth0_jwt.E{number:03d}")


@register(Tags.security)
def check_settings(app_configs=None, **kwargs):
    user_settings = getattr(settings, SETTINGS_NAME, None) or {}
    if not isinstance(user_settings, dict):
        return [Error(f"{SETTINGS_NAME} must be a dict.", hint="Example: AUTH0_JWT = "
                      "{'DOMAIN': 'dev-abc123.us.auth0.com', 'AUDIENCE': 'https://api.example.com'}",
                      obj=SETTINGS_NAME, id="auth0_jwt.E000")]
    unknown = sorted(set(user_settings) - set(DEFAULTS))
    problems = [error(option, "is not a known setting", f"one of {', '.join(DEFAULTS)}", 1)
                for option in unknown]
    return (problems + check_tenant() + check_algorithms() + check_numbers()
            + check_booleans() + check_realm() + check_dpop() + check_cache_aliases()
            + check_client_ip_header() + check_session_token()
            + check_token_cache() + check_placeholders() + check_user_class()
            + issuer_checks.check_validators(auth0_settings)
            + issuer_checks.check_mtls(auth0_settings))


def check_tenant(config=None):
    config = config or auth0_settings
    if config.LOCAL_ISSUER is True:
        return check_local_issuer(config)
    if config.ISSUERS is not None:
        return issuer_checks.check_issuers(config) + check_audience(config)
    problems = []
    if is_placeholder(config.DOMAIN):
        pass  # check_placeholders() says so; its syntax is beside the point
    elif config.DOMAIN is not None and (problem := domain_problem(config.DOMAIN)):
        problems.append(error("DOMAIN", f"is not a domain name ({shown(config.DOMAIN)}): "
                              f"{problem}", TENANT_EXAMPLE, 2))
    elif not config.DOMAIN and not config.ISSUER:
        problems.append(error("DOMAIN", "is not set (nor ISSUER), so no token can be trusted "
                              f"({local_issuer_advice()})", TENANT_EXAMPLE, 3))
    if (config.ISSUER is not None and not is_placeholder(config.ISSUER)
            and not _is_http_url(config.ISSUER)):
        problems.append(error("ISSUER", "must be the exact 'iss' URL of the tenant",
                              "AUTH0_ISSUER=https://login.example.com/", 4))
    problems += check_audience(config)
    problems += check_jwks_url(config)
    if not problems:
        problems += issuer_checks.check_single_issuer(config)
    return problems


def local_issuer_advice():
    # With DEBUG already on, "only runs with DEBUG on" sent developers of their own project
    # looking for the wrong switch: there the missing one is LOCAL_ISSUER.
    if settings.DEBUG:
        return "to develop without a tenant, set LOCAL_ISSUER to True: DEBUG only"
    return "the local issuer only runs with DEBUG on"


def check_audience(config):
    if not config.audiences or not _is_audience_setting(config.AUDIENCE):
        return [error("AUDIENCE", "is not set: it must be the API identifier(s)",
                      "AUTH0_AUDIENCE=https://api.example.com", 5)]
    return []


def domain_problem(domain):
    """Why ``domain`` is not a bare host name (an optional port allowed), or None."""
    if not isinstance(domain, str):
        return "it must be a string"
    if not domain:
        return "it is empty"
    if "://" in domain:
        return "write the host name alone, without its scheme"
    if "/" in domain:
        return "write the host name alone, without a path"
    if not DOMAIN_PATTERN.fullmatch(domain):
        return "it holds characters a host name cannot have"
    if "." not in domain.partition(":")[0]:
        return "a tenant's domain has at least one dot"
    return None


def check_placeholders():
    """A sample's placeholder left in place is an error, never a tenant or an audience."""
    problems = []
    for option, example in PLACEHOLDER_EXAMPLES.items():
        value = getattr(auth0_settings, option)
        found = [v for v in (value if isinstance(value, (list, tuple)) else [value])
                 if is_placeholder(v)]
        if found:
            problems.append(Error(
                f"{name(option)} is a placeholder ({shown(found[0])}), not a real value.",
                hint=f"Example: {example} (your tenant's values: Auth0 Dashboard > "
                     "Applications > APIs > your API). To develop without a tenant, leave "
                     "it unset and use the local issuer (LOCAL_ISSUER, DEBUG only).",
                obj=SETTINGS_NAME, id="auth0_jwt.E033"))
    return problems


def is_placeholder(value):
    return isinstance(value, str) and bool(PLACEHOLDER.search(value))


def shown(value):
    """A setting's value for a message: quoted, printable, short (settings hold no secret
    here, but a message is no place for a page of text)."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def check_local_issuer(config):
    """The local issuer: development only, never beside a tenant, with a usable key file."""
    if not settings.DEBUG:
        return [error("LOCAL_ISSUER", "is on but DEBUG is off: the local issuer is for "
                      "development only; set a tenant instead", TENANT_EXAMPLE, 16)]
    if config.DOMAIN or config.ISSUER or config.ISSUERS:
        return [error("LOCAL_ISSUER", "is on while DOMAIN, ISSUER or ISSUERS names a tenant; "
                      "use one or the other", "LOCAL_ISSUER = False with "
                      + TENANT_EXAMPLE, 17)]
    if config.AUDIENCE is not None and not _is_audience_setting(config.AUDIENCE):
        return [error("AUDIENCE", "must be a string or a list of strings",
                      "AUTH0_AUDIENCE=https://api.example.com", 5)]
    return check_local_key()


def check_local_key():
    """Create or read the key now, so a bad key file stops startup, not the first request."""
    path = auth0_settings.LOCAL_ISSUER_KEY_FILE
    if not isinstance(path, (str, PurePath)) or not str(path):
        return [error("LOCAL_ISSUER_KEY_FILE", "must be a file path", "'.local/issuer-key.pem'",
                      14)]
    try:
        load_or_create_key(path)
    except (OSError, LocalKeyError) as exc:
        reason = str(exc) if isinstance(exc, LocalKeyError) else (
            f"{path} cannot be read or created ({exc.strerror or type(exc).__name__})")
        message = f"is unusable: {reason.rstrip('.')}"
        return [error("LOCAL_ISSUER_KEY_FILE", message, "'.local/issuer-key.pem'", 18)]
    return []


def check_jwks_url(config):
    url = config.jwks_url
    if config.JWKS_URL is not None and not _is_http_url(config.JWKS_URL):
        return [error("JWKS_URL", "must be an http(s) URL",
                      "AUTH0_JWKS_URL=https://dev-abc123.us.auth0.com/.well-known/jwks.json", 6)]
    if url and _is_http_url(url) and urlsplit(url).scheme != "https" and not _is_loopback(url):
        return [error("JWKS_URL", "must use https (plain http is only allowed on loopback)",
                      "AUTH0_JWKS_URL=https://dev-abc123.us.auth0.com/.well-known/jwks.json", 7)]
    return []


def check_algorithms(config=None):
    config = config or auth0_settings
    algorithms = config.ALGORITHMS
    if config.SECRET and config.ISSUERS is None:
        return []  # HS* only: checked with the secret (issuer_checks.check_secret)
    if (isinstance(algorithms, (list, tuple)) and algorithms
            and all(isinstance(a, str) and a in RSA_ALGORITHMS for a in algorithms)):
        return []
    return [error("ALGORITHMS", f"must be a non-empty list of {', '.join(sorted(RSA_ALGORITHMS))}"
                  f" ({', '.join(sorted(HMAC_ALGORITHMS))} only with a SECRET)", "['RS256']", 8)]


def check_numbers():
    problems = []
    for option, (minimum, optional, example) in NUMBERS.items():
        value = getattr(auth0_settings, option)
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, Real) or value < minimum:
            problems.append(error(option, f"must be a number of at least {minimum}"
                                  + (" (or None)" if optional else ""), example, 9))
    return problems


def check_booleans():
    return [error(option, "must be True or False", "False", 10)
            for option in BOOLEANS if not isinstance(getattr(auth0_settings, option), bool)]


def check_realm():
    realm = auth0_settings.REALM
    if isinstance(realm, str) and realm and re.fullmatch(r"[\x20\x21\x23-\x5b\x5d-\x7e]+", realm):
        return []
    return [error("REALM", "must be printable text without quotes or backslashes", "'api'", 11)]


def check_dpop():
    problems = []
    if auth0_settings.DPOP_MODE not in DPOP_MODES:
        problems.append(error("DPOP_MODE", f"must be one of {', '.join(map(repr, DPOP_MODES))}",
                              "AUTH0_DPOP_MODE=allowed", 12))
    algorithms = auth0_settings.DPOP_ALGORITHMS
    if not (isinstance(algorithms, (list, tuple)) and algorithms and all(
            isinstance(a, str) and a in DPOP_SUPPORTED_ALGORITHMS for a in algorithms)):
        problems.append(error("DPOP_ALGORITHMS", "must be a non-empty list of "
                              + ", ".join(DPOP_SUPPORTED_ALGORITHMS), "['ES256', 'PS256']", 13))
    return problems


def check_cache_aliases():
    caches = getattr(settings, "CACHES", {}) or {}
    alias = auth0_settings.JWKS_SHARED_CACHE
    if alias is not None and (not isinstance(alias, str) or alias not in caches):
        return [error("JWKS_SHARED_CACHE", "must be None or an alias of settings.CACHES",
                      "'default'", 14)]
    return check_replay_store(caches)


def check_replay_store(caches):
    """Which store remembers DPoP proofs, and whether every worker (and host) sees it."""
    kind = auth0_settings.DPOP_REPLAY_STORE
    if kind not in REPLAY_STORES:
        return [error("DPOP_REPLAY_STORE", f"must be one of {', '.join(map(repr, REPLAY_STORES))}",
                      "'file'", 34)]
    if kind == "cache":
        return check_replay_cache(caches)
    if auth0_settings.DPOP_MODE == "off":
        return check_state_dir_setting()
    if kind == "memory":
        return [per_process_replay_warning("DPOP_REPLAY_STORE is 'memory'")]
    return check_state_dir_setting() or check_replay_file()


def check_replay_cache(caches):
    alias = auth0_settings.DPOP_REPLAY_CACHE
    if not isinstance(alias, str) or alias not in caches:
        return [error("DPOP_REPLAY_CACHE", "must be an alias of settings.CACHES (the "
                      "DPOP_REPLAY_STORE is 'cache')", "'default'", 14)]
    if auth0_settings.DPOP_MODE == "off":
        return []
    backend = caches[alias].get("BACKEND")
    if backend in USELESS_CACHES:
        return [error("DPOP_REPLAY_CACHE", f"names the cache '{alias}' whose backend "
                      "(DummyCache) stores nothing, so DPoP replays would not be detected",
                      "CACHE_URL=redis://127.0.0.1:6379/0", 15)]
    if backend in PER_PROCESS_CACHES:
        return [per_process_replay_warning(f"the cache '{alias}' is LocMemCache")]
    if backend in REDIS_CACHES and not has_short_timeout(caches[alias]):
        return [Warning(
            f"{name('DPOP_REPLAY_CACHE')}: the Redis cache '{alias}' has no socket_timeout of "
            f"at most {MAX_REDIS_TIMEOUT:g} s, so a Redis that stops answering holds DPoP "
            "requests (and their workers) until the operating system gives up.",
            hint=f"In CACHES['{alias}']: {REDIS_OPTIONS_EXAMPLE}", obj=SETTINGS_NAME,
            id="auth0_jwt.W004")]
    return []


def per_process_replay_warning(reason):
    return Warning(
        f"{name('DPOP_REPLAY_STORE')}: DPoP replays are only detected within one process "
        f"({reason}).",
        hint="Fine for a single process (runserver, gunicorn -w 1). For every worker of a "
             "host use the default, DPOP_REPLAY_STORE = 'file'; for several hosts, 'cache' "
             "with Redis (CACHE_URL=redis://127.0.0.1:6379/0).",
        obj=SETTINGS_NAME, id="auth0_jwt.W003")


def has_short_timeout(cache):
    """The cache's OPTIONS set ``socket_timeout`` (any case) to at most MAX_REDIS_TIMEOUT."""
    options = {str(key).lower(): value for key, value in (cache.get("OPTIONS") or {}).items()}
    timeout = options.get("socket_timeout")
    return (isinstance(timeout, Real) and not isinstance(timeout, bool)
            and 0 < timeout <= MAX_REDIS_TIMEOUT)


def check_state_dir_setting():
    value = auth0_settings.STATE_DIR
    if value is None or (isinstance(value, (str, PurePath)) and str(value)):
        return []
    return [error("STATE_DIR", "must be a folder path or None", "'/var/lib/myapi'", 35)]


def check_replay_file():
    """Open the shared file now (creating it), so an unusable folder stops startup rather
    than answering 503 to every DPoP request."""
    from auth0_jwt._ops.runtime import replay_file

    path = replay_file(auth0_settings)
    store = SQLiteReplayStore(path, upkeep_interval=None)
    try:
        store.seen_before(f"system-check:{secrets.token_hex(16)}", 1)
    except ReplayStoreUnavailable as exc:
        cause = exc.__cause__
        reason = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
        return [error("STATE_DIR", f"holds the DPoP replay store, which cannot be used: {path}: "
                      f"{reason}", "AUTH0_JWT['STATE_DIR'] = '/var/lib/myapi' (a local folder "
                      "the server's user owns)", 36)]
    finally:
        store.close()
    return []


def check_client_ip_header():
    header = auth0_settings.CLIENT_IP_HEADER
    if header is None or (isinstance(header, str) and HEADER_NAME.fullmatch(header)):
        return []
    return [error("CLIENT_IP_HEADER", "must be an HTTP header name or None",
                  "'X-Forwarded-For'", 20)]


def check_session_token():
    """The session-held token needs sessions, CSRF protection for the token page, and a
    session store on the server (the cookie must not carry the token)."""
    if auth0_settings.SESSION_TOKEN is not True:
        return []
    installed = getattr(settings, "MIDDLEWARE", [])
    missing = [m for m in SESSION_MIDDLEWARE if not _has_middleware(installed, m)]
    if missing:
        return [error("SESSION_TOKEN", f"needs {' and '.join(missing)} in MIDDLEWARE",
                      f"MIDDLEWARE = [..., {', '.join(repr(m) for m in SESSION_MIDDLEWARE)}]",
                      19)]
    return check_session_engine()


def check_session_engine():
    engine = getattr(settings, "SESSION_ENGINE", "")
    if engine == COOKIE_SESSION_ENGINE:
        return [error("SESSION_TOKEN", "needs a server-side session engine: with "
                      "signed_cookies the token itself travels in the cookie, readable, and "
                      "'Forget token' cannot revoke it", SESSION_ENGINE_EXAMPLE, 40)]
    if engine in CACHE_SESSION_ENGINES:
        alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
        backend = (getattr(settings, "CACHES", {}) or {}).get(alias, {}).get("BACKEND")
        if backend in PER_PROCESS_CACHES + USELESS_CACHES:
            return [Warning(
                f"{name('SESSION_TOKEN')}: sessions are kept in the cache '{alias}', which "
                "other processes do not see: a token held on one worker is unknown to others.",
                hint="Fine for a single process. Otherwise: " + SESSION_ENGINE_EXAMPLE,
                obj=SETTINGS_NAME, id="auth0_jwt.W040")]
    return []


def check_user_class():
    """``USER_CLASS`` must import now, not at the first authenticated request."""
    user_class = auth0_settings.USER_CLASS
    try:
        resolved = import_string(user_class) if isinstance(user_class, str) else user_class
    except ImportError as exc:
        return [error("USER_CLASS", f"cannot be imported ({exc})", "'auth0_jwt.TokenUser'", 41)]
    if not callable(resolved):
        return [error("USER_CLASS", "must be a class (or callable) taking the verified token",
                      "'auth0_jwt.TokenUser'", 41)]
    return []


def check_token_cache():
    size = auth0_settings.TOKEN_CACHE_SIZE
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        return []
    return [error("TOKEN_CACHE_SIZE", "must be a whole number of tokens, 0 to disable the cache",
                  "AUTH0_TOKEN_CACHE_SIZE=1024", 21)]


@register(Tags.security)
def check_authentication_classes(app_configs=None, **kwargs):
    """Each ``Auth0JWTAuthentication`` subclass with ``auth0_jwt_settings`` of its own."""
    from auth0_jwt._drf.authentication import Auth0JWTAuthentication

    _load_urlconf()  # views (and the classes they name) are imported with the URLconf
    problems = []
    for cls in _subclasses(Auth0JWTAuthentication):
        if cls.__dict__.get("auth0_jwt_settings") is None:
            continue
        found = issuer_checks.check_class_overrides(cls)
        if not found:
            config = Auth0JWTSettings(overrides=cls.auth0_jwt_settings)
            found = (check_tenant(config) + check_algorithms(config)
                     + issuer_checks.check_validators(config))
            found = [_for_class(cls, problem) for problem in found]
        problems += found
    return problems


def _subclasses(cls):
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _for_class(cls, problem):
    where = f"{cls.__module__}.{cls.__qualname__}.auth0_jwt_settings"
    return Error(f"{where}: {problem.msg}", hint=problem.hint, obj=where, id=problem.id)


def _load_urlconf():
    try:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018  (imports the views)
    except Exception:  # Django's own URL checks report a broken URLconf
        pass


@register(Tags.security)
def check_rest_framework(app_configs=None, **kwargs):
    from auth0_jwt._drf.authentication import Auth0JWTAuthentication
    from auth0_jwt._drf.handlers import exception_handler

    rest_framework = getattr(settings, "REST_FRAMEWORK", {}) or {}
    classes = [_resolve(path) for path in rest_framework.get("DEFAULT_AUTHENTICATION_CLASSES", [])]
    ours = [c for c in classes if isinstance(c, type) and issubclass(c, Auth0JWTAuthentication)]
    problems = []
    if ours and classes[0] is not ours[0]:
        problems.append(Warning(
            f"{AUTHENTICATION_CLASS} is not the first authentication class.",
            hint="DRF takes the 401 WWW-Authenticate challenge from the first class only; "
                 "list Auth0JWTAuthentication first.", obj="REST_FRAMEWORK", id="auth0_jwt.W001"))
    if _resolve(rest_framework.get("EXCEPTION_HANDLER")) is not exception_handler:
        problems.append(Warning(
            "REST_FRAMEWORK['EXCEPTION_HANDLER'] is not the auth0_jwt handler.",
            hint=f"Set it to '{EXCEPTION_HANDLER}' for the documented error bodies and "
                 "WWW-Authenticate headers.", obj="REST_FRAMEWORK", id="auth0_jwt.W002"))
    return problems


def _resolve(path):
    """The object a dotted path names (any spelling of it), or None."""
    if not isinstance(path, str):
        return path
    try:
        return import_string(path)
    except ImportError:
        return None


def _is_http_url(value):
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_loopback(url):
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_audience_setting(audience):
    if isinstance(audience, str):
        return True
    return isinstance(audience, (list, tuple)) and all(isinstance(a, str) for a in audience)


def _has_middleware(installed, required):
    """``required`` (a dotted path) or a subclass of it is in ``installed``."""
    if required in installed:
        return True
    base = import_string(required)
    for path in installed:
        try:
            candidate = import_string(path)
        except ImportError:
            continue
        if isinstance(candidate, type) and issubclass(candidate, base):
            return True
    return False
