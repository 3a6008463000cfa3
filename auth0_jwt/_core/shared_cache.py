"""One entry of a Django-style cache as a small store (``get()`` / ``set(value, timeout)``).

Lets ``jwks.py`` share its document through Django's cache framework (Redis across workers and
hosts) without importing Django.
"""
import math
import secrets


class CacheEntry:
    """The value under ``key`` in ``cache`` (anything with Django's ``get``/``set``/``add``).

    ``claim(timeout)`` / ``release()`` let one process at a time do the work that fills the
    entry (a download): ``cache.add`` is atomic on Redis (``SET NX``) and in the local-memory
    cache, and the claim expires by itself after ``timeout`` if its holder dies.
    """

    def __init__(self, cache, key):
        self.cache = cache
        self.key = key
        self.claim_key = f"{key}:claim"
        self._claim_token = None

    def get(self):
        return self.cache.get(self.key)

    def set(self, value, timeout):
        self.cache.set(self.key, value, timeout=timeout)

    def claim(self, timeout):
        """True if no one else holds the claim; it is then ours for ``timeout`` seconds."""
        token = secrets.token_hex(8)
        if self.cache.add(self.claim_key, token, timeout=max(1, math.ceil(timeout))):
            self._claim_token = token
            return True
        return False

    def release(self):
        """Give the claim back, if it is still ours (it may have expired meanwhile)."""
        token, self._claim_token = self._claim_token, None
        if token is not None and self.cache.get(self.claim_key) == token:
            self.cache.delete(self.claim_key)
