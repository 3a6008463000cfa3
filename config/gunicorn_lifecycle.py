"""Reload without a gap and shutdown that drains, for gunicorn's workers (hooks in
``config/gunicorn.conf.py``).

Without this, gunicorn's ``HUP`` forks the new workers and at once sends ``TERM`` to the old
ones; a sync worker stops after its current request while the new ones are still importing
Django (about a second), so for 0.9-1.9 s nothing accepted a connection. On ``TERM`` every
worker stopped at once, although the load balancer was still sending, and the connections
waiting in the listen queue were reset when the last worker closed the socket.

A worker gets the same ``TERM`` in both cases; the master tells them apart by recording,
before it forks a new generation (``on_reload``), which workers that generation replaces:

- **replaced by a reload**: the worker keeps serving until every worker of the new generation
  has loaded the app and warmed its keys (``post_worker_init``), then stops (bounded by
  ``graceful_timeout``). ``/readyz`` stays 200: the instance is not going away.
- **shutting down**: the worker starts draining at once (``on_drain``: ``/readyz`` answers
  503) and keeps serving for ``drain_seconds``, so a load balancer probing it stops sending;
  then it stops.

Either way a stopping sync worker answers the connections already waiting in the listen queue
before it exits (``worker_exit``), instead of leaving them to be reset.

No Django imports: the master imports this module once, so a change to it needs a restart
(a ``HUP`` reloads the app, the settings and ``gunicorn.conf.py``, not this module).
"""
import mmap
import os
import signal
import threading
import time

POLL_SECONDS = 0.02
# Queued connections keep arriving if the load balancer ignored the drain: stop answering
# them after this long (the master kills workers at graceful_timeout anyway).
BACKLOG_SECONDS = 2.0


class Generations:
    """What the master and all its workers share about reloads: the highest worker age a
    reload replaces, how many successors it forks, and the ages of workers that are ready.

    Anonymous shared memory made by the master before its first fork, so every worker sees
    the master's copy. Each cell is written by one process at a time (the master, or one
    worker into its own slot) and 8-byte aligned writes are atomic: no lock that a killed
    worker could leave held.
    """

    SLOTS = 1024

    def __init__(self):
        self._memory = mmap.mmap(-1, 8 * (2 + self.SLOTS))
        self._cells = memoryview(self._memory).cast("q")

    def reloading(self, replaced_up_to, successors):
        """Master, before forking a new generation: workers up to this age are replaced."""
        self._cells[1] = min(successors, self.SLOTS)
        self._cells[0] = replaced_up_to

    def is_replaced(self, age):
        return age <= self._cells[0]

    def mark_ready(self, age):
        """A worker that has loaded the app and is about to accept connections."""
        self._cells[2 + age % self.SLOTS] = age

    def successors_ready(self):
        """True once as many workers as the last reload forked, all younger than the ones it
        replaces, are ready (a successor that crashed at boot is counted by its respawn)."""
        replaced_up_to, wanted = self._cells[0], self._cells[1]
        ready = sum(1 for age in self._cells[2:] if age > replaced_up_to)
        return ready >= wanted


class WorkerLifecycle:
    """One worker's handling of ``TERM``: wait for its successors, or drain, then stop.

    The signal handler only records the decision and wakes a watcher thread through a pipe
    (no locks, no thread start inside a handler); the thread waits and then stops the worker
    the way gunicorn does: ``alive = False`` and a byte on the worker's wake-up pipe.
    """

    def __init__(self, worker, generations, drain_seconds, on_drain):
        self.worker, self.generations = worker, generations
        self.drain_seconds, self.on_drain = drain_seconds, on_drain
        self.stopping = False  # set by the first TERM
        self.stopped = False  # set when this class stopped the worker; only then answer_backlog()
        self.replaced = False
        self._wake = os.pipe()

    def install(self):
        threading.Thread(target=self._watch, name="gunicorn-lifecycle", daemon=True).start()
        signal.signal(signal.SIGTERM, self._on_term)
        signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn: never cut a request short

    def _on_term(self, signum, frame):
        if self.stopping:  # the master repeats TERM while a reload waits: one decision
            return
        self.stopping = True
        self.replaced = self.generations.is_replaced(self.worker.age)
        if not self.replaced:
            self.on_drain()  # readyz turns 503 before anything else happens
        os.write(self._wake[1], b"t")

    def _watch(self):
        os.read(self._wake[0], 1)
        log = self.worker.log
        if self.replaced:
            log.info("Worker %s replaced by a reload: serving until the new workers are ready",
                     self.worker.pid)
            self._wait_for_successors(self.worker.cfg.graceful_timeout)
        else:
            log.info("Worker %s draining: /readyz answers 503, serving for %s s more",
                     self.worker.pid, self.drain_seconds)
            time.sleep(self.drain_seconds)
        self.stopped = True
        self.worker.alive = False
        os.write(self.worker.PIPE[1], b"1")  # wake the worker's select()

    def _wait_for_successors(self, bound):
        deadline = time.monotonic() + bound
        while not self.generations.successors_ready() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)

    def answer_backlog(self, bound):
        """Serve the connections already queued on the listening sockets, then return.

        The socket is shared with the other workers and closed for good by the last one to
        exit: whatever is still queued then is reset. A sync worker accepts until the queue is
        empty (or ``bound`` seconds have passed, should clients keep coming); other worker
        classes close their sockets themselves before this point and are left alone.
        """
        from gunicorn.workers.sync import SyncWorker

        if not (self.stopped and isinstance(self.worker, SyncWorker)):
            return 0
        answered, deadline = 0, time.monotonic() + bound
        for listener in self.worker.sockets:
            listener.setblocking(False)
            while time.monotonic() < deadline and self._accept_one(listener):
                answered += 1
        return answered

    def _accept_one(self, listener):
        try:
            self.worker.accept(listener)  # accept and handle one connection
        except (BlockingIOError, InterruptedError):
            return False  # nothing queued
        except ConnectionAbortedError:
            pass  # the client gave up while queued
        except OSError:
            return False  # the socket is gone
        return True


_generations = None
_worker = None


def start_master():
    """``on_starting``: make the shared record before any worker is forked."""
    global _generations
    _generations = Generations()


def reloading(arbiter):
    """``on_reload`` (master, config already reread): the workers alive now are replaced by
    ``workers`` new ones, which gunicorn forks next."""
    _generations.reloading(arbiter.worker_age, arbiter.cfg.workers)


def worker_ready(worker, drain_seconds, on_drain):
    """``post_worker_init``, last: handle TERM as above and report this worker ready."""
    global _worker
    _worker = WorkerLifecycle(worker, _generations, drain_seconds, on_drain)
    _worker.install()
    _generations.mark_ready(worker.age)


def worker_exiting(worker):
    """``worker_exit``: answer what is queued if this worker was stopped by TERM."""
    if _worker is None:
        return
    answered = _worker.answer_backlog(BACKLOG_SECONDS)
    if answered:
        worker.log.info("Worker %s answered %d queued connection(s) before exiting",
                        worker.pid, answered)
