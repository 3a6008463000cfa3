"""Settings of the app's own test suite: ``auth0_jwt`` in a project of its own, with nothing of
the demo (no ``config``, no ``api``), as another project would install it.

The fixtures in ``tests/conftest.py`` set ``AUTH0_JWT`` per test (the loopback JWKS server,
the local issuer); the routes are views defined in ``tests/app/urls.py``.
"""
SECRET_KEY = "auth0-jwt-app-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",  # DRF's AnonymousUser for requests without a token
    "rest_framework",
    "auth0_jwt",
]

MIDDLEWARE = [
    # Near the top (docs/errors.md): a request Django cannot read is a JSON 400, never a 500.
    "auth0_jwt.ClientErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The session-held token (SESSION_TOKEN, off unless a test turns it on): sessions in the
    # cache or in files, so django.contrib.sessions (a database model) is not installed.
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
CSRF_FAILURE_VIEW = "auth0_jwt.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

ROOT_URLCONF = "tests.app.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

# The token principal needs no database row.
DATABASES = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "auth0-jwt-app-tests"}}

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
STATIC_URL = "static/"

# Overridden per test by the ``auth0_settings`` and ``local_settings`` fixtures.
AUTH0_JWT = {"AUDIENCE": "https://api.test.example", "ISSUER": "https://issuer.test.example/"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["auth0_jwt.Auth0JWTAuthentication",
                                       "auth0_jwt.SessionTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "auth0_jwt.exception_handler",
    # JSON only, as a project in production; the browsable API's tests add its renderer.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "auth0_jwt.DisregardUnsatisfiableAccept",
}

# The per-request line limits the app ships (auth0_jwt/_ops/log_limits.py), without the
# demo's formatters.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals": {"()": "auth0_jwt.RefusalLogLimit"},
        "responses": {"()": "auth0_jwt.ResponseLogLimit"},
        "repeats": {"()": "auth0_jwt.RepeatLogLimit"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR", "filters": ["responses"]},
                "auth0_jwt.security": {"filters": ["refusals"]},
                "auth0_jwt.authentication": {"filters": ["repeats"]}},
}
