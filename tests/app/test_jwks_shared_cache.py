"""The JWKS document shared through a cache: processes share one download, rotation still works."""
import threading

import pytest
from django.core.cache import caches

from auth0_jwt._core.errors import UnknownSigningKey
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.shared_cache import CacheEntry
from tests.clock import FrozenClock



@pytest.fixture
def shared(jwks_server):
    cache = caches["default"]
    entry = CacheEntry(cache, "test:jwks:shared")
    cache.delete_many([entry.key, entry.claim_key])
    yield entry
    cache.delete_many([entry.key, entry.claim_key])


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


@pytest.mark.parametrize("value", [("someone-else", b"not json"), (1.0e9, b"not json"),
                                   ("id", b'{"keys": []}'), (float("nan"), b"{}"), b"raw"])
def test_corrupt_shared_entry_is_ignored(jwks_server, shared, value):
    shared.set(value, 600)
    jwks = JWKSClient(jwks_server.url, shared_store=shared)
    assert jwks.get_key("key-1", "RS256") is not None
    assert (jwks_server.hits, jwks.shared_loads) == (1, 0)


# -- the shared copy carries its fetch time ---------------------------------------------------


@pytest.fixture
def clocks():
    """One frozen clock as both the monotonic and the wall clock of every client."""
    return FrozenClock(5000.0)


def sharing(url, shared, clock, **options):
    settings = dict(shared_store=shared, clock=clock, wall_clock=clock, cooldown=30,
                    cache_lifetime=600, **options)
    return JWKSClient(url, **settings)


def test_a_process_judges_a_shared_copy_by_its_fetch_time_not_by_when_it_loaded_it(
        jwks_server, shared, clocks, signing_key, other_key):
    # The failure this prevents: after a HUP, new workers took a copy fetched before the new
    # key was published, counted its age from their own load, and refused the new key (401)
    # for a whole cooldown.
    first = sharing(jwks_server.url, shared, clocks)
    first.get_key("key-1", "RS256")  # the copy in the cache is fetched at t = 5000
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())  # the new key is published
    clocks.advance(40)
    second = sharing(jwks_server.url, shared, clocks)  # a new worker, 40 s later
    assert second.get_key("key-1", "RS256") is not None
    assert (second.shared_loads, second.fetch_count) == (1, 0)
    # Its copy is 40 s old, older than the cooldown: the new kid is fetched at once.
    assert second.get_key("key-2", "RS256") is not None
    assert second.fetch_count == 1 and jwks_server.hits == 2


def test_kid_missing_from_a_shared_copy_younger_than_the_cooldown_is_401_without_a_download(
        jwks_server, shared, clocks):
    sharing(jwks_server.url, shared, clocks).get_key("key-1", "RS256")
    clocks.advance(20)
    second = sharing(jwks_server.url, shared, clocks)
    with pytest.raises(UnknownSigningKey):
        second.get_key("forged", "RS256")
    assert second.fetch_count == 0 and jwks_server.hits == 1


def test_a_shared_copy_near_the_end_of_its_lifetime_is_refreshed_by_the_loader(
        jwks_server, shared, clocks):
    sharing(jwks_server.url, shared, clocks).get_key("key-1", "RS256")
    clocks.advance(500)  # past 80 % of the 600 s lifetime
    second = sharing(jwks_server.url, shared, clocks)
    assert second.get_key("key-1", "RS256") is not None
    assert second.wait_for_fetch(5)
    assert second.fetch_count == 1 and jwks_server.hits == 2


def test_an_unknown_kid_costs_one_download_per_host_not_one_per_process(
        jwks_server, shared, clocks, signing_key, other_key):
    workers = [sharing(jwks_server.url, shared, clocks, wait=2) for _ in range(4)]
    for worker in workers:
        worker.get_key("key-1", "RS256")
    assert jwks_server.hits == 1
    jwks_server.serve_keys(signing_key.jwk(), other_key.jwk())
    jwks_server.delay = 0.3  # long enough for every worker to ask while the first downloads
    clocks.advance(31)
    results = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.get_key("key-2", "RS256")))
               for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 4 and all(results)
    assert jwks_server.hits == 2  # one download for the four of them
    assert sum(w.fetch_count for w in workers) == 2


def test_a_worker_started_during_an_outage_serves_the_shared_copy(jwks_server, shared, clocks):
    sharing(jwks_server.url, shared, clocks).get_key("key-1", "RS256")
    jwks_server.status = 503
    clocks.advance(3600)  # long past the lifetime: the copy is kept for a day
    late = sharing(jwks_server.url, shared, clocks)
    assert late.get_key("key-1", "RS256") is not None  # better old keys than none
    assert late.wait_for_fetch(5)  # it tried to refresh them at once, and failed
    assert late.fetch_count == 1
    assert late.get_key("key-1", "RS256") is not None
