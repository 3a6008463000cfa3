"""Issuer metadata discovery (the Express SDK's ``issuerBaseURL``). No Django imports.

The issuer's metadata document names its JWKS (``jwks_uri``). It is fetched from
``<issuer>/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 section 4), or,
when that fails, from the RFC 8414 section 3.1 location
``https://host/.well-known/oauth-authorization-server/<path>``. A document is used only if its
``issuer`` is identical to the configured issuer (RFC 8414 section 3.3, OIDC Discovery section
4.3): otherwise anyone able to serve a document there could name their own keys.

The document is held with the same guarantees as the key set (``remote.py``, shared with
``jwks.py``): a request never waits on the network for a document the process holds; the
first fetch is waited for at most ``wait`` seconds, then 503 while it goes on; every fetch
(both locations together) runs in a background thread under one deadline of ``timeout``
seconds, capped in size, without redirects; a failed fetch is retried a second later while
nothing is held; the document is refreshed in the background at 80 % of its lifetime, and a
failed refresh keeps the one held; an outage is one ERROR line, not one per request.
"""
import ipaddress
import json
import logging
import re
import time
from urllib.parse import urlsplit, urlunsplit

from auth0_jwt._core.fetch import FetchError, get_capped
from auth0_jwt._core.remote import DocumentError, RemoteDocument

logger = logging.getLogger("auth0_jwt.discovery")

OIDC_SUFFIX = "/.well-known/openid-configuration"
RFC8414_PREFIX = "/.well-known/oauth-authorization-server"
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class MetadataError(DocumentError):
    """No usable metadata document; the message is safe to log."""


