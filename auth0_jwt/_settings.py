"""The ``AUTH0_JWT`` settings namespace, read lazily with defaults (as DRF's ``api_settings``).

Nothing is read at import time: attributes are looked up on first use and the cache is
dropped when Django's ``setting_changed`` signal names ``AUTH0_JWT`` (see ``apps.py``).
"""
import getpass
import os
import tempfile
from pathlib import Path

from django.conf import settings

from auth0_jwt._dev.local_issuer import LOCAL_AUDIENCE, LOCAL_ISSUER

SETTINGS_NAME = "AUTH0_JWT"

DEFAULTS = {
    # Tenant
    "DOMAIN": None,  # "dev-abc123.us.auth0.com"; gives ISSUER and JWKS_URL when they are unset
    "ISSUER": None,  # exact "iss" value; default "https://DOMAIN/"
    "AUDIENCE": None,  # API identifier, or a list of them
    "JWKS_URL": None,  # default "<ISSUER>.well-known/jwks.json"
    # Other key sources for the issuer (one at most, instead of JWKS_URL); see docs/from-express.md
    "DISCOVERY": False,  # find jwks_uri in the issuer's metadata (OIDC discovery, RFC 8414)
    "PUBLIC_KEY": None,  # a PEM or JWK RSA public key: nothing is ever fetched
    "SECRET": None,  # shared secret for HS256/384/512 tokens (opt-in; ALGORITHMS must be HS*)
    # Several issuers (custom domains, tenants) instead of DOMAIN / ISSUER
    "ISSUERS": None,  # ["https://a.example.com/", {"ISSUER": ..., "JWKS_URL"|"DISCOVERY"|...}]
    "ISSUER_RESOLVER": None,  # callable or import string: request -> allowed issuers of ISSUERS
    # Local issuer (development only, needs DEBUG): a generated key instead of a tenant
    "LOCAL_ISSUER": False,  # trust the local issuer; exclusive with DOMAIN / ISSUER
    "LOCAL_ISSUER_KEY_FILE": ".local/issuer-key.pem",  # created with mode 0600 on first use
    # Verification
    "ALGORITHMS": ["RS256"],  # allowlist; never taken from the token
    "LEEWAY": 0,  # seconds of clock skew allowed on exp / nbf / iat
    "MAX_TOKEN_AGE": None,  # seconds since "iat"; None disables the check
    "STRICT_RFC9068": False,  # require typ "at+jwt" and the RFC 9068 claims
    "MAX_TOKEN_LENGTH": 16384,  # characters; longer tokens are refused before any crypto
    "TOKEN_CACHE_SIZE": 1024,  # verified tokens remembered per process (LRU); 0 disables
    "VALIDATORS": None,  # {claim: function(value, claims, header) | string | False}
    # JWKS client
    "JWKS_TIMEOUT": 5.0,  # seconds, a whole fetch: connect, TLS, headers and body
    "JWKS_WAIT": 1.0,  # seconds a request may wait for a fetch of a key it lacks; then 503
    "JWKS_CACHE_LIFETIME": 600,  # seconds a key set counts as fresh (refreshed at 80 %)
    "JWKS_REFETCH_COOLDOWN": 30,  # minimum seconds between two fetches
    "JWKS_MAX_BYTES": 100_000,  # a larger JWKS response is refused
    "JWKS_RETRY_AFTER": 30,  # seconds, sent in Retry-After with 503 responses
    "JWKS_WARMUP": False,  # fetch keys when a worker starts (runtime.warm_up, a server hook)
    # Where tokens are read (RFC 6750 section 2)
    "ALLOW_QUERY_TOKEN": False,  # ?access_token=... (discouraged by RFC 6750 and OAuth 2.1)
    "ALLOW_FORM_TOKEN": False,  # access_token in a form-encoded body
    # Browsable API: a pasted token kept in the session (ambient credential, CSRF-checked);
    # needs a server-side session engine (file, cache, db), never signed_cookies
    "SESSION_TOKEN": False,
    # request.user: an import string of a class (or callable) taking the VerifiedToken
    "USER_CLASS": "auth0_jwt.TokenUser",
    # Responses
    "REALM": "api",
    # DPoP sender-constrained tokens (RFC 9449)
    "DPOP_MODE": "allowed",  # "off": Bearer only | "allowed": Bearer and DPoP | "required": DPoP only
    "DPOP_ALGORITHMS": ["ES256", "PS256", "RS256"],  # proof algorithms, sent in the challenge
    "DPOP_IAT_WINDOW": 60,  # seconds a proof stays acceptable after its "iat"
    "DPOP_IAT_LEEWAY": 5,  # seconds of client clock skew allowed, both directions
    "DPOP_NONCE_LIFETIME": None,  # seconds; a number turns server nonces on (use_dpop_nonce)
    # Where seen proofs are remembered (RFC 9449 section 11.1): "file": a SQLite file in
    # STATE_DIR shared by every worker of this host | "cache": the Django cache
    # DPOP_REPLAY_CACHE (Redis: several hosts) | "memory": this process only
    "DPOP_REPLAY_STORE": "file",
    "DPOP_REPLAY_CACHE": "default",  # cache alias used by the "cache" store
    # Certificate-bound tokens (RFC 8705), the certificate passed on by a trusted TLS proxy
    "MTLS_MODE": "off",  # "off" | "allowed" | "required", as DPOP_MODE
    "MTLS_CLIENT_CERT_HEADER": None,  # e.g. "Client-Cert" (RFC 9440), only if the proxy sets it
    # Shared state across workers and hosts
    "JWKS_SHARED_CACHE": None,  # Django cache alias holding the fetched JWKS; None: per process
    # Folder for this host's state files (the DPoP replay store): created owner-only;
    # None: "auth0_jwt-<uid>" in the system's temporary folder
    "STATE_DIR": None,
    # Logs
    "CLIENT_IP_HEADER": None,  # e.g. "X-Forwarded-For", only behind a proxy that sets it
}


