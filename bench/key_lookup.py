"""What a request pays to find a key the process holds: the key sources' hot path.

``python -m bench.key_lookup``. A JWKS client and a discovered key source (metadata, then the
JWKS it names) each hold their documents, fetched once over loopback HTTP; the variants look
the same key up again and again, next to the floor of two plain dict lookups and next to a
token-cache hit, which calls the key source once per request. Timed like ``bench/micro.py``:
each variant checked first, a loop count that makes one repeat >= 0.25 s, the minimum of 5
repeats interleaved across variants, the median over 3 rounds that rotate the order; ratios
are taken within a round against the dict floor (only ratios from one run compare).
"""
import math
import statistics
import timeit

from auth0_jwt._core.discovery import DiscoveredKeySource, MetadataClient
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.token_cache import CachingVerifier
from tests.issuer_server import IssuerServer
from tests.keys import mint

from .common import AUDIENCE, flip_signature, new_key
from .micro import REPEATS, ROUNDS, check, loop_count

FLOOR = "two dict lookups (floor)"


class Subjects:
    def __init__(self):
        self.key = new_key()
        self.server = IssuerServer().start()
        self.server.publish(self.key.jwk())
        self.jwks = JWKSClient(self.server.jwks_url)
        self.jwks.refresh()
        self.metadata = MetadataClient(self.server.issuer)
        self.metadata.refresh()
        self.discovered = DiscoveredKeySource(self.metadata, lambda url: self.jwks)

    def close(self):
        self.jwks.close()
        getattr(self.metadata, "close", lambda: None)()
        self.server.stop()


def variants(s):
    kid = s.key.kid
    held = {kid: {"RS256": s.jwks.get_key(kid, "RS256")}}
    by_url = CachingVerifier(cache_size=64, issuer=s.server.issuer, audiences=[AUDIENCE],
                             key_source=s.jwks)
    by_discovery = CachingVerifier(cache_size=64, issuer=s.server.issuer, audiences=[AUDIENCE],
                                   key_source=s.discovered)
    token = mint(s.key, iss=s.server.issuer)
    for verifier in (by_url, by_discovery):
        check("cache hit", verifier.verify, token, flip_signature(token))
    assert s.discovered.get_key(kid, "RS256") is held[kid]["RS256"]
    return {
        FLOOR: lambda: held.get(kid).get("RS256"),
        "JWKSClient.get_key (key held)": lambda: s.jwks.get_key(kid, "RS256"),
        "DiscoveredKeySource.get_key (held)": lambda: s.discovered.get_key(kid, "RS256"),
        "token cache hit, JWKS URL": lambda: by_url.verify(token),
        "token cache hit, discovery": lambda: by_discovery.verify(token),
    }


def measure(rounds=ROUNDS, repeats=REPEATS, out=print):
    """``{name: {"ns": median ns, "ratio": median ratio to the dict floor}}``."""
    s = Subjects()
    try:
        table = variants(s)
        counts = {name: loop_count(timed) for name, timed in table.items()}
        names, per_round = list(table), []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            best = {name: math.inf for name in names}
            for _ in range(repeats):
                for name in order:
                    seconds = timeit.Timer(table[name]).timeit(counts[name])
                    best[name] = min(best[name], seconds / counts[name] * 1e9)
            per_round.append(best)
            out(f"  round {r + 1}/{rounds} done")
        return {name: {"ns": statistics.median(r[name] for r in per_round),
                       "ratio": statistics.median(r[name] / r[FLOOR] for r in per_round)}
                for name in names}
    finally:
        s.close()


def _main():
    print("Key lookup on the request path (in process, one core)")
    results = measure()
    print(f"{'variant':40} {'ns (median)':>12} {'x floor':>8}")
    for name, row in results.items():
        print(f"{name:40} {row['ns']:12.0f} {row['ratio']:8.2f}")


if __name__ == "__main__":
    _main()
