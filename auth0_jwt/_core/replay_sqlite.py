"""The embedded replay store: one SQLite file in WAL mode, shared by every process of a host.

No server to start and no Django imports. ``seen_before(key, ttl)`` is one SQL statement,
an insert that fails on a live row with the same key::

    INSERT INTO seen (key, expires) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen.expires <= now

SQLite lets one writer at a time change the file (a lock shared by every process that opens
it), and the statement runs as one transaction: of several processes racing with the same
key exactly one changes a row, and ``rowcount`` tells each which it was. An expired row with
the key is overwritten, so a key is remembered for ``ttl`` seconds, as the contract says.

Costs and bounds:

- a request runs that one statement and nothing else: one connection per process and
  thread, opened on first use (and again after a ``fork``), the statement prepared once
  (``sqlite3``'s statement cache);
- WAL with ``synchronous=NORMAL``: a commit is a write into the WAL, never an ``fsync``
  (those happen at checkpoints). The file survives a crash of the process; a power loss or
  OS crash may forget the last commits, i.e. proofs seen just before it. A proof lives about
  a minute (``DPOP_IAT_WINDOW``) and a host takes about as long to come back, so that is the
  trade made, for a write about seven times cheaper than with ``synchronous=FULL``
  (``bench/replay.py``);
- the upkeep runs in a background thread of each process, every ``upkeep_interval``
  seconds, never in a request: it deletes the expired rows of the next few 1/256 slices of
  the key space (keys are hashes, so slices are even; one B-tree, no index on the expiry to
  pay for on every insert), checkpoints the WAL into the database every
  ``CHECKPOINT_WRITES`` writes of the process (the ``fsync`` of ``synchronous=NORMAL``,
  which SQLite would otherwise do inside the write that fills the WAL), and notices a file
  deleted or replaced under it;
- the file is capped (``max_bytes``, SQLite's ``max_page_count``): when it is full, the
  expired rows are swept at once and the write tried again; if the live rows alone fill it,
  the write fails closed (``ReplayStoreUnavailable``). SQLite's own checkpoint after
  ``AUTOCHECKPOINT_PAGES`` bounds the WAL if the upkeep cannot keep up;
- a short busy timeout: a write waits at most ``busy_timeout`` seconds for another process's
  write to finish, then fails closed.

The folder is created owner-only (0700) and must not be writable by other users; the file is
created 0600 (SQLite gives its ``-wal`` and ``-shm`` files the same mode). It must be on a
local filesystem: WAL shares memory between the processes (``-shm``), which network
filesystems do not support.
"""
import hashlib
import math
import os
import random
import sqlite3
import stat
import threading
import time
import weakref
from pathlib import Path

from auth0_jwt._core.errors import ReplayStoreUnavailable

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SCHEMA = ("CREATE TABLE IF NOT EXISTS seen (key BLOB PRIMARY KEY, expires INTEGER NOT NULL) "
          "WITHOUT ROWID")
INSERT = ("INSERT INTO seen (key, expires) VALUES (?, ?) "
          "ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen.expires <= ?")
SWEEP_SLICE = "DELETE FROM seen WHERE key >= ? AND key < ? AND expires <= ?"
SWEEP_ALL = "DELETE FROM seen WHERE expires <= ?"
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"  # never waits for readers or writers
SLICES = 256
SLICES_PER_UPKEEP = 8  # a whole round in 32 upkeeps: rows outlive their expiry by ~32 s
KEY_BYTES = 16  # BLAKE2b digest of the caller's key: fixed size, evenly spread
PAGE_SIZE = 4096  # SQLite's default; the cap below is counted in pages
CHECKPOINT_WRITES = 1000  # writes of this process between two checkpoints by its upkeep
CHECKPOINT_SECONDS = 60  # or this long, if it wrote anything
AUTOCHECKPOINT_PAGES = 10_000  # SQLite checkpoints inline only past 40 MB of WAL
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes the WAL file is truncated to after a checkpoint


