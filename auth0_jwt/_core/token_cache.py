"""A bounded cache of verified tokens: a repeated token costs a lookup, not an RSA check.

No Django imports.

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
  refreshed on schedule even when every request is a hit;
- the custom claim rules (``VALIDATORS``): a rule may read state that changes (a revocation
  list, a suspended tenant), so a hit runs them again, as an uncached token would.

Entries are keyed by the whole token: the dict hashes all of it (SipHash, keyed per process,
so no one can aim collisions at it) and a hit also compares it in full, so two tokens never
share an entry. The key is the very string the cached ``VerifiedToken`` holds, so the cache keeps
no second copy of any token; a SHA-256 digest as key would cost a hit twice as much and prove
less (a digest match is not an equality check). Only tokens that passed every check are
stored, so the cache cannot be filled with forged tokens. The bound is a number of entries
(``TOKEN_CACHE_SIZE``), evicted least recently used first.
"""
import threading
from collections import OrderedDict

from auth0_jwt._core.errors import SigningKeysUnavailable, TokenError
from auth0_jwt._core.verification import TokenVerifier


class TokenCache:
    """A thread-safe LRU mapping of at most ``maxsize`` entries (``maxsize`` >= 1).

    Reads take no lock: under the GIL each ``OrderedDict`` call with ``str`` keys is atomic,
    and an entry evicted between ``get`` and ``move_to_end`` is simply not moved. Writes take
    the lock so that the bound holds exactly.
    """

    def __init__(self, maxsize):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value for ``key`` (now the most recently used), or None."""
        value = self._entries.get(key)
        if value is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:  # evicted or cleared by another thread meanwhile
                pass
        return value

    def put(self, key, value):
        """Store ``value``; evict the least recently used entry beyond ``maxsize``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def discard(self, key):
        with self._lock:
            self._entries.pop(key, None)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        # Never the entries: they hold raw tokens.
        return f"<TokenCache {len(self._entries)}/{self.maxsize}>"


class CachingVerifier(TokenVerifier):
    """A ``TokenVerifier`` that remembers the tokens it verified: the same ``verify`` contract.

    ``cache_size`` bounds the remembered tokens; the other options are ``TokenVerifier``'s.
    A hit is served only while the key source still has the token's key, its key set has the
    version the token was verified under, and the time claims hold now (``check_time_values``
    with this verifier's clock); anything else goes through the full verification, which
    raises the precise error. The ``VALIDATORS`` rules then run again, and a refusal of
    theirs is the answer. ``hits`` and ``misses`` count lookups (approximately, under
    threads).
    """

    def __init__(self, *, cache_size, **options):
        super().__init__(**options)
        self.cache = TokenCache(cache_size)
        self.hits = 0
        self.misses = 0
        self._version = self._key_set_version()

    def verify(self, token):
        """Return a ``VerifiedToken`` or raise ``TokenError`` / ``SigningKeysUnavailable``.

        The result's ``token`` is always ``token`` itself, as without the cache.
        """
        key = token
        if type(key) is not str:
            if not isinstance(key, str):
                return super().verify(token)  # refused as malformed
            key = str(key)  # e.g. the authenticator's PresentedToken: keys are plain strings
        if len(key) > self.max_length:
            return super().verify(token)  # refused before anything is looked up
        entry = self.cache.get(key)
        if entry is not None:
            if self.still_valid(entry):
                answer = self.serve_cached(entry[0], token)
                self.hits += 1
                return answer
            self.cache.discard(key)
        self.misses += 1
        version = self._current_version()
        verified = super().verify(token)
        # If the key set changed while verifying (a fetch, here or in another thread), which
        # set the key came from is unknown: the token is not remembered.
        if self._key_set_version() == version:
            header = verified.header
            # The entry holds ``key`` once: as the dict key and as its token's string.
            cached = verified if verified.token is key else verified.presented_as(key)
            self.cache.put(key, (cached, version, header.get("kid"), header["alg"],
                                 self.time_claims(verified.payload)))
        return verified

    def still_valid(self, entry):
        """True if a cached entry may be served now (see the class docstring)."""
        _, version, kid, alg, (exp, nbf, iat) = entry
        try:
            # Also what keeps the key set refreshed on schedule when every request is a hit.
            self.key_source.get_key(kid, alg)
            if self._current_version() != version:
                return False
            self.check_time_values(exp, nbf, iat, self.clock())
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
        # A key source without a version (a fixed key) never changes.
        return getattr(self.key_source, "version", None)
