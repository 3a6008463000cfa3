"""HTTP load on 127.0.0.1: our API, its peers, Express and the DPoP path, interleaved.

Every server verifies tokens against one JWKS server on 127.0.0.1 (started here) and gets
the same tokens. Scenarios (``SCENARIOS``): ``public`` (no token), ``private (repeated)``
(one valid token every time), ``private (unique)`` (pre-minted valid tokens in order, more
than the workers' token caches hold many times over, per server: every one is a cache
miss), ``401`` (one signature byte flipped), ``DPoP`` (a DPoP-bound token with a proof made
for each request with a real EC key), and ``probe`` (``bench/wsgi_timing.py`` runs one raw
RSA verify in the worker, outside Django).

Methods (this kind of machine's speed drifts by seconds, so only same-run ratios count):

- *mixed run*: one wrk run takes the scenarios request by request; ``wsgi_timing.py`` adds
  up the CPU each scenario spends inside Django, the workers' total CPU gives gunicorn's
  own share, ``getrusage`` wrk's. The capacity of a scenario relative to ``public`` is
  (gunicorn + wrk + Django public) / (gunicorn + wrk + Django scenario), within one run.
- *rounds*: each round runs every server (and scenario) in an order that rotates from round
  to round; ratios between servers are taken within a round, the median over rounds is
  reported. An A/A pair (two identical servers of ours) shows the noise floor.
"""
import statistics
from pathlib import Path

from tests.dpop_client import DPoPKey

from .common import flip_signature, mint, mint_token, mint_tokens, auth0_claims
from .loadgen import Step
from .stats import PROBE, read_stats

CONNECTIONS = 16
CACHE_SIZE = 1024  # the default TOKEN_CACHE_SIZE, set explicitly for our servers
UNIQUE_TOKENS = 4 * CACHE_SIZE * 2  # per server: > 2x what two workers' caches hold
PROOFS_PER_SECOND = 2000  # DPoP proofs made before a run: more than its DPoP requests
# name: (tag sent as X-Bench-Scenario, path, token kind, expected status)
SCENARIOS = {
    "public": (1, "/api/public", None, 200),
    "private (repeated)": (2, "/api/private", "repeated", 200),
    "private (unique)": (3, "/api/private", "unique", 200),
    "401": (4, "/api/private", "bad", 401),
    "DPoP": (5, "/api/private", "dpop", 200),
    "probe": (PROBE, "/api/public", None, 200),
}
MIX = ["public", "private (repeated)", "private (unique)", "401", "probe"]
DPOP_MIX = ["public", "private (repeated)", "DPoP"]
EXPRESS_SCENARIOS = ["public", "private (repeated)", "private (unique)"]


class Tokens:
    """Token files for the scenarios; unique tokens continue, per server, from where that
    server's last run stopped, so no server sees a token twice within ``UNIQUE_TOKENS``."""

    def __init__(self, key, workdir, unique_count):
        self.workdir = Path(workdir)
        self.dpop_key = DPoPKey()
        self.repeated = mint_token(key)
        self.bad = flip_signature(self.repeated)
        self.unique = mint_tokens(key, unique_count)
        claims = {**auth0_claims(), "cnf": {"jkt": self.dpop_key.thumbprint()}}
        self.dpop = mint(key, payload=claims, header={"alg": "RS256", "typ": "JWT",
                                                      "kid": key.kid})
        self.files = {name: self._write(name, values) for name, values in (
            ("repeated", [self.repeated]), ("bad", [self.bad]), ("unique", self.unique),
            ("dpop", [self.dpop]))}
        self.offsets = {}

    def _write(self, name, values):
        path = self.workdir / f"{name}.txt"
        path.write_text("\n".join(values) + "\n")
        return path

    def step(self, scenario, server, seconds):
        tag, path, kind, _ = SCENARIOS[scenario]
        if kind == "dpop":
            return Step(tag, path, self.files["dpop"], 0, "DPoP",
                        self.proofs(server, path, PROOFS_PER_SECOND * seconds))
        offset = self.offsets.get(server.name, 0) if kind == "unique" else 0
        return Step(tag, path, self.files.get(kind), offset)

    def proofs(self, server, path, count):
        """``count`` fresh proofs for this server's URL, each for one request (RFC 9449)."""
        htu = f"http://127.0.0.1:{server.port}{path}"
        return self._write("proofs", [self.dpop_key.proof(htu=htu, access_token=self.dpop)
                                      for _ in range(count)])

    def headers(self, scenario, server):
        """The headers of one request of ``scenario`` (for the checks before timing)."""
        tag, path, kind, _ = SCENARIOS[scenario]
        headers = {"X-Bench-Scenario": str(tag)}
        if kind == "dpop":
            htu = f"http://127.0.0.1:{server.port}{path}"
            headers.update(Authorization=f"DPoP {self.dpop}",
                           DPoP=self.dpop_key.proof(htu=htu, access_token=self.dpop))
        elif kind:
            token = {"repeated": self.repeated, "bad": self.bad, "unique": self.unique[-1]}[kind]
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def consumed(self, server, requests):
        # An upper bound of the unique tokens the run used.
        self.offsets[server.name] = self.offsets.get(server.name, 0) + requests


