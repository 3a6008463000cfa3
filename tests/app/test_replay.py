"""Replay stores: each key is accepted once within its ttl, atomically; failures fail closed."""
import threading
import time

import pytest
from django.core.cache import caches

from auth0_jwt._core.errors import ReplayStoreUnavailable
from auth0_jwt._core.replay import CacheReplayStore, InProcessReplayStore
from tests.clock import FrozenClock



def test_in_process_store_sees_a_key_once_until_it_expires():
    clock = FrozenClock(1000.0)
    store = InProcessReplayStore(clock=clock)
    assert store.seen_before("a", 60) is False
    assert store.seen_before("a", 60) is True
    clock.now += 59
    assert store.seen_before("a", 60) is True
    clock.now += 2
    assert store.seen_before("a", 60) is False


def test_in_process_store_is_bounded_and_drops_expired_keys_first():
    clock = FrozenClock(1000.0)
    store = InProcessReplayStore(max_entries=3, clock=clock)
    store.seen_before("old", 1)
    clock.now += 2
    for key in ("b", "c", "d"):
        assert store.seen_before(key, 60) is False
    assert len(store._expiry) == 3
    assert store.seen_before("b", 60) is True  # live keys kept while expired ones could go


def test_in_process_store_admits_exactly_one_of_racing_threads():
    store = InProcessReplayStore()
    results = []
    barrier = threading.Barrier(8)

    def attempt():
        barrier.wait()
        results.append(store.seen_before("same", 60))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(results) == [False] + [True] * 7


def test_cache_store_on_locmem_sees_a_key_once():
    store = CacheReplayStore(caches["default"], prefix="test-replay:")
    assert store.seen_before("k1", 60) is False
    assert store.seen_before("k1", 60) is True
    assert store.seen_before("k2", 60) is False


def test_cache_store_failure_is_replay_store_unavailable():
    class Broken:
        def add(self, *args, **kwargs):
            raise ConnectionError("down")

    with pytest.raises(ReplayStoreUnavailable):
        CacheReplayStore(Broken()).seen_before("k", 60)


def test_full_in_process_store_frees_a_tenth_at_once_instead_of_scanning_per_insert():
    clock = FrozenClock(1000.0)
    store = InProcessReplayStore(max_entries=10_000, clock=clock)
    for i in range(10_000):
        store.seen_before(f"k{i}", 60)
    store.seen_before("one-more", 60)  # full of live keys: the oldest tenth goes
    assert len(store._expiry) == 9_001
    assert store.seen_before("k999", 60) is False and store.seen_before("k1000", 60) is True
    started = time.perf_counter()
    for i in range(20_000):
        store.seen_before(f"flood-{i}", 60)
    assert len(store._expiry) <= 10_000
    assert time.perf_counter() - started < 2.0  # a scan of the store per insert: about 15 s


# -- the "cache" store on Django's Redis backend: one held client -------------------------------


@pytest.fixture
def redis_cache(tmp_path, settings):
    from tests.processes import RedisServer

    server = RedisServer(tmp_path)
    settings.CACHES = {**settings.CACHES, "replay": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url,
        "KEY_PREFIX": "site", "OPTIONS": {"socket_timeout": 0.25,
                                          "socket_connect_timeout": 0.25}}}
    yield server
    caches["replay"].close()
    server.stop()


def test_redis_cache_store_holds_one_client_and_writes_what_django_would(redis_cache):
    from auth0_jwt._ops.runtime import HeldRedisCache, replay_cache

    held = replay_cache("replay")
    assert isinstance(held, HeldRedisCache)
    store = CacheReplayStore(held, prefix="test-replay:")
    assert store.seen_before("k1", 60) is False
    client = held._client
    assert store.seen_before("k1", 60) is True
    assert held._client is client  # one client for every write
    # The same key, prefix, version and value as Django's own add(): both see each other.
    assert caches["replay"].add("test-replay:k1", 1, 60) is False
    assert caches["replay"].get("test-replay:k1") == 1
    assert 55 <= client.ttl(caches["replay"].make_key("test-replay:k1")) <= 60
    assert caches["replay"].add("test-replay:k2", 1, 60) is True
    assert store.seen_before("k2", 60) is True


def test_redis_cache_store_key_expires_with_its_ttl(redis_cache):
    from auth0_jwt._ops.runtime import replay_cache

    store = CacheReplayStore(replay_cache("replay"), prefix="test-replay:")
    assert store.seen_before("short", 1) is False
    time.sleep(1.1)  # Redis's own clock expires the key: nothing to inject here
    assert store.seen_before("short", 1) is False


def test_redis_cache_store_down_is_replay_store_unavailable(redis_cache):
    from auth0_jwt._ops.runtime import replay_cache

    store = CacheReplayStore(replay_cache("replay"), prefix="test-replay:")
    assert store.seen_before("before", 60) is False
    redis_cache.stop()
    with pytest.raises(ReplayStoreUnavailable):
        store.seen_before("during", 60)


def test_other_caches_keep_djangos_add():
    from auth0_jwt._ops.runtime import AliasCache, replay_cache

    assert isinstance(replay_cache("default"), AliasCache)