# Where the keys of the trusted issuer(s) come from: an override of any of them (per
# authentication class) replaces the project's whole group, never mixes with it.
TENANT_SETTINGS = ("DOMAIN", "ISSUER", "JWKS_URL", "DISCOVERY", "PUBLIC_KEY", "SECRET", "ISSUERS",
                   "ISSUER_RESOLVER", "LOCAL_ISSUER")
# What an authentication class may set for itself (``Auth0JWTAuthentication.auth0_jwt_settings``):
# whom to trust and how to check tokens. How tokens are read, DPoP, mTLS, the JWKS clients'
# fetch policy and the responses stay project-wide.
PER_CLASS_SETTINGS = TENANT_SETTINGS + (
    "AUDIENCE", "ALGORITHMS", "LEEWAY", "MAX_TOKEN_AGE", "STRICT_RFC9068", "MAX_TOKEN_LENGTH",
    "TOKEN_CACHE_SIZE", "VALIDATORS")
KEY_SOURCES = ("JWKS_URL", "DISCOVERY", "PUBLIC_KEY", "SECRET")


class Auth0JWTSettings:
    """Attribute access to ``settings.AUTH0_JWT`` merged over ``DEFAULTS``.

    ``overrides`` (optional) are one authentication class's own settings, merged over the
    project's; when they name whom to trust (``TENANT_SETTINGS``) the project's are dropped.
    """

    def __init__(self, defaults=None, overrides=None):
        self.defaults = defaults or DEFAULTS
        self.overrides = overrides or {}
        self._cached = set()

    @property
    def user_settings(self):
        if not hasattr(self, "_user_settings"):
            project = getattr(settings, SETTINGS_NAME, None) or {}
            self._user_settings = merge(project, self.overrides) if self.overrides else project
        return self._user_settings

    def __getattr__(self, name):
        if name not in self.defaults:
            raise AttributeError(f"Invalid {SETTINGS_NAME} setting: '{name}'")
        value = self.user_settings.get(name, self.defaults[name])
        self._cached.add(name)
        setattr(self, name, value)
        return value

    @property
    def issuer(self):
        """The exact ``iss`` value accepted: ``ISSUER``, else ``https://DOMAIN/``, else the
        local issuer's when ``LOCAL_ISSUER`` is on."""
        if self.ISSUER:
            return self.ISSUER
        if self.DOMAIN:
            return f"https://{self.DOMAIN}/"
        return LOCAL_ISSUER if self.uses_local_issuer else None

    @property
    def uses_local_issuer(self):
        """``LOCAL_ISSUER`` is on and no tenant is configured (a check flags both set)."""
        return self.LOCAL_ISSUER is True and not self.DOMAIN and not self.ISSUER

    @property
    def jwks_url(self):
        if self.uses_local_issuer:
            return None  # keys come from the local key file, never from the network
        if self.JWKS_URL:
            return self.JWKS_URL
        if self.DISCOVERY or self.PUBLIC_KEY or self.SECRET:
            return None  # the keys come from elsewhere
        return default_jwks_url(self.issuer)

    @property
    def issuer_entries(self):
        """Every trusted issuer as ``{"ISSUER", "ALGORITHMS"}`` plus its one key source
        (``JWKS_URL``, ``DISCOVERY``, ``PUBLIC_KEY`` or ``SECRET``): ``ISSUERS``, else the one
        issuer of ``DOMAIN`` / ``ISSUER``. Assumes the system checks passed."""
        if self.ISSUERS is None:
            single = {name: getattr(self, name) for name in KEY_SOURCES}
            return [issuer_entry({**single, "ISSUER": self.issuer}, self)]
        return [issuer_entry(entry, self) for entry in self.ISSUERS]

    @property
    def state_dir(self):
        """``STATE_DIR``, else a folder of this user's in the system's temporary folder
        (shared by every worker of the host, whatever their working directory)."""
        if self.STATE_DIR:
            return Path(self.STATE_DIR)
        user = os.geteuid() if hasattr(os, "geteuid") else getpass.getuser()
        return Path(tempfile.gettempdir()) / f"auth0_jwt-{user}"

    @property
    def audiences(self):
        """``AUDIENCE`` as a tuple of non-empty strings (a comma-separated string is split)."""
        audience = self.AUDIENCE
        if not audience and self.uses_local_issuer:
            return (LOCAL_AUDIENCE,)
        if isinstance(audience, str):
            audience = audience.split(",")
        return tuple(a.strip() for a in audience or () if isinstance(a, str) and a.strip())

    def reload(self):
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        if hasattr(self, "_user_settings"):
            delattr(self, "_user_settings")