def check_server(server, tokens, scenarios, request):
    """Each scenario answers as expected (200 / 401) before anything is timed."""
    for scenario in scenarios:
        status, _ = request(server.port, SCENARIOS[scenario][1], tokens.headers(scenario, server))
        expected = SCENARIOS[scenario][3]
        if status != expected:
            raise RuntimeError(f"{server.name} {scenario}: status {status}, expected {expected}: "
                               "nothing timed")


def run_plan(generator, server, tokens, scenarios, seconds, workdir):
    """One load run of ``scenarios`` taken in turn; checks every response's status."""
    plan = [tokens.step(s, server, seconds) for s in scenarios]
    user_before, system_before = server.cpu_split()
    result = generator.run(server.port, plan, seconds, CONNECTIONS, workdir)
    user, system = server.cpu_split()
    result["server_cpu_s"] = user - user_before + system - system_before
    result["server_system_s"] = system - system_before
    tokens.consumed(server, result["requests"])
    failing = sum(1 for s in scenarios if SCENARIOS[s][3] >= 400)
    expected = result["requests"] * failing / len(scenarios)
    if abs(result["status_errors"] - expected) > CONNECTIONS or result["socket_errors"]:
        raise RuntimeError(f"{server.name} {scenarios}: unexpected statuses or socket errors "
                           f"{result}")
    result["rps"] = result["requests"] / result["seconds"]
    return result


def mixed_run(generator, server, tokens, scenarios, seconds, workdir):
    """CPU per request of each scenario inside Django, gunicorn's and wrk's, in one run."""
    before = read_stats(server.stats_dir)
    result = run_plan(generator, server, tokens, scenarios, seconds, workdir)
    after = read_stats(server.stats_dir)
    inside = {name: (after[SCENARIOS[name][0]][0] - before[SCENARIOS[name][0]][0],
                     after[SCENARIOS[name][0]][1] - before[SCENARIOS[name][0]][1])
              for name in scenarios}
    count = sum(n for n, _ in inside.values())
    return {"rps": result["rps"], "requests": result["requests"],
            "gunicorn_us": (result["server_cpu_s"] - sum(c for _, c in inside.values()))
            / max(count, 1) * 1e6,
            # The workers' kernel time (accept, read, write, close of a connection per
            # request); Django's own system time is counted inside Django, so this is an
            # upper bound of the kernel's share of gunicorn_us.
            "system_us": result["server_system_s"] / max(count, 1) * 1e6,
            "wrk_us": result["cpu_s"] / result["requests"] * 1e6,
            "wrk_share": result["cpu_s"] / result["seconds"],
            "django_us": {name: c / n * 1e6 for name, (n, c) in inside.items() if n}}


def machine_us(run, scenario):
    """The CPU one request of ``scenario`` costs this machine: Django's + gunicorn's + wrk's."""
    return run["django_us"][scenario] + run["gunicorn_us"] + run["wrk_us"]


def capacity(run, scenario, reference="public"):
    return machine_us(run, reference) / machine_us(run, scenario)


def rotated(items, r):
    return items[r % len(items):] + items[:r % len(items)]


def peer_rounds(generator, servers, tokens, rounds, seconds, workdir, out):
    """Per round and server (rotating order): a mixed run, then a protected-only run."""
    per_round = []
    for r in range(rounds):
        results = {}
        for server in rotated(servers, r):
            mixed = mixed_run(generator, server, tokens, MIX, seconds, workdir)
            private = run_plan(generator, server, tokens, ["private (repeated)"], seconds,
                               workdir)
            results[server.name] = {"mixed": mixed, "private_rps": private["rps"]}
        per_round.append(results)
        out(f"  round {r + 1}/{rounds}: protected req/s " + ", ".join(
            f"{name} {results[name]['private_rps']:.0f}" for name in [s.name for s in servers]))
    return per_round


