"""The SQLite replay store: each key accepted once within its ttl, by exactly one of racing
threads and processes; private files; expired rows swept; bounded; failures fail closed."""
import gc
import multiprocessing
import os
import sqlite3
import threading
import time

import pytest

from auth0_jwt._core import replay_sqlite
from auth0_jwt._core.errors import ReplayStoreUnavailable
from auth0_jwt._core.replay_sqlite import SQLiteReplayStore
from tests.clock import FrozenClock

PROCESSES = 4
KEYS = 300


def rows(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM seen").fetchone()[0]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state" / "replay.sqlite3"


def test_file_store_sees_a_key_once_until_it_expires(path):
    clock = FrozenClock(1_700_000_000.0)
    store = SQLiteReplayStore(path, clock=clock)
    assert store.seen_before("a", 60) is False
    assert store.seen_before("a", 60) is True
    assert store.seen_before("b", 60) is False
    clock.advance(59)
    assert store.seen_before("a", 60) is True
    clock.advance(2)
    assert store.seen_before("a", 60) is False  # expired: recorded afresh
    assert store.seen_before("a", 60) is True


def test_two_stores_on_one_file_share_what_they_saw(path):
    first, second = SQLiteReplayStore(path), SQLiteReplayStore(path)
    assert first.seen_before("k", 60) is False
    assert second.seen_before("k", 60) is True
    assert second.seen_before("other", 60) is False
    assert first.seen_before("other", 60) is True


def test_new_folder_and_files_are_owner_only(path):
    store = SQLiteReplayStore(path)
    store.seen_before("k", 60)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        assert (path.parent / name).stat().st_mode & 0o777 == 0o600, name


def test_file_is_in_wal_mode_with_synchronous_normal(path):
    store = SQLiteReplayStore(path)
    store.seen_before("k", 60)
    connection = store._local.connection
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def attempt_all(path, barrier, results):
    store = SQLiteReplayStore(path)
    barrier.wait(30)
    results.put([store.seen_before(f"key-{i}", 60) for i in range(KEYS)])


def test_exactly_one_of_racing_processes_records_each_key(path):
    SQLiteReplayStore(path).seen_before("create", 60)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [context.Process(target=attempt_all, args=(path, barrier, results))
                 for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(10)
    firsts = [sum(1 for outcome in outcomes if outcome[i] is False) for i in range(KEYS)]
    assert firsts == [1] * KEYS


def test_exactly_one_of_racing_threads_records_a_key(path):
    store = SQLiteReplayStore(path)
    store.seen_before("created", 60)  # the file and its table exist: only the inserts race
    barrier, results = threading.Barrier(8), []

    def attempt():
        barrier.wait(10)
        try:
            results.append(store.seen_before("same", 60))
        except ReplayStoreUnavailable:
            # Busy beyond the timeout on a loaded machine: refused, which is never a second
            # winner (fail closed); the others still race.
            results.append(True)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] + [True] * 7


def test_a_forked_child_opens_its_own_connection_and_shares_the_file(path):
    store = SQLiteReplayStore(path)
    assert store.seen_before("parent", 60) is False
    parent_connection = store._local.connection
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if everything holds
        ok = (store.seen_before("parent", 60) is True and store.seen_before("child", 60) is False
              and store._local.connection is not parent_connection)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.seen_before("child", 60) is True
    assert store._local.connection is parent_connection


def test_upkeep_sweeps_expired_rows_a_few_slices_at_a_time_and_requests_never_do(path):
    clock = FrozenClock(1_700_000_000.0)
    store = SQLiteReplayStore(path, clock=clock, upkeep_interval=None)
    for i in range(1000):
        store.seen_before(f"short-{i}", 5)
    clock.advance(10)
    for i in range(2000):
        store.seen_before(f"long-{i}", 60)
    assert rows(path) == 3000  # a request runs its insert and nothing else
    rounds = replay_sqlite.SLICES // replay_sqlite.SLICES_PER_UPKEEP
    for _ in range(rounds // 2):
        store.upkeep()
    # After half a round about half the 1000 expired rows are gone (keys are hashes, spread
    # evenly over the slices), after a round all of them; the live rows are never touched.
    assert 2000 + 400 < rows(path) < 2000 + 600
    for _ in range(rounds - rounds // 2):
        store.upkeep()
    assert rows(path) == 2000
    assert store.seen_before("long-0", 60) is True


def test_upkeep_checkpoints_the_wal_after_enough_writes_and_requests_never_do(path):
    store = SQLiteReplayStore(path, upkeep_interval=None)
    for i in range(replay_sqlite.CHECKPOINT_WRITES - 1):
        store.seen_before(str(i), 60)
    size = path.stat().st_size  # everything so far is in the WAL
    store.upkeep()
    assert path.stat().st_size == size  # not due yet
    store.seen_before("one more", 60)
    store.upkeep()
    assert path.stat().st_size > size + 16 * 1024  # the rows, copied from the WAL into the file


def test_each_process_runs_the_upkeep_in_a_background_thread_while_the_store_lives(path):
    clock = FrozenClock(1_700_000_000.0)
    before = set(threading.enumerate())
    store = SQLiteReplayStore(path, clock=clock, upkeep_interval=0.02)
    for i in range(100):
        store.seen_before(f"short-{i}", 5)
    [upkeep] = [t for t in set(threading.enumerate()) - before if "upkeep" in t.name]
    clock.advance(10)
    deadline = time.monotonic() + 10
    while rows(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rows(path) == 0
    del store
    gc.collect()
    upkeep.join(5)
    assert not upkeep.is_alive()


def test_full_file_sweeps_expired_rows_then_fails_closed_when_live_rows_fill_it(path):
    clock = FrozenClock(1_700_000_000.0)
    store = SQLiteReplayStore(path, max_bytes=64 * 1024, clock=clock)
    recorded = 0
    with pytest.raises(ReplayStoreUnavailable) as failure:
        for recorded in range(100_000):
            store.seen_before(f"key-{recorded}", 60)
    assert isinstance(failure.value.__cause__, sqlite3.OperationalError)
    assert 200 < recorded < 100_000
    assert store.seen_before("key-0", 60) is True  # what it holds still counts
    clock.advance(61)
    assert store.seen_before("after-expiry", 60) is False  # swept, then recorded
    assert store.seen_before("key-0", 60) is False


def test_busy_file_fails_closed_within_the_busy_timeout_then_works(path):
    store = SQLiteReplayStore(path, busy_timeout=0.2)
    store.seen_before("create", 60)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    started = time.monotonic()
    with pytest.raises(ReplayStoreUnavailable):
        store.seen_before("k", 60)
    assert time.monotonic() - started < 2.0  # 0.2 s by design; a loaded machine adds some
    holder.execute("ROLLBACK")
    holder.close()
    assert store.seen_before("k", 60) is False


def test_folder_that_cannot_be_created_fails_closed(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ReplayStoreUnavailable) as failure:
        SQLiteReplayStore(blocker / "state" / "replay.sqlite3").seen_before("k", 60)
    assert isinstance(failure.value.__cause__, OSError)


def test_folder_writable_by_other_users_is_refused(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(ReplayStoreUnavailable) as failure:
        SQLiteReplayStore(folder / "replay.sqlite3").seen_before("k", 60)
    assert "writable by other users" in str(failure.value.__cause__)
    assert not (folder / "replay.sqlite3").exists()


def test_deleted_file_is_noticed_by_the_upkeep_and_the_store_shared_again(path):
    old = SQLiteReplayStore(path, upkeep_interval=None)
    old.seen_before("before", 60)
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        (path.parent / name).unlink()
    old.upkeep()
    new = SQLiteReplayStore(path, upkeep_interval=None)
    assert new.seen_before("after", 60) is False
    assert old.seen_before("after", 60) is True
    assert path.stat().st_mode & 0o777 == 0o600
