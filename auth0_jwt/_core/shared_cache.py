"""One entry of a Django-style cache as a small store (``get()`` / ``set(value, timeout)``).

Lets ``jwks.py`` share its document through Django's cache framework (Redis across workers and
hosts) without importing Django.
"""


class CacheEntry:
    """The value under ``key`` in ``cache`` (anything with Django's ``get``/``set``)."""

    def __init__(self, cache, key):
        self.cache = cache
        self.key = key

    def get(self):
        return self.cache.get(self.key)

    def set(self, value, timeout):
        self.cache.set(self.key, value, timeout=timeout)
