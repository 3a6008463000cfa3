"""What several issuers cost in process: the token cache in front of the routing.

``python -m bench.issuers``. Variants, each checked first (accepts the valid token, refuses
one with a flipped signature byte), timed like ``bench/micro.py``: a loop count that makes one
repeat >= 0.25 s, the minimum of 5 repeats interleaved across variants, the median over 3
rounds that rotate the order; ratios taken within a round against the one-issuer cache hit.
"""
import itertools
import math
import statistics
import timeit

from auth0_jwt._core.issuers import MultiIssuerVerifier
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.verification import TokenVerifier

from .common import AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens, new_key, start_jwks
from .micro import REPEATS, ROUNDS, check, loop_count

OTHER_ISSUER = "https://other-brand.test.example/"
MISS_TOKENS = 256  # cycled through a 64-entry cache: every call is a miss
BASELINE = "one issuer: cache hit"


def variants(key, jwks):
    options = dict(audiences=[AUDIENCE], key_source=jwks)
    single = CachingVerifier(cache_size=1024, issuer=ISSUER, **options)
    single_miss = CachingVerifier(cache_size=64, issuer=ISSUER, **options)

    def several(cache_size):
        return MultiIssuerVerifier({issuer: TokenVerifier(issuer=issuer, **options)
                                    for issuer in (ISSUER, OTHER_ISSUER)}, cache_size=cache_size)

    multi, multi_miss = several(1024), several(64)
    allowed = frozenset({ISSUER})
    token = mint_token(key)
    misses = mint_tokens(key, MISS_TOKENS)
    cycles = {name: itertools.cycle(misses) for name in ("single", "multi")}
    entries = {token: (object(),)}  # the floor of any hit: one dict lookup
    return token, {
        "dict lookup (floor of a hit)": (lambda t: entries[t], lambda: entries.get(token)),
        BASELINE: (single.verify, lambda: single.verify(token)),
        "two issuers: cache hit": (multi.verify, lambda: multi.verify(token)),
        "two issuers: cache hit, resolver's set": (lambda t: multi.verify(t, allowed),
                                                   lambda: multi.verify(token, allowed)),
        "one issuer: cache miss": (single_miss.verify,
                                   lambda: single_miss.verify(next(cycles["single"]))),
        "two issuers: cache miss (routing)": (multi_miss.verify,
                                              lambda: multi_miss.verify(next(cycles["multi"]))),
    }


def measure(rounds=ROUNDS, repeats=REPEATS, out=print):
    key = new_key()
    server = start_jwks(key)
    try:
        jwks = JWKSClient(server.url)
        jwks.refresh()
        token, table = variants(key, jwks)
        for name, (verify, _) in table.items():
            if name.startswith("dict"):
                continue  # not a verifier
            check(name, verify, token, flip_signature(token))
            verify(token)  # (a hit needs a first verification)
        counts = {name: loop_count(timed) for name, (_, timed) in table.items()}
        names, per_round = list(table), []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            best = {name: math.inf for name in names}
            for _ in range(repeats):
                for name in order:
                    seconds = timeit.Timer(table[name][1]).timeit(counts[name])
                    best[name] = min(best[name], seconds / counts[name] * 1e6)
            per_round.append(best)
            out(f"  round {r + 1}/{rounds} done")
        return {name: {"us": statistics.median(r[name] for r in per_round),
                       "ratio": statistics.median(r[name] / r[BASELINE] for r in per_round)}
                for name in names}
    finally:
        server.stop()


def report(results, out=print):
    out(f"{'variant':42} {'µs (median)':>12} {'× one-issuer hit':>17}")
    for name, row in results.items():
        out(f"{name:42} {row['us']:12.2f} {row['ratio']:17.2f}")


if __name__ == "__main__":
    print("Several issuers, in process (one core)")
    report(measure())
