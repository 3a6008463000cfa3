"""config/gunicorn_lifecycle.py: a HUP with no gap, a TERM that drains, with real gunicorn
(and real nginx in front for the last test) on 127.0.0.1.

Each server is started by the test that uses it; every load loop is bounded in time.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from config.gunicorn_lifecycle import Generations
from tests.gunicorn_server import ROOT, GunicornServer, production_environ
from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, mint
from tests.processes import NginxServer, wait_for
from tests.traffic import Traffic, request

# The design leaves no moment without a worker accepting: the longest time without an answer
# measured 20-65 ms on a quiet machine, but up to 380 ms at a load average of 10 on 2 cores,
# where the booting generation takes the CPU from the serving one. Before the change the gap
# was the new workers' boot time: 0.75-1.4 s on a quiet machine, several seconds when loaded.
MAX_SILENCE = 0.5
SHUTTING_DOWN = {"error": "temporarily_unavailable", "message": "The server is shutting down"}


# -- the shared record of reloads ----------------------------------------------------------


def test_a_reload_is_complete_once_as_many_younger_workers_as_it_forked_are_ready():
    generations = Generations()
    for age in (1, 2):
        generations.mark_ready(age)
    generations.reloading(replaced_up_to=2, successors=2)
    assert generations.is_replaced(1) and generations.is_replaced(2)
    assert not generations.is_replaced(3)
    assert not generations.successors_ready()  # the old workers do not count
    generations.mark_ready(3)
    assert not generations.successors_ready()
    generations.mark_ready(5)  # a successor that crashed at boot (age 4) was respawned
    assert generations.successors_ready()


def test_the_record_is_shared_with_forked_workers():
    generations = Generations()
    generations.reloading(replaced_up_to=2, successors=1)
    pid = os.fork()
    if pid == 0:  # the "worker"
        generations.mark_ready(3)
        os._exit(0)
    os.waitpid(pid, 0)
    assert generations.successors_ready()


# -- gunicorn ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tenant(signing_key):
    server = JWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


@pytest.fixture
def start_gunicorn(tenant, tmp_path):
    """Two sync workers with warm-up (the documented production settings); stopped after."""
    started = []

    def start(**env):
        log_dir = tmp_path / f"gunicorn-{len(started)}"
        log_dir.mkdir()
        server = GunicornServer(production_environ(
            log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
            AUTH0_JWKS_URL=tenant.url, AUTH0_JWKS_WARMUP="true", DJANGO_LOG_FORMAT="plain",
            **env), log_dir)
        started.append(server)
        server.start(timeout=60)
        server.wait_for_log("JWKS warm-up done in ", count=2)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def bearer(signing_key):
    return {"Authorization": f"Bearer {mint(signing_key)}"}


def test_hup_under_load_fails_no_request_and_leaves_no_gap(start_gunicorn, bearer):
    server = start_gunicorn()
    old = server.booted_workers()
    with Traffic(server.port, "/api/private", bearer, threads=4, max_seconds=30) as load:
        time.sleep(1.0)
        reloaded = time.monotonic()
        server.reload()
        wait_for(lambda: set(old) <= set(server.exited_workers()), "the old workers' exit",
                 timeout=20)
        time.sleep(0.5)
        settled = time.monotonic()
    silence = load.longest_silence(reloaded, settled)
    assert silence < MAX_SILENCE, f"{silence * 1000:.0f} ms without an answer"
    assert load.failures() == []
    assert len(load.between(reloaded, settled)) > 20
    assert len(server.booted_workers()) == len(old) + 2  # the code was loaded afresh
    log = server.app_log()
    assert "Handling signal: hup" in log
    assert log.count("replaced by a reload: serving until the new workers are ready") == 2
    # The old workers left only after both new ones had loaded the app and fetched the keys.
    last_ready = log.rindex("JWKS warm-up done in ")
    assert all(log.index(f"Worker exiting (pid: {pid})") > last_ready for pid in old)


def send_partial_request(port):
    """A request whose header is not finished yet: the worker that took it waits for it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(b"GET /api/public?in-flight HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def finish_request(sock):
    sock.sendall(b"Connection: close\r\n\r\n")
    response = b""
    while chunk := sock.recv(65536):
        response += chunk
    sock.close()
    return int(response.split(b" ", 2)[1]) if response else "no answer"


def test_term_drains_then_answers_in_flight_and_queued_requests(start_gunicorn):
    server = start_gunicorn(GUNICORN_DRAIN_SECONDS="3")
    # Both workers busy with a request in flight; four more wait in the listen queue.
    in_flight = [send_partial_request(server.port) for _ in range(2)]
    time.sleep(0.3)
    queued = [None] * 4

    def wait_in_queue(index):
        queued[index] = request(server.port, f"/api/public?queued={index}", timeout=20).status

    threads = [threading.Thread(target=wait_in_queue, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    server.terminate()
    terminated = time.monotonic()
    time.sleep(0.3)
    assert [finish_request(sock) for sock in in_flight] == [200, 200]
    for thread in threads:
        thread.join(20)
    assert queued == [200] * 4
    # Draining: the balancer's probe sees 503, requests are still served, liveness holds.
    ready = request(server.port, "/readyz")
    assert (ready.status, json.loads(ready.body)) == (503, SHUTTING_DOWN)
    assert "Retry-After" not in ready.headers
    assert request(server.port, "/healthz").status == 200
    assert request(server.port, "/api/public").status == 200
    assert time.monotonic() - terminated < 3.0  # all of the above within the drain
    assert server.wait_exited(timeout=15) == 0
    assert time.monotonic() - terminated >= 3.0
    assert server.app_log().count("draining: /readyz answers 503, serving for 3 s more") == 2


def test_term_behind_nginx_gives_every_client_an_http_answer(start_gunicorn, bearer,
                                                              tmp_path):
    server = start_gunicorn(GUNICORN_DRAIN_SECONDS="1")
    proxy = NginxServer(tmp_path / "nginx", f"127.0.0.1:{server.port}")
    try:
        with Traffic(proxy.port, "/api/private", bearer, threads=4, max_seconds=30) as load:
            time.sleep(0.5)
            terminated = time.monotonic()
            server.terminate()
            assert server.wait_exited(timeout=15) == 0
            exited = time.monotonic()
            time.sleep(0.5)
    finally:
        proxy.stop()
    assert load.failures(expected=(200, 503)) == []  # no reset, no refused connection
    served = [a for a in load.between(terminated + 0.5, exited) if a.status == 200]
    assert served  # the drain kept serving
    unavailable = [a for a in load.answers if a.status == 503]
    assert unavailable and all(a.done > terminated + 0.9 for a in unavailable)
    for answer in unavailable:
        assert json.loads(answer.body) == {"error": "temporarily_unavailable",
                                           "message": "The service is temporarily unavailable"}
        assert answer.headers["Retry-After"] == "1"


# -- configuration -------------------------------------------------------------------------


def test_a_drain_as_long_as_the_graceful_timeout_is_refused():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_"))}
    env.update(GUNICORN_DRAIN_SECONDS="30", GUNICORN_GRACEFUL_TIMEOUT="30")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                             "--check-config", "config.wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert ("GUNICORN_DRAIN_SECONDS (30) must be shorter than GUNICORN_GRACEFUL_TIMEOUT (30)"
            in result.stdout + result.stderr)
