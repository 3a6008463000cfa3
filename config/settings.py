"""Django settings for the demo API, from the environment and an optional ``.env`` file.

Values are read here; they are validated by system checks (``auth0_jwt/_ops/checks.py`` and
``config/checks.py``), which name the variable and show an example when one is wrong.
"""
import secrets
import warnings
from pathlib import Path

import environ
from corsheaders.defaults import default_headers

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Real environment variables win over .env (read_env does not overwrite them).
    env.read_env(str(BASE_DIR / ".env"))


def env_number(name, default, cast=float):
    """A number from the environment; an unparsable value is kept for the system check."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        return raw


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY_FROM_ENV = bool(env.str("DJANGO_SECRET_KEY", default=""))
# With DEBUG off and no key, config/checks.py stops startup; the random stand-in only lets
# Django get that far (it refuses an empty SECRET_KEY before any check can run).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (
    "django-insecure-development-only-key-do-not-use-in-production" if DEBUG
    else secrets.token_urlsafe(50))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS",
                         default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    # First: its runserver (config/management/commands) extends staticfiles' one.
    "config.apps.ProjectConfig",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not from a CDN
    "auth0_jwt",
    "api",
]

MIDDLEWARE = [
    # First, so that error responses carry the CORS headers too. django-cors-headers' own,
    # minus reading every header when there is no Origin (config/fastpath.py).
    "config.fastpath.CorsMiddleware",
    # Before anything reads the Host header or the body: a request Django cannot read (bad
    # Host, too many fields, body too large, broken multipart) is a JSON 400 and a warning.
    "auth0_jwt.ClientErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware (WhiteNoise's docs): static files for the browsable API,
    # served by the app itself under gunicorn.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    # For the token page and the browsable API's session-held token (auth0_jwt/_drf/session.py);
    # API views are CSRF-exempt as always, the session class enforces CSRF itself. The
    # session middleware is Django's, standing aside while AUTH0_JWT['SESSION_TOKEN'] is off
    # (config/fastpath.py); the CSRF one stays as is (check --deploy looks for it by name).
    "config.fastpath.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "auth0_jwt.csrf_failure"

# The session holds only a pasted token (AUTH0_JWT["SESSION_TOKEN"]), on the server, never in
# the cookie, so that "Forget token" and the token's expiry end it on every worker: files in the
# project's state folder (one host), or the shared cache when CACHE_URL is set (several hosts).
SESSION_FILE_PATH = env.str("DJANGO_SESSION_FILE_PATH", default="") or str(
    BASE_DIR / ".local" / "sessions")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False  # routes accept an optional trailing slash themselves

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

# The API keeps no state of its own: tokens carry the identity.
DATABASES = {}

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# After `manage.py collectstatic` (make serve runs it), WhiteNoise serves compressed copies
# under hashed names, cached for good by browsers. Without it (DEBUG, tests, a first boot),
# files are served straight from the apps' static folders, so the browsable API and /api/docs
# never fail for want of a collectstatic step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "config.storage.ManifestIfCollectedStorage"},
}
WHITENOISE_USE_FINDERS = True

# Without collectstatic WhiteNoise warns that STATIC_ROOT is missing; the finders serve instead.
warnings.filterwarnings("ignore", message=r"No directory at: ", category=UserWarning)

# -- HTTPS and proxies (python manage.py check --deploy) ---------------------------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto and X-Forwarded-For (and strips
# them from client requests): tell Django so, or every request looks like plain http.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Opt-in: without DJANGO_BEHIND_PROXY a proxy's https requests would look like http and loop.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Load balancers probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
# RFC 6797: opt-in, because browsers remember it for the whole max-age.
SECURE_HSTS_SECONDS = env_number("DJANGO_SECURE_HSTS_SECONDS", 0, int)  # checked: config.E006
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

# Shared state across hosts (DPoP replay store, JWKS document): set CACHE_URL to a Redis URL
# (Django's built-in RedisCache). Without it, the replay store is a file in STATE_DIR shared
# by this host's workers, and each worker downloads the JWKS itself.
CACHE_URL = env.str("CACHE_URL", default="").strip()
CACHES = {"default": env.cache_url_config(CACHE_URL) if CACHE_URL else {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auth0-jwt"}}
SESSION_ENGINE = ("django.contrib.sessions.backends.cache" if CACHE_URL
                  else "django.contrib.sessions.backends.file")
if CACHES["default"].get("BACKEND") == "django.core.cache.backends.redis.RedisCache":
    # Bounded waits: a Redis outage becomes a prompt 503, not a hung worker.
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 1)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1)
    # The DPoP replay store's own connections: Redis answers in about a millisecond, so a
    # quarter second means it is frozen; the circuit breaker then answers 503 at once.
    CACHES["replay"] = {**CACHES["default"], "OPTIONS": {
        **CACHES["default"]["OPTIONS"], "socket_connect_timeout": 0.25, "socket_timeout": 0.25}}
# This host's state files (the DPoP replay store), created owner-only.
STATE_DIR = env.str("AUTH0_STATE_DIR", default="").strip() or str(BASE_DIR / ".local")

AUTH0_DOMAIN = env.str("AUTH0_DOMAIN", default="").strip() or None
AUTH0_ISSUER = env.str("AUTH0_ISSUER", default="").strip() or None
# Several issuers (custom domains of one tenant): their exact 'iss' URLs, comma-separated.
AUTH0_ISSUERS = [i.strip() for i in env.list("AUTH0_ISSUERS", default=[]) if i.strip()] or None

AUTH0_JWT = {
    "DOMAIN": AUTH0_DOMAIN,
    "AUDIENCE": env.list("AUTH0_AUDIENCE", default=[]),
    "ISSUER": AUTH0_ISSUER,
    # No tenant and DEBUG on: the built-in local issuer (docs/local-development.md).
    # With DEBUG off it stays off, and the missing AUTH0_DOMAIN stops startup.
    "LOCAL_ISSUER": DEBUG and not AUTH0_DOMAIN and not AUTH0_ISSUER and not AUTH0_ISSUERS,
    "LOCAL_ISSUER_KEY_FILE": env.str("AUTH0_LOCAL_ISSUER_KEY_FILE", default="")
    or str(BASE_DIR / ".local" / "issuer-key.pem"),
    # A token pasted on /auth/token drives the browsable API (session cookie, CSRF-checked).
    "SESSION_TOKEN": env.bool("AUTH0_SESSION_TOKEN", default=DEBUG),
    "JWKS_URL": env.str("AUTH0_JWKS_URL", default="").strip() or None,
    "ISSUERS": AUTH0_ISSUERS,
    # Where the keys come from instead of <issuer>/.well-known/jwks.json (one at most):
    # the issuer's metadata, a public key (PEM or JWK; "\n" escapes allowed), or a shared
    # secret for HS256 tokens (then AUTH0_ALGORITHMS=HS256).
    "DISCOVERY": env.bool("AUTH0_DISCOVERY", default=False),
    "PUBLIC_KEY": env.str("AUTH0_PUBLIC_KEY", default="", multiline=True).strip() or None,
    "SECRET": env.str("AUTH0_SIGNING_SECRET", default="") or None,
    "ALGORITHMS": env.list("AUTH0_ALGORITHMS", default=["RS256"]),
    "LEEWAY": env_number("AUTH0_LEEWAY", 0),
    "MAX_TOKEN_AGE": env_number("AUTH0_MAX_TOKEN_AGE", None),
    "STRICT_RFC9068": env.bool("AUTH0_STRICT_RFC9068", default=False),
    "JWKS_TIMEOUT": env_number("AUTH0_JWKS_TIMEOUT", 5.0),
    "JWKS_WAIT": env_number("AUTH0_JWKS_WAIT", 1.0),
    "JWKS_CACHE_LIFETIME": env_number("AUTH0_JWKS_CACHE_LIFETIME", 600),
    "JWKS_REFETCH_COOLDOWN": env_number("AUTH0_JWKS_REFETCH_COOLDOWN", 30),
    "TOKEN_CACHE_SIZE": env_number("AUTH0_TOKEN_CACHE_SIZE", 1024, cast=int),
    "JWKS_WARMUP": env.bool("AUTH0_JWKS_WARMUP", default=False),
    # The security log's client_ip: the address our proxy appended, not the peer's.
    "CLIENT_IP_HEADER": "X-Forwarded-For" if BEHIND_PROXY else None,
    # With a shared cache configured, workers share one JWKS download.
    "JWKS_SHARED_CACHE": "default" if CACHE_URL else None,
    "DPOP_MODE": env.str("AUTH0_DPOP_MODE", default="allowed").strip().lower(),
    "DPOP_ALGORITHMS": env.list("AUTH0_DPOP_ALGORITHMS", default=["ES256", "PS256", "RS256"]),
    "DPOP_IAT_WINDOW": env_number("AUTH0_DPOP_IAT_WINDOW", 60),
    "DPOP_IAT_LEEWAY": env_number("AUTH0_DPOP_IAT_LEEWAY", 5),
    "DPOP_NONCE_LIFETIME": env_number("AUTH0_DPOP_NONCE_LIFETIME", None),
    # Certificate-bound tokens (RFC 8705): only behind a TLS proxy that passes the client
    # certificate in this header and strips the header from client requests.
    "MTLS_MODE": env.str("AUTH0_MTLS_MODE", default="off").strip().lower(),
    "MTLS_CLIENT_CERT_HEADER": env.str("AUTH0_MTLS_CLIENT_CERT_HEADER", default="").strip()
    or None,
    # "file" (this host's workers share .local/dpop-replay.sqlite3), "cache" (Redis, every
    # host: the default when CACHE_URL is set) or "memory" (one process only).
    "DPOP_REPLAY_STORE": env.str("AUTH0_DPOP_REPLAY_STORE", default="").strip().lower()
    or ("cache" if CACHE_URL else "file"),
    "DPOP_REPLAY_CACHE": "replay" if "replay" in CACHES else "default",
    "STATE_DIR": STATE_DIR,
}

BROWSABLE_API = env.bool("DJANGO_BROWSABLE_API", default=DEBUG)

REST_FRAMEWORK = {
    # Auth0JWTAuthentication first: DRF takes the 401 challenge from the first class.
    # SessionTokenAuthentication: a token pasted on /auth/token, when no header is sent.
    "DEFAULT_AUTHENTICATION_CLASSES": ["auth0_jwt.Auth0JWTAuthentication",
                                       "auth0_jwt.SessionTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "auth0_jwt.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["auth0_jwt.BrowsableAPIRenderer"] if BROWSABLE_API else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # DRF's negotiation, minus the parsing for "Accept: */*" (config/fastpath.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.fastpath.FastContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "auth0_jwt.AutoSchema",
}

# OpenAPI schema at /api/schema, Swagger UI at /api/docs ("Authorize" takes a pasted token).
SPECTACULAR_SETTINGS = {
    "TITLE": "Auth0 DRF quickstart API",
    "DESCRIPTION": "The routes of Auth0's API quickstart, protected by Auth0 access tokens. "
                   "Every error has the body {\"error\", \"message\"} (plus "
                   "\"required_scopes\" for insufficient_scope).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the docs are public: a bad token must not hide them
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "AUTHENTICATION_WHITELIST": ["auth0_jwt.Auth0JWTAuthentication"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "api.schema.strip_optional_slash"],
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_EXPOSE_HEADERS = ["WWW-Authenticate", "Retry-After", "DPoP-Nonce"]
# django-cors-headers' default allowed request headers include Authorization; add DPoP.
CORS_ALLOW_HEADERS = (*default_headers, "dpop")

# One line per record on stderr, "plain" or "json", tokens redacted (config/logs.py).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain").strip().lower()
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").strip().upper()
# Seconds between two summaries of the per-request lines held back during a storm.
LOG_SUMMARY_INTERVAL = env_number("DJANGO_LOG_SUMMARY_INTERVAL", 60)  # checked: config.E008
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT, LOG_SUMMARY_INTERVAL)
