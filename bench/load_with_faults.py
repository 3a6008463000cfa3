"""Bounded load with faults against a real gunicorn server (loopback only, stops by itself).

    .venv/bin/python bench/load_with_faults.py --duration 6

Five phases, separated by a barrier (in-flight requests finish before the tenant changes):

  down       the JWKS server is not listening yet (tenant down at startup)
  up         it comes up serving key-1
  rotated    it serves key-2 only; clients switch to key-2 at once (unknown kid -> refetch)
  outage     it answers 500; clients keep key-2 and some start using key-3 (unpublished)
  recovered  it serves key-2 and key-3 again

Every response is checked against the documented answer for its token class in that phase
(``EXPECTED``). Violations: any 5xx other than the documented 503 ``temporarily_unavailable``
with Retry-After, an accepted bad token, a rejected good token once the refetch could have
happened, a JWKS fetch rate above one per cooldown per worker (counted on the JWKS server;
the cooldown here is below the 1 s retry interval after a failure, so retries are held to it
too), and token or key material in the server's log. Exits 1 on any violation, 0 otherwise.
Figures are notes, not targets (a shared 2-core machine; see docs/performance.md).
"""
import argparse
import collections
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import FaultyJWKSServer, hmac_signed, public_key_forms, unsigned  # noqa: E402
from tests.processes import free_port  # noqa: E402
from tests.keys import AUDIENCE, ISSUER, SigningKey, claims, mint  # noqa: E402

ANY_TIME = "always"
AFTER_SETTLE = "after-settle"


def build_tokens(keys, attacker):
    """Token classes: name -> (token, the key the token depends on)."""
    key1, key2, key3 = keys
    tampered = mint(key2).rsplit(".", 1)
    return {
        "good-1": mint(key1), "good-2": mint(key2), "good-3": mint(key3),
        "alg-none": unsigned({"alg": "none", "kid": key2.kid}, claims()),
        "hs256-public-pem": hmac_signed(public_key_forms(key2)["pem-spki"],
                                        {"alg": "HS256", "kid": key2.kid}, claims()),
        "hs256-public-der": hmac_signed(public_key_forms(key2)["der-spki"],
                                        {"alg": "HS256", "kid": key2.kid}, claims()),
        "expired-2": mint(key2, exp=int(time.time()) - 10),
        "wrong-aud-2": mint(key2, aud="https://other.example"),
        "tampered-2": f"{tampered[0]}.{tampered[1][:-8]}AAAAAAAA",
        "forged-kid-2": mint(attacker, header={"alg": "RS256", "typ": "JWT", "kid": key2.kid}),
        "oversized-2": mint(key2, pad="x" * 13_000),
    }


# phase -> token class -> (allowed statuses before the settle time, allowed after)
# "settle" = two cooldowns into the phase: by then every worker may and must have refetched.
PHASES = ("down", "up", "rotated", "outage", "recovered")
ALWAYS_401 = {"alg-none": ({401}, {401}), "hs256-public-pem": ({401}, {401}),
              "hs256-public-der": ({401}, {401}), "oversized-2": ({401}, {401})}
