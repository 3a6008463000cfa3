"""The JWKS document shared through a cache: processes share one download, rotation still works."""
import pytest
from django.core.cache import caches

from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.shared_cache import CacheEntry
from tests.clock import FrozenClock



@pytest.fixture
def shared(jwks_server):
    cache = caches["default"]
    entry = CacheEntry(cache, "test:jwks:shared")
    cache.delete(entry.key)
    yield entry
    cache.delete(entry.key)


def client(url, shared, clock):
    return JWKSClient(url, shared_store=shared, clock=clock, cooldown=0, cache_lifetime=600)


def test_second_process_loads_the_shared_document_without_downloading(jwks_server, shared,
                                                                      signing_key):
    clock = FrozenClock(0.0)
    first, second = client(jwks_server.url, shared, clock), client(jwks_server.url, shared, clock)
    assert first.get_key("key-1", "RS256") is not None
    assert second.get_key("key-1", "RS256") is not None
    assert (jwks_server.hits, first.fetch_count, second.fetch_count) == (1, 1, 0)
    assert second.shared_loads == 1


def test_unknown_kid_downloads_when_the_shared_document_is_the_one_held(jwks_server, shared,
                                                                        signing_key, other_key):
    clock = FrozenClock(0.0)
    first, second = client(jwks_server.url, shared, clock), client(jwks_server.url, shared, clock)
    first.get_key("key-1", "RS256")
    second.get_key("key-1", "RS256")
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())  # rotation
    assert second.get_key("key-2", "RS256") is not None  # downloads: shared copy is stale
    assert first.get_key("key-2", "RS256") is not None  # takes second's newer shared copy
    assert jwks_server.hits == 2
    assert (first.fetch_count, second.fetch_count) == (1, 1)


def test_unreadable_shared_cache_falls_back_to_downloading(jwks_server):
    class Down:
        def get(self):
            raise ConnectionError("redis down")

        def set(self, value, timeout):
            raise ConnectionError("redis down")

    jwks = JWKSClient(jwks_server.url, shared_store=Down())
    assert jwks.get_key("key-1", "RS256") is not None
    assert jwks_server.hits == 1


def test_corrupt_shared_entry_is_ignored(jwks_server, shared):
    shared.set(("someone-else", b"not json"), 600)
    jwks = JWKSClient(jwks_server.url, shared_store=shared)
    assert jwks.get_key("key-1", "RS256") is not None
    assert (jwks_server.hits, jwks.shared_loads) == (1, 0)
