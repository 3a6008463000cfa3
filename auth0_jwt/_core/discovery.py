"""Issuer metadata discovery (the Express SDK's ``issuerBaseURL``). No Django imports.

The issuer's metadata document names its JWKS (``jwks_uri``). It is fetched from
``<issuer>/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 section 4), or,
when that fails, from the RFC 8414 section 3.1 location
``https://host/.well-known/oauth-authorization-server/<path>``. A document is used only if its
``issuer`` is identical to the configured issuer (RFC 8414 section 3.3, OIDC Discovery section
4.3): otherwise anyone able to serve a document there could name their own keys.

The document is cached like the JWKS: refreshed after ``cache_lifetime``, fetched at most once
per ``cooldown``, by one thread while the others wait, bounded in time and size, and a failed
refresh keeps the document already held. With no document the keys are unavailable (503).
"""
import ipaddress
import json
import logging
import re
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from auth0_jwt._core.errors import SigningKeysUnavailable

logger = logging.getLogger("auth0_jwt.discovery")

OIDC_SUFFIX = "/.well-known/openid-configuration"
RFC8414_PREFIX = "/.well-known/oauth-authorization-server"
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class MetadataError(Exception):
    """No usable metadata document; the message is safe to log."""


def metadata_urls(issuer):
    """Where the metadata of ``issuer`` lives: the OIDC location first, then RFC 8414's."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    oidc = urlunsplit((parts.scheme, parts.netloc, path + OIDC_SUFFIX, "", ""))
    oauth = urlunsplit((parts.scheme, parts.netloc, RFC8414_PREFIX + path, "", ""))
    return (oidc, oauth)


class MetadataClient:
    """The metadata of one issuer: ``jwks_uri()`` returns its JWKS URL or raises
    ``SigningKeysUnavailable`` (no document could be fetched, or none was identical).
    """

    def __init__(self, issuer, *, timeout=5.0, max_bytes=100_000, cache_lifetime=600,
                 cooldown=30, session=None, clock=time.monotonic, urls=None):
        self.issuer = issuer
        self.urls = tuple(urls) if urls else metadata_urls(issuer)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache_lifetime = cache_lifetime
        self.cooldown = cooldown
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._document = None
        self._fetched_at = None
        self._last_attempt = None
        self.fetch_count = 0

    def jwks_uri(self):
        """The JWKS URL of the document held, fetching or refreshing it first if needed."""
        if self._document is None:
            self.refresh(wait=True)
        elif self._clock() - self._fetched_at >= self.cache_lifetime:
            self.refresh(wait=False)  # a stale document keeps working while one thread fetches
        document = self._document
        if document is None:
            raise SigningKeysUnavailable()
        return document["jwks_uri"]

    def current_jwks_uri(self):
        """The JWKS URL held now, or None; never fetches."""
        document = self._document
        return document["jwks_uri"] if document is not None else None

    def refresh(self, wait=True):
        if not self._lock.acquire(blocking=wait):
            return
        try:
            now = self._clock()
            if self._last_attempt is not None and now - self._last_attempt < self.cooldown:
                return
            self._last_attempt = now
            self._fetch_and_store(now)
        finally:
            self._lock.release()

    # -- steps ------------------------------------------------------------------------------

    def _fetch_and_store(self, now):
        problems = []
        for url in self.urls:
            try:
                document = self._fetch(url)
            except MetadataError as exc:
                problems.append(f"{url}: {exc}")
                continue
            self._document, self._fetched_at = document, now
            logger.info("Issuer metadata fetched from %s", url,
                        extra={"issuer": self.issuer, "jwks_url": document["jwks_uri"]})
            return
        logger.warning("Issuer metadata unavailable (%s)%s", "; ".join(problems),
                       "; serving the document held" if self._document else "",
                       extra={"issuer": self.issuer})

    def _fetch(self, url):
        self.fetch_count += 1
        body = bounded_get(self._session_or_default(), url, self.timeout, self.max_bytes)
        return parse_metadata(body, self.issuer)

    def _session_or_default(self):
        if self._session is None:
            self._session = requests.Session()
        return self._session


def parse_metadata(body, issuer):
    """The document as a dict with an identical ``issuer`` and a usable ``jwks_uri``."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MetadataError("response is not JSON") from exc
    if not isinstance(document, dict):
        raise MetadataError("response is not a JSON object")
    found = document.get("issuer")
    if found != issuer:
        # RFC 8414 section 3.3: "MUST be identical"; never follow a document for another issuer.
        shown = printable(found) if isinstance(found, str) else type(found).__name__
        raise MetadataError(f"its issuer '{shown}' is not the configured issuer")
    jwks_uri = document.get("jwks_uri")
    if not is_fetchable_url(jwks_uri):
        raise MetadataError("its jwks_uri is not an https URL")
    return {"issuer": found, "jwks_uri": jwks_uri}


def is_fetchable_url(url):
    """https, or plain http to a loopback address (tests, local development)."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme == "https" and host:
        return True
    return parts.scheme == "http" and _is_loopback(host)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bounded_get(session, url, timeout, max_bytes):
    """GET ``url``: status 200, no redirects, at most ``max_bytes`` within about ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        with session.get(url, timeout=timeout, stream=True, allow_redirects=False,
                         headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise MetadataError(f"HTTP status {response.status_code}")
            return _read_capped(response.raw, deadline, max_bytes)
    except requests.RequestException as exc:
        raise MetadataError(type(exc).__name__) from exc


def _read_capped(raw, deadline, max_bytes):
    # One socket read per call, so a server dribbling bytes cannot hold the fetch (see jwks.py).
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise MetadataError("response took longer than the timeout")
        try:
            chunk = raw.read1(16384, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise MetadataError(type(exc).__name__) from exc
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise MetadataError(f"response larger than {max_bytes} bytes")


def printable(value, limit=120):
    text = _UNPRINTABLE.sub("?", value[:limit])
    return text + "..." if len(value) > limit else text


class DiscoveredKeySource:
    """The signing keys of the JWKS named by the issuer's metadata.

    ``jwks_client_for(url)`` returns the JWKS client of a URL (the runtime shares one per URL
    per process). ``version`` changes when the key set or the JWKS URL changes, so the token
    cache forgets tokens verified under keys that are gone.
    """

    def __init__(self, metadata, jwks_client_for):
        self.metadata = metadata
        self._client_for = jwks_client_for
        self._current = (None, None)  # (JWKS URL, its client): the lookup is done once per URL

    def get_key(self, kid, alg):
        return self._client(self.metadata.jwks_uri()).get_key(kid, alg)

    @property
    def version(self):
        uri = self.metadata.current_jwks_uri()
        return (uri, self._client(uri).version) if uri is not None else None

    def has_keys(self):
        uri = self.metadata.current_jwks_uri()
        return uri is not None and self._client(uri).has_keys()

    def ready(self, wait=None):
        """True when the JWKS named by the metadata holds keys (see ``JWKSClient.ready``)."""
        uri = self.metadata.current_jwks_uri()
        if uri is None:
            self.metadata.refresh(wait=bool(wait))
            uri = self.metadata.current_jwks_uri()
        return uri is not None and self._client(uri).ready(wait)

    def refresh(self, wait=True):
        self.metadata.refresh(wait)
        uri = self.metadata.current_jwks_uri()
        if uri is not None:
            self._client(uri).refresh(wait)

    def _client(self, uri):
        current_uri, client = self._current
        if uri != current_uri:
            client = self._client_for(uri)
            self._current = (uri, client)
        return client

    def __repr__(self):
        return f"<DiscoveredKeySource issuer={self.metadata.issuer!r}>"