BAD_CLAIMS = {"expired-2": ({401}, {401}), "wrong-aud-2": ({401}, {401})}
BAD_SIGNATURE = {"tampered-2": ({401}, {401}), "forged-kid-2": ({401}, {401})}
KEY2_BAD = {**BAD_CLAIMS, **BAD_SIGNATURE}
EXPECTED = {
    # No key can be fetched: a token whose claims hold gets 503 (its signature cannot be
    # checked); one whose claims fail can never pass and is its 401 even now.
    "down": {"good-1": ({503}, {503}), **ALWAYS_401, **BAD_CLAIMS,
             **{name: ({503}, {503}) for name in BAD_SIGNATURE}},
    "up": {"good-1": ({200, 503}, {200}), **ALWAYS_401,
           # key-2 is not published yet: its kid is unknown (401), or 503 while the worker
           # waits to retry after a failed fetch (a second, or the cooldown if shorter).
           **{name: ({401, 503}, {401}) for name in KEY2_BAD}},
    # A worker that refetched less than one cooldown ago must wait before it can see key-2
    # (401 meanwhile); after that, key-2 is accepted. The retired key-1 verifies until that
    # worker has refetched (a good-2 request triggers it), so it is checked in aggregate
    # (retired_key_violations), not per request.
    "rotated": {"good-2": ({200, 401}, {200}), "good-1": ({200, 401}, {200, 401}),
                **ALWAYS_401, **KEY2_BAD},
    # Cached key-2 keeps working (a stale set is served while its refresh fails); key-3
    # cannot be fetched: 503 (401 only while a worker is inside the cooldown of its last
    # successful fetch).
    "outage": {"good-2": ({200}, {200}), "good-3": ({401, 503}, {503}), **ALWAYS_401,
               **KEY2_BAD},
    "recovered": {"good-2": ({200}, {200}), "good-3": ({200, 503}, {200}), **ALWAYS_401,
                  **KEY2_BAD},
}


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.violations = []
        self.latencies = []
        self.total = 0

    def record(self, phase, name, elapsed, settled, status, body, headers, latency):
        allowed = EXPECTED[phase][name][1 if settled else 0]
        problem = None
        if status not in allowed:
            problem = f"status {status} not in {sorted(allowed)}"
        elif status == 503 and (body.get("error") != "temporarily_unavailable"
                                or not headers.get("retry-after")):
            problem = "503 without temporarily_unavailable and Retry-After"
        elif status == 401 and body.get("error") != "invalid_token":
            problem = f"401 with error {body.get('error')!r}"
        with self.lock:
            self.total += 1
            self.counts[(phase, name, status)] += 1
            self.latencies.append(latency)
            if problem:
                self.violations.append(f"{phase}/{name} at +{elapsed:.2f}s: {problem}")


def send(port, token):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/private", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"raw": raw[:200].decode("latin-1")}
    return response.status, body, headers