class SQLiteReplayStore:
    """Replay store in the SQLite file at ``path``, shared by every process that opens it.

    ``seen_before(key, ttl) -> bool``: atomic across threads and processes. Any failure to
    open, read or write the file raises ``ReplayStoreUnavailable`` (the caller answers 503).
    ``upkeep_interval``: seconds between two upkeeps in the background (None: no thread;
    call ``upkeep()`` yourself).
    """

    def __init__(self, path, *, busy_timeout=0.2, max_bytes=64 * 1024 * 1024,
                 upkeep_interval=1.0, clock=time.time):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.max_pages = max(16, int(max_bytes) // PAGE_SIZE)
        self.upkeep_interval = upkeep_interval
        self._clock = clock  # wall clock: every process must read the same expiry times
        self._local = threading.local()
        self._generation = 0  # bumped when the file was replaced: connections reopen
        self._upkeep_lock = threading.Lock()
        self._upkeep_pid = None
        self._writes = 0  # by this process, counted loosely (for the checkpoints)
        self._checkpoint = (0, time.monotonic())  # writes and time of the last one

    def seen_before(self, key, ttl):
        now = self._clock()
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=KEY_BYTES).digest()
        row = (digest, math.ceil(now + ttl), math.floor(now))
        try:
            changed = insert(self._connection(), row)
        except Exception as exc:  # sqlite3.Error, OSError...: fail closed
            self.close()  # the next call opens the file again
            raise ReplayStoreUnavailable() from exc
        self._writes += 1
        return changed == 0

    def upkeep(self):
        """Sweep the expired rows of the next slices, checkpoint the WAL, and have every
        connection reopen if the file was deleted or replaced (a temp cleaner, an operator):
        a process still writing to the old one would not share its store with new ones."""
        connection, now = self._connection(), self._clock()
        local = self._local
        for _ in range(SLICES_PER_UPKEEP):
            index = local.next_slice
            local.next_slice = (index + 1) % SLICES
            upper = bytes([index + 1]) if index + 1 < SLICES else b"\xff" * (KEY_BYTES + 1)
            connection.execute(SWEEP_SLICE, (bytes([index]), upper, math.floor(now)))
        self._checkpoint_if_due(connection)
        try:
            replaced = os.stat(self.path).st_ino != local.inode
        except FileNotFoundError:
            replaced = True
        if replaced:
            self._generation += 1

    def _checkpoint_if_due(self, connection):
        """Copy the WAL into the database after CHECKPOINT_WRITES writes of this process (as
        often as SQLite would, about 4 MB of WAL), or CHECKPOINT_SECONDS after any."""
        writes, (done, when) = self._writes, self._checkpoint
        if writes - done >= CHECKPOINT_WRITES or (
                writes > done and time.monotonic() - when >= CHECKPOINT_SECONDS):
            connection.execute(CHECKPOINT).fetchall()
            self._checkpoint = (writes, time.monotonic())

    def close(self):
        """Close this thread's connection (the next call opens a new one)."""
        local = self._local
        connection, pid = getattr(local, "connection", None), getattr(local, "pid", None)
        local.__dict__.clear()
        if connection is not None and pid == os.getpid():
            try:
                connection.close()
            except sqlite3.Error:  # a broken connection: dropped all the same
                pass

    # -- the connection of this process and thread ------------------------------------------

    def _connection(self):
        local = self._local
        if (getattr(local, "pid", None) == os.getpid()
                and local.generation == self._generation):
            return local.connection
        # First use in this thread, a replaced file, or a forked child: SQLite connections
        # must not cross a fork (the parent's locks would be shared), so the child opens its
        # own.
        self.close()
        generation = self._generation
        connection = self._open()
        local.connection, local.pid, local.generation = connection, os.getpid(), generation
        local.inode = os.stat(self.path).st_ino
        local.next_slice = random.randrange(SLICES)  # processes sweep different slices
        self._start_upkeep()
        return connection

    def _open(self):
        create_private_folder(self.path.parent)
        create_private_file(self.path)
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                     isolation_level=None)  # autocommit: one statement each
        try:
            configure(connection, self.max_pages)
        except BaseException:
            connection.close()
            raise
        return connection

    def _start_upkeep(self):
        """One upkeep thread per process (started again in a forked child)."""
        pid = os.getpid()
        if self.upkeep_interval is None or self._upkeep_pid == pid:
            return
        with self._upkeep_lock:
            if self._upkeep_pid == pid:
                return
            self._upkeep_pid = pid
            threading.Thread(target=upkeep_loop, args=(weakref.ref(self), pid),
                             name="auth0_jwt replay store upkeep", daemon=True).start()


def upkeep_loop(store_reference, pid):
    """Run ``upkeep()`` every ``upkeep_interval`` seconds while the store lives, in this
    process only. A failed upkeep is tried again at the next one (requests fail closed on
    their own if the file is unusable)."""
    while True:
        store = store_reference()
        if store is None or os.getpid() != pid:
            return
        interval = store.upkeep_interval
        del store  # hold no reference while asleep: a dropped store ends the thread
        time.sleep(interval)
        store = store_reference()
        if store is None:
            return
        try:
            store.upkeep()
        except Exception:
            store.close()  # this thread's connection; reopened at the next upkeep
        del store


def insert(connection, row):
    """Rows changed by the insert (0: the key is live). When the file is full, the expired
    rows are swept and the insert tried once more; still full, it raises (fail closed)."""
    try:
        return connection.execute(INSERT, row).rowcount
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
            raise
    connection.execute(SWEEP_ALL, (row[2],))  # a full scan, only when the cap is reached
    return connection.execute(INSERT, row).rowcount


def configure(connection, max_pages):
    """WAL, ``synchronous=NORMAL``, the size cap and the table (see the module docstring)."""
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"WAL mode is not available (journal_mode={mode})")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA max_page_count = {int(max_pages)}")
    connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    connection.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
    connection.execute(SCHEMA)


def create_private_folder(folder):
    """Create ``folder`` owner-only, or check that an existing one is ours and not writable
    by others: whoever can write there can delete the store, or plant one."""
    folder = Path(folder)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    info = os.stat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(f"{folder} is not a folder")
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise PermissionError(f"{folder} belongs to another user")
    if info.st_mode & 0o022:
        raise PermissionError(f"{folder} is writable by other users (chmod 700 {folder})")


def create_private_file(path):
    """Create the database file 0600 before SQLite does (it would use 0644)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