def metadata_urls(issuer):
    """Where the metadata of ``issuer`` lives: the OIDC location first, then RFC 8414's."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    oidc = urlunsplit((parts.scheme, parts.netloc, path + OIDC_SUFFIX, "", ""))
    oauth = urlunsplit((parts.scheme, parts.netloc, RFC8414_PREFIX + path, "", ""))
    return (oidc, oauth)


class MetadataClient(RemoteDocument):
    """The metadata of one issuer: ``jwks_uri()`` returns its JWKS URL or raises
    ``SigningKeysUnavailable`` (503: no document could be fetched, or none was identical, or
    the first fetch is still running after ``wait`` seconds).

    ``held_jwks_uri()`` never waits: the URL held, or None. The other options (``timeout``,
    ``max_bytes``, ``cache_lifetime``, ``cooldown``, ``wait``, ``session``, ``clock``,
    ``wall_clock``, ``shared_store``) are ``JWKSClient``'s, for the metadata document.
    """

    logger = logger
    label = "Issuer metadata"
    thread_name = "auth0_jwt-metadata-fetch"
    held_note = "serving the document held"
    none_note = "no metadata document known"

    def __init__(self, issuer, *, timeout=5.0, max_bytes=100_000, cache_lifetime=600,
                 cooldown=30, wait=1.0, session=None, clock=time.monotonic,
                 wall_clock=time.time, shared_store=None, urls=None, log_summary_every=60.0):
        self.issuer = issuer
        self.urls = tuple(urls) if urls else metadata_urls(issuer)
        self.max_bytes = max_bytes
        self._document = None
        super().__init__(endpoint="Issuer metadata endpoint", timeout=timeout,
                         cache_lifetime=cache_lifetime, cooldown=cooldown, wait=wait,
                         session=session, clock=clock, wall_clock=wall_clock,
                         shared_store=shared_store, log_summary_every=log_summary_every)

    def jwks_uri(self, wait=None):
        """The JWKS URL of the document held; with none, start a fetch (if the schedule
        allows) and wait for it at most ``wait`` seconds (default: the client's ``wait``)."""
        uri = self.held_jwks_uri()
        if uri is not None:
            return uri
        self.ready(wait)
        document = self._document
        if document is None:
            raise self.unavailable()
        return document["jwks_uri"]

    def held_jwks_uri(self):
        """The JWKS URL held, or None; never waits (a refresh that is due starts in the
        background, and the document held is used meanwhile)."""
        document = self._document
        if document is None:
            return None
        if self._clock() >= self._due:
            self._refresh_if_due()
        return document["jwks_uri"]

    @property
    def log_extra(self):
        return {"issuer": self.issuer}

    def current_jwks_uri(self):
        """The JWKS URL held now, or None; never fetches."""
        document = self._document
        return document["jwks_uri"] if document is not None else None

    # -- what RemoteDocument asks of a metadata document ------------------------------------

    def _holds(self):
        return self._document is not None

    def _download_document(self, session, deadline):
        # Both locations under the one deadline: a fetch takes at most ``timeout`` in all.
        problems = []
        for url in self.urls:
            try:
                body = get_capped(session, url, deadline=deadline, max_bytes=self.max_bytes,
                                  headers={"Accept": "application/json"})
                return self._parse(body), body
            except (FetchError, MetadataError) as exc:
                problems.append(f"{url}: {exc}")
                if deadline.expired or deadline.remaining() <= 0:
                    break
        raise MetadataError("; ".join(problems))

    def _parse(self, body):
        return parse_metadata(body, self.issuer)

    def _install(self, document, fetched_at, fetched_wall):
        self._document = document
        self._fetched_at, self._fetched_wall = fetched_at, fetched_wall

    def _summary(self):
        return f"jwks_uri {printable(self._document['jwks_uri'])}"


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


def printable(value, limit=120):
    text = _UNPRINTABLE.sub("?", value[:limit])
    return text + "..." if len(value) > limit else text


class DiscoveredKeySource:
    """The signing keys of the JWKS named by the issuer's metadata.

    ``jwks_client_for(url)`` returns the JWKS client of a URL (the runtime shares one per URL
    per process). ``version`` changes when the key set or the JWKS URL changes, so the token
    cache forgets tokens verified under keys that are gone.

    ``get_key`` has ``JWKSClient.get_key``'s contract. A request waits on the network at most
    the metadata client's ``wait`` in all: what it spent waiting for the metadata is taken
    from its wait for the keys.
    """

    def __init__(self, metadata, jwks_client_for):
        self.metadata = metadata
        self._client_for = jwks_client_for
        self._current = (None, None)  # (JWKS URL, its client): the lookup is done once per URL

    def get_key(self, kid, alg):
        uri = self.metadata.held_jwks_uri()
        if uri is None:
            return self._get_key_after_discovery(kid, alg)
        return self._client(uri).get_key(kid, alg)

    @property
    def version(self):
        uri = self.metadata.current_jwks_uri()
        return (uri, self._client(uri).version) if uri is not None else None

    def has_keys(self):
        uri = self.metadata.current_jwks_uri()
        return uri is not None and self._client(uri).has_keys()

    def ready(self, wait=None):
        """True when the JWKS named by the metadata holds keys; else start what fetch the
        schedules allow and wait at most ``wait`` seconds in all (default: the metadata
        client's ``wait``), see ``JWKSClient.ready``."""
        budget = Budget(self.metadata.wait if wait is None else wait)
        if not self.metadata.ready(budget.left()):
            return False
        return self._client(self.metadata.current_jwks_uri()).ready(budget.left())

    def retry_hint(self):
        """``RemoteDocument.retry_hint`` of what is missing: the metadata, else its JWKS."""
        uri = self.metadata.current_jwks_uri()
        if uri is None:
            return self.metadata.retry_hint()
        return self._client(uri).retry_hint()

    def refresh(self, wait=True):
        self.metadata.refresh(wait)
        uri = self.metadata.current_jwks_uri()
        if uri is not None:
            self._client(uri).refresh(wait)

    def _get_key_after_discovery(self, kid, alg):
        budget = Budget(self.metadata.wait)
        uri = self.metadata.jwks_uri()  # waits at most the whole budget, or raises (503)
        return self._client(uri).get_key_within(kid, alg, budget.left())

    def _client(self, uri):
        current_uri, client = self._current
        if uri != current_uri:
            client = self._client_for(uri)
            self._current = (uri, client)
        return client

    def __repr__(self):
        return f"<DiscoveredKeySource issuer={self.metadata.issuer!r}>"


class Budget:
    """Seconds of waiting left to one caller, on the real monotonic clock."""

    __slots__ = ("ends",)

    def __init__(self, seconds):
        self.ends = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.ends - time.monotonic())