def alternating_rounds(generator, runs, tokens, rounds, seconds, workdir, out):
    """Every ``(server, scenario)`` of ``runs`` alone for ``seconds``, in an order rotating
    by round."""
    per_round = []
    for r in range(rounds):
        results = {(server.name, scenario):
                   run_plan(generator, server, tokens, [scenario], seconds, workdir)
                   for server, scenario in rotated(runs, r)}
        per_round.append(results)
        out(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{name} {scenario} {result['rps']:.0f}" for (name, scenario), result
            in results.items() if scenario != "private (unique)") + " req/s")
    return per_round


def dpop_rounds(generator, servers, tokens, rounds, seconds, workdir, out):
    """Mixed runs public / Bearer / DPoP on each DPoP-enabled server, rotating order."""
    per_round = []
    for r in range(rounds):
        results = {server.name: mixed_run(generator, server, tokens, DPOP_MIX, seconds, workdir)
                   for server in rotated(servers, r)}
        per_round.append(results)
        out(f"  round {r + 1}/{rounds}: DPoP / Bearer CPU in Django " + ", ".join(
            f"{name} {run['django_us']['DPoP'] / run['django_us']['private (repeated)']:.2f}"
            for name, run in results.items()))
    return per_round


# -- summaries ---------------------------------------------------------------------------------

def median(values):
    values = list(values)
    return statistics.median(values) if values else float("nan")


def peer_table(per_round, ours, micro):
    """Rows of the peer table: name -> figures (medians over rounds of same-run ratios)."""
    rows = {}
    for name in per_round[0]:
        runs = [r[name]["mixed"] for r in per_round]
        rows[name] = {
            "public_us": median(run["django_us"]["public"] for run in runs),
            "private_us": median(run["django_us"]["private (repeated)"] for run in runs),
            "vs_public": median(capacity(run, "private (repeated)") for run in runs),
            "vs_public_unique": median(capacity(run, "private (unique)") for run in runs),
            "vs_ours": median(r[name]["private_rps"] / r[ours]["private_rps"] for r in per_round),
            # The same comparison in CPU per protected request (Django + gunicorn + wrk) from
            # the mixed runs of one round: what req/s would follow on a machine of our own.
            "capacity_vs_ours": median(machine_us(r[ours]["mixed"], "private (repeated)")
                                       / machine_us(r[name]["mixed"], "private (repeated)")
                                       for r in per_round),
            "private_rps": median(r[name]["private_rps"] for r in per_round),
            "verify": micro.get(name),
        }
    return rows


def probe_us(per_round):
    """The raw RSA verify inside a worker, per server: median µs over the mixed runs."""
    return {name: median(r[name]["mixed"]["django_us"]["probe"] for r in per_round
                         if "probe" in r[name]["mixed"]["django_us"])
            for name in per_round[0]}


def alternating_table(per_round):
    rows = {}
    for key in per_round[0]:
        samples = [r[key] for r in per_round]
        public = [r[(key[0], "public")] for r in per_round]
        rows[key] = {
            "rps": median(s["rps"] for s in samples),
            "p50_ms": median(s["p50_ms"] for s in samples),
            "p99_ms": median(s["p99_ms"] for s in samples),
            "vs_public": median(s["rps"] / p["rps"] for s, p in zip(samples, public)),
            "cpu_us": median(s["server_cpu_s"] / s["requests"] * 1e6 for s in samples),
            "gen_cpu": median(s["cpu_s"] / s["seconds"] for s in samples),
        }
    return rows


def server_ratio(per_round, a, b, scenario):
    return median(r[(a, scenario)]["rps"] / r[(b, scenario)]["rps"] for r in per_round)


def cpu_ratio(per_round, a, b, scenario):
    """Server CPU per request of ``b`` over ``a``, same round: ``a``'s capacity per core
    relative to ``b``'s (Express uses one core at most, gunicorn's workers both)."""
    def cpu(run):
        return run["server_cpu_s"] / run["requests"]
    return median(cpu(r[(b, scenario)]) / cpu(r[(a, scenario)]) for r in per_round)


def dpop_table(per_round):
    rows = {}
    for name in per_round[0]:
        runs = [r[name] for r in per_round]
        rows[name] = {
            "bearer_us": median(run["django_us"]["private (repeated)"] for run in runs),
            "dpop_us": median(run["django_us"]["DPoP"] for run in runs),
            "cost_ratio": median(run["django_us"]["DPoP"] / run["django_us"]["private (repeated)"]
                                 for run in runs),
            "capacity": median(capacity(run, "DPoP", "private (repeated)") for run in runs),
        }
    return rows
