"""A bounded cache of verified tokens: a repeated token costs a hash and a lookup. No Django.

Clients send the same access token for its whole lifetime (Auth0's default is 24 hours), so
most requests carry a token this process has already verified. Re-checking its RSA signature
is the single largest cost of a protected request; the signature cannot change, so it is
checked once. What can change is checked again on every hit:

- time: ``exp``, ``nbf`` (with leeway) and the maximum age, by the verifier's own rules and
  clock, so a cached token expires exactly when an uncached one would;
- the key set: each entry remembers the JWKS ``version`` it was verified under, and the whole
  cache is emptied as soon as the key source reports another version, so a key that was
  removed (or replaced under the same ``kid``) stops working at once;
- the key itself: the hit asks the key source for the token's key, which keeps the JWKS
  refreshed on schedule even when every request is a hit.

Entries are keyed by SHA-256 of the whole token, never by a prefix or a weak hash (two tokens
must never share an entry), and only tokens that passed every check are stored, so the cache
cannot be filled with forged tokens. The bound is a number of entries (``TOKEN_CACHE_SIZE``),
evicted least recently used first.
"""
import hashlib
import threading
from collections import OrderedDict

from .errors import SigningKeysUnavailable, TokenError


class TokenCache:
    """A thread-safe LRU mapping of at most ``maxsize`` entries (``maxsize`` >= 1)."""

    def __init__(self, maxsize):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value):
        """Store ``value``; evict the least recently used entry beyond ``maxsize``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def discard(self, key):
        with self._lock:
            self._entries.pop(key, None)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


class CachingVerifier:
    """A ``TokenVerifier`` with a ``TokenCache`` in front: the same ``verify(token)`` contract.

    A hit is returned only while the key set has the version the token was verified under,
    the key source still serves the token's key, and the time claims hold now; anything else
    goes through the full verification, which raises the precise error. Other attributes
    (``issuer``, ``key_source``, ``clock``...) are read from the wrapped verifier.
    """

    def __init__(self, verifier, maxsize):
        self.verifier = verifier
        self.cache = TokenCache(maxsize)
        self.hits = 0
        self.misses = 0
        self._version = self._key_set_version()

    def verify(self, token):
        """Return a ``VerifiedToken`` or raise ``TokenError`` / ``SigningKeysUnavailable``."""
        if not isinstance(token, str) or len(token) > self.verifier.max_length:
            return self.verifier.verify(token)  # refused before hashing anything
        version = self._current_version()
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        entry = self.cache.get(digest)
        if entry is not None:
            if self.still_valid(entry, version):
                self.hits += 1
                return entry[0]
            self.cache.discard(digest)
        self.misses += 1
        verified = self.verifier.verify(token)
        # Tagged with the version read *before* verifying: a key-set change during the
        # verification can only cost a re-verification later, never accept a stale entry.
        self.cache.put(digest, (verified, version))
        return verified

    def still_valid(self, entry, version):
        """True if a cached ``(token, version)`` may be served now (see the class docstring)."""
        verified, verified_version = entry
        if verified_version != version:
            return False
        header = verified.header
        try:
            self.verifier.key_source.get_key(header["kid"], header["alg"])
            if self._current_version() != version:  # get_key refreshed the key set
                return False
            self.verifier.check_times(verified.payload, self.verifier.clock())
        except (TokenError, SigningKeysUnavailable):
            return False
        return True

    def _current_version(self):
        """The key set's version; the cache is emptied the first time a new one is seen."""
        version = self._key_set_version()
        if version != self._version:
            self.cache.clear()
            self._version = version
        return version

    def _key_set_version(self):
        # A key source without a version (a fixed key in tests) never changes.
        return getattr(self.verifier.key_source, "version", None)

    def __getattr__(self, name):
        if name == "verifier":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.verifier, name)