def run_phase(phase, port, tokens, seconds, settle, clients, budget, results):
    names = sorted(EXPECTED[phase])
    started = time.monotonic()
    stop_at = started + seconds

    def client(offset):
        index = offset
        while time.monotonic() < stop_at and budget.acquire(blocking=False):
            name = names[index % len(names)]
            index += 1
            sent = time.monotonic()
            status, body, headers = send(port, tokens[name])
            latency = time.monotonic() - sent
            elapsed = sent - started
            results.record(phase, name, elapsed, elapsed >= settle, status, body, headers,
                           latency)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def start_gunicorn(port, jwks_url, cooldown, workers, log_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "AUTH0_ISSUER": ISSUER, "AUTH0_AUDIENCE": AUDIENCE, "AUTH0_JWKS_URL": jwks_url,
           "AUTH0_JWKS_REFETCH_COOLDOWN": str(cooldown), "AUTH0_JWKS_CACHE_LIFETIME": "600",
           "AUTH0_JWKS_TIMEOUT": "1", "DJANGO_LOG_LEVEL": "INFO"}
    env.pop("AUTH0_DOMAIN", None)
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5",
               # As config/gunicorn.conf.py: room for the 16384-character token bound of
               # AUTH0_JWT['MAX_TOKEN_LENGTH'] (gunicorn's default header line limit is 8190).
               "--limit-request-field_size", "20480", "config.wsgi"]
    log = open(log_path, "wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/public")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_gunicorn(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def fetch_rate_violations(hit_times, cooldown, workers):
    """Each worker fetches at most once per cooldown: no window of one cooldown may hold
    more fetches than there are workers. The server stamps arrivals, the workers stamp
    attempts: 0.1 s of margin for connection and scheduling jitter on a loaded machine."""
    window = cooldown - 0.1
    worst = max((sum(1 for t in hit_times[i:] if t - start < window)
                 for i, start in enumerate(hit_times)), default=0)
    problems = [] if worst <= workers else [
        f"{worst} JWKS fetches within {window:.2f}s (at most {workers}, one per worker)"]
    return worst, problems


def retired_key_violations(counts):
    """Once rotated out, key-1 must be refused: at least once after enough requests."""
    sent = sum(n for (phase, name, _), n in counts.items()
               if (phase, name) == ("rotated", "good-1"))
    refused = counts[("rotated", "good-1", 401)]
    return [f"retired key-1 accepted all {sent} times after the rotation"] if (
        sent >= 20 and refused == 0) else []


def leaked_material(log_text, tokens, keys):
    leaks = []
    for name, token in tokens.items():
        for part in [token] + token.split(".")[1:]:
            if len(part) >= 16 and part in log_text:
                leaks.append(f"token material of {name} in the server log")
                break
    for key in keys:
        if key.jwk()["n"] in log_text or str(key.private.public_key().public_numbers().n) in log_text:
            leaks.append(f"key material of {key.kid} in the server log")
    return leaks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds, all phases")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--max-requests", type=int, default=50_000, help="hard request cap")
    args = parser.parse_args(argv)

    phase_seconds = args.duration / len(PHASES)
    # Every phase spans several cooldowns; 0.3 s at least, so the jitter margin stays small.
    cooldown = max(0.3, round(phase_seconds / 3, 3))
    settle = 2 * cooldown  # a worker sees dozens of requests between cooldown and settle
    keys = (SigningKey("key-1"), SigningKey("key-2"), SigningKey("key-3"))
    tokens = build_tokens(keys, SigningKey("key-2"))
    jwks_port, app_port = free_port(), free_port()
    jwks = None  # nothing listens on jwks_port until phase "up"
    results = Results()
    budget = threading.Semaphore(args.max_requests)
    log_path = Path(tempfile.mkdtemp(prefix="load-with-faults-")) / "gunicorn.log"
    process = start_gunicorn(app_port, f"http://127.0.0.1:{jwks_port}/.well-known/jwks.json",
                             cooldown, args.workers, log_path)
    started = time.monotonic()
    try:
        phase_walltimes = {}
        for phase in PHASES:
            if phase == "up":
                jwks = FaultyJWKSServer(jwks_port).start()
                jwks.serve_keys(keys[0].jwk())
            elif phase == "rotated":
                jwks.serve_keys(keys[1].jwk())
            elif phase == "outage":
                jwks.status = 500
            elif phase == "recovered":
                jwks.status = 200
                jwks.serve_keys(keys[1].jwk(), keys[2].jwk())
            phase_start = time.monotonic()
            run_phase(phase, app_port, tokens, phase_seconds, settle, args.clients, budget,
                      results)
            phase_walltimes[phase] = time.monotonic() - phase_start
        elapsed = time.monotonic() - started
    finally:
        stop_gunicorn(process)
        if jwks is not None:
            jwks.stop()

    log_text = log_path.read_text(errors="replace")
    worst_window, rate_problems = fetch_rate_violations(jwks.hit_times, cooldown, args.workers)
    violations = (results.violations + rate_problems + retired_key_violations(results.counts)
                  + leaked_material(log_text, tokens, keys))
    report(args, results, elapsed, cooldown, settle, phase_walltimes, jwks, worst_window,
           violations)
    return 1 if violations else 0


def report(args, results, elapsed, cooldown, settle, walltimes, jwks, worst_window,
           violations):
    latencies = sorted(results.latencies) or [0.0]
    statuses = collections.Counter()
    for (_, _, status), count in results.counts.items():
        statuses[status] += count
    print(f"load_with_faults: {results.total} requests in {elapsed:.1f}s "
          f"({results.total / elapsed:.0f} req/s; noisy shared 2-core machine), "
          f"{args.workers} gunicorn sync workers, {args.clients} clients, "
          f"cooldown {cooldown}s, settle {settle:.2f}s")
    print(f"  latency p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    print("  statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    for phase in PHASES:
        classes = collections.defaultdict(collections.Counter)
        for (p, name, status), count in results.counts.items():
            if p == phase:
                classes[name][status] += count
        summary = "; ".join(f"{name} " + ",".join(f"{s}x{n}" for s, n in sorted(c.items()))
                            for name, c in sorted(classes.items()))
        print(f"  {phase:<9} {walltimes.get(phase, 0):.1f}s  {summary}")
    print(f"  JWKS fetches (counted on the server): {jwks.hits}; most in one cooldown window: "
          f"{worst_window} (bound: {args.workers}, one per worker)")
    print(f"  violations: {len(violations)}")
    for violation in violations[:20]:
        print(f"    {violation}")


if __name__ == "__main__":
    sys.exit(main())
