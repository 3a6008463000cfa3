"""Figures for the production topology (docs/deployment.md): real gunicorn (2 sync workers,
warm-up on), real nginx with the shipped configuration, loopback only, bounded in time.

    .venv/bin/python -m bench.topology slow-clients   # 50 slow headers, with and without nginx
    .venv/bin/python -m bench.topology reload         # HUP under load: failures, longest silence
    .venv/bin/python -m bench.topology term           # TERM: what happens to each connection

Each prints one line per measurement. Figures are notes, not targets: a shared 2-core machine.
"""
import argparse
import collections
import contextlib
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.common import mint_token, new_key, start_jwks
from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER
from tests.processes import NginxServer
from tests.traffic import SlowClients, Traffic, request

ROUTES = ("/api/private", "/healthz", "/readyz")
WARM = "JWKS warm-up done in "


@contextlib.contextmanager
def topology(proxied=False, **env):
    key = new_key()
    jwks = start_jwks(key)
    work = Path(tempfile.mkdtemp(prefix="bench-topology-"))
    server = GunicornServer(production_environ(
        work / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE, AUTH0_JWKS_URL=jwks.url,
        AUTH0_JWKS_WARMUP="true",
        **env), work)
    proxy = None
    try:
        server.start(timeout=60)
        server.wait_for_log(WARM, count=int(server.env["WEB_CONCURRENCY"]))
        if proxied:
            proxy = NginxServer(work / "nginx", f"127.0.0.1:{server.port}")
        yield server, proxy, {"Authorization": f"Bearer {mint_token(key)}"}
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
        jwks.stop()


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def normal_clients(port, bearer, seconds):
    with contextlib.ExitStack() as stack:
        traffic = [stack.enter_context(Traffic(port, path, bearer if path.startswith("/api")
                                               else None, threads=1, max_seconds=seconds,
                                               timeout=5)) for path in ROUTES]
        time.sleep(seconds)
    return [answer for clients in traffic for answer in clients.answers]


def slow_clients(args):
    with topology(proxied=True) as (server, proxy, bearer):
        for name, port in (("nginx -> gunicorn", proxy.port), ("gunicorn alone", server.port)):
            calm = normal_clients(port, bearer, 2.0)
            with SlowClients(port, count=50, max_seconds=30) as slow:
                time.sleep(1.0)
                attacked = normal_clients(port, bearer, args.seconds)
                still_open = slow.still_open()
            for label, answers in (("no attack", calm), ("50 slow headers", attacked)):
                ok = sorted(a.latency for a in answers if a.status == 200)
                failed = collections.Counter(a.status for a in answers if a.status != 200)
                figures = (f"median {ms(statistics.median(ok))}, max {ms(ok[-1])}" if ok
                           else "none answered")
                print(f"{name:18} {label:16} answered {len(ok):4}, failed {dict(failed)}: "
                      f"{figures}" + (f" (slow connections still open: {still_open})"
                                      if label != "no attack" else ""))
            time.sleep(1.0)  # the slow connections are closed: gunicorn recovers


def reload(args):
    with topology() as (server, _, bearer):
        for round_number in range(args.rounds):
            old = server.booted_workers()
            warm = server.app_log().count(WARM)
            with Traffic(server.port, "/api/private", bearer, threads=4, max_seconds=60) as load:
                time.sleep(1.0)
                start = time.monotonic()
                server.reload()
                # Until the old workers are gone and the new ones ready, whichever is last.
                deadline = time.monotonic() + 30
                while not (set(old) <= set(server.exited_workers())
                           and server.app_log().count(WARM) >= warm + 2):
                    if time.monotonic() > deadline:
                        raise SystemExit("the reload did not finish within 30 s")
                    time.sleep(0.05)
                time.sleep(0.5)
                end = time.monotonic()
            print(f"HUP {round_number + 1}: {len(load.between(start, end))} requests, "
                  f"{len(load.failures())} failed, longest time without an answer "
                  f"{ms(load.longest_silence(start, end))}")
            time.sleep(1.0)


def term_queued():
    """Two requests in flight, four queued, then TERM: how each one ends."""
    with topology(GUNICORN_DRAIN_SECONDS="1") as (server, _, bearer):
        in_flight = []
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
            sock.sendall(b"GET /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            in_flight.append(sock)
        time.sleep(0.3)
        queued = []
        threads = [threading.Thread(target=lambda: queued.append(
            request(server.port, "/api/public", timeout=20).status)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        server.terminate()
        time.sleep(0.3)
        finished = []
        for sock in in_flight:
            try:
                sock.sendall(b"Connection: close\r\n\r\n")
                finished.append(int(sock.recv(64).split(b" ")[1]))
            except (OSError, IndexError) as exc:
                finished.append(type(exc).__name__)
            sock.close()
        for thread in threads:
            thread.join(20)
        server.wait_exited(30)
        print(f"TERM with 2 in flight, 4 queued: in flight {finished}, "
              f"queued {sorted(queued, key=str)}")


def term_load(proxied, follow_readyz):
    """Four clients in a loop across TERM; ``follow_readyz``: they stop sending once a probe
    (every 100 ms, like a load balancer) sees 503."""
    with topology(proxied, GUNICORN_DRAIN_SECONDS="1") as (server, proxy, bearer):
        port = proxy.port if proxied else server.port
        with Traffic(port, "/api/private", bearer, threads=4, max_seconds=30) as load:
            time.sleep(0.5)
            terminated = time.monotonic()
            server.terminate()
            while follow_readyz and request(port, "/readyz", timeout=2).status == 200:
                time.sleep(0.1)
            if follow_readyz:
                load.stopped.set()
            server.wait_exited(30)
            time.sleep(0.5)
        after = collections.Counter(str(a.status) for a in load.answers if a.done > terminated)
        name = "nginx -> gunicorn" if proxied else "gunicorn alone"
        how = "clients stop on readyz 503" if follow_readyz else "clients ignore readyz"
        print(f"TERM under load, {name}, {how}: answers after TERM {dict(after)}")


def term(args):
    term_queued()
    term_load(proxied=False, follow_readyz=True)
    term_load(proxied=False, follow_readyz=False)
    term_load(proxied=True, follow_readyz=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("slow-clients", "reload", "term"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    {"slow-clients": slow_clients, "reload": reload, "term": term}[args.what](args)


if __name__ == "__main__":
    main()