def merge(project, overrides):
    if not isinstance(project, dict):
        return project  # the system check reports it
    if any(name in overrides for name in TENANT_SETTINGS):
        project = {k: v for k, v in project.items() if k not in TENANT_SETTINGS}
    return {**project, **overrides}


def default_jwks_url(issuer):
    return f"{issuer.rstrip('/')}/.well-known/jwks.json" if issuer else None


def issuer_entry(entry, config):
    """One ``ISSUERS`` item (an issuer URL, or a dict) in its full form."""
    if isinstance(entry, str):
        entry = {"ISSUER": entry}
    issuer = entry.get("ISSUER") or (f"https://{entry['DOMAIN']}/" if entry.get("DOMAIN")
                                     else None)
    full = {"ISSUER": issuer, "ALGORITHMS": entry.get("ALGORITHMS") or config.ALGORITHMS}
    given = [name for name in KEY_SOURCES if entry.get(name)]
    if given:
        full[given[0]] = entry[given[0]]
    elif entry.get("DISCOVERY", config.DISCOVERY):
        full["DISCOVERY"] = True  # DISCOVERY at the top is the default for the entries
    else:
        full["JWKS_URL"] = default_jwks_url(issuer)
    return full


auth0_settings = Auth0JWTSettings(DEFAULTS)
