"""In-process verification cost against the floors (the micro method of ``timing.py``).

Variants, each checked first (accepts a valid token, rejects one with a flipped signature
byte), then timed with ``timeit`` in thread CPU time (``timing.timer``): a loop count that
makes one repeat >= 0.25 s, the minimum of 5 repeats (interleaved across variants), and the
median over 3 rounds that rotate the order. Ratios are taken within a
round, against the practical floor measured in that round.
"""
import base64
import itertools
import json
import math
import statistics
import tracemalloc

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jose import jwt

from auth0_jwt._core.errors import TokenError
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.verification import TokenVerifier

from .common import AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens, new_key, start_jwks
from . import timing
from .timing import timer

REPEAT_SECONDS = 0.25
REPEATS = 5
ROUNDS = 3
MISS_CACHE_SIZE = 64
MISS_TOKENS = 256  # cycled through a 64-entry LRU: every call is a miss


def b64decode(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class Subjects:
    """The key, tokens and verifiers every variant uses (keys fetched once, over HTTP)."""

    def __init__(self):
        self.key = new_key()
        self.server = start_jwks(self.key)
        self.jwks = JWKSClient(self.server.url)
        self.jwks.refresh()
        self.token = mint_token(self.key)
        self.bad_token = flip_signature(self.token)
        self.miss_tokens = mint_tokens(self.key, MISS_TOKENS)
        self.public_key = self.key.private.public_key()
        self.jose_key = self.jwks.get_key(self.key.kid, "RS256")
        self.jwk_dict = self.key.jwk()

    def verifier(self, cache_size=None):
        options = dict(issuer=ISSUER, audiences=[AUDIENCE], key_source=self.jwks)
        if cache_size:
            return CachingVerifier(cache_size=cache_size, **options)
        return TokenVerifier(**options)

    def close(self):
        self.server.stop()


def variants(s):
    """name -> (verify(token) raising on a bad token, the callable that gets timed)."""
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def rsa_only(token):
        head, payload, signature = token.split(".")
        return s.public_key.verify(b64decode(signature), f"{head}.{payload}".encode(), pkcs1,
                                   sha256)

    signing_input, signature = s.token.rsplit(".", 1)[0].encode(), b64decode(s.token.split(".")[2])

    def practical_floor(token):
        head, payload, sig = token.split(".")
        header, claims = json.loads(b64decode(head)), json.loads(b64decode(payload))
        s.public_key.verify(b64decode(sig), f"{head}.{payload}".encode(), padding.PKCS1v15(),
                            hashes.SHA256())
        return header, claims

    verifier = s.verifier()
    cached = s.verifier(cache_size=1024)
    missing = s.verifier(cache_size=MISS_CACHE_SIZE)
    miss_cycle = itertools.cycle(s.miss_tokens)

    def jose_key_object(token):
        return jwt.decode(token, s.jose_key, algorithms=["RS256"], audience=AUDIENCE,
                          issuer=ISSUER)

    def jose_jwk_dict(token):
        return jwt.decode(token, s.jwk_dict, algorithms=["RS256"], audience=AUDIENCE,
                          issuer=ISSUER)

    # Everything that verifies a token takes the next of the same 256 distinct tokens, so the
    # floors and the cold path see the same inputs (a new token each call); the cache-hit
    # variant alone repeats one token.
    cycles = {name: itertools.cycle(s.miss_tokens) for name in ("floor", "ours", "jose", "jwk")}
    token = s.token
    return {
        "raw RSA verify (physical floor)": (
            rsa_only, lambda: s.public_key.verify(signature, signing_input, pkcs1, sha256)),
        "practical floor": (practical_floor, lambda: practical_floor(next(cycles["floor"]))),
        "ours: TokenVerifier (no cache)": (verifier.verify,
                                           lambda: verifier.verify(next(cycles["ours"]))),
        "ours: cache miss (new token)": (missing.verify, lambda: missing.verify(next(miss_cycle))),
        "ours: cache hit (repeated token)": (cached.verify, lambda: cached.verify(token)),
        "python-jose decode, key object": (jose_key_object,
                                           lambda: jose_key_object(next(cycles["jose"]))),
        "python-jose decode, JWK dict": (jose_jwk_dict,
                                         lambda: jose_jwk_dict(next(cycles["jwk"]))),
    }, missing


def check(name, verify, good, bad):
    verify(good)
    try:
        verify(bad)
    except (TokenError, Exception):  # each variant's own error type
        return
    raise SystemExit(f"{name} accepted a token with a flipped signature byte: not timed")


def loop_count(timed, repeat_seconds=REPEAT_SECONDS):
    return timing.loop_count(timed, repeat_seconds)


def measure(rounds=ROUNDS, repeats=REPEATS, repeat_seconds=REPEAT_SECONDS, out=print):
    """Return ``{name: {"us": median µs, "ratio": median ratio to the practical floor}}``."""
    s = Subjects()
    try:
        table, missing = variants(s)
        for name, (verify, _) in table.items():
            check(name, verify, s.token, s.bad_token)
        counts = {name: loop_count(timed, repeat_seconds) for name, (_, timed) in table.items()}
        names = list(table)
        per_round = []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            best = {name: math.inf for name in names}
            # Repeats interleaved across variants: each variant's minimum comes from the same
            # stretch of time, as this machine's speed drifts by seconds.
            for _ in range(repeats):
                for name in order:
                    seconds = timer(table[name][1]).timeit(counts[name])
                    best[name] = min(best[name], seconds / counts[name] * 1e6)
            per_round.append(best)
            out(f"  round {r + 1}/{rounds}: " + ", ".join(
                f"{n.split(' (')[0]} {best[n]:.1f}" for n in names[:3]) + " µs ...")
        if missing.hits:
            raise SystemExit("the cache-miss variant hit the cache: its figure is not a miss")
        return summarize(names, per_round)
    finally:
        s.close()


def summarize(names, per_round):
    floor = "practical floor"
    return {name: {"us": statistics.median(r[name] for r in per_round),
                   "ratio": statistics.median(r[name] / r[floor] for r in per_round)}
            for name in names}


def cache_entry_bytes(count=256):
    """Memory one cached entry holds (realistic Auth0 token), measured with tracemalloc."""
    s = Subjects()
    try:
        tokens = mint_tokens(s.key, count)
        cached = s.verifier(cache_size=count)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for token in tokens:
            cached.verify(token)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return (after - before) / count, len(tokens[0])
    finally:
        s.close()


def report(results, out=print):
    out(f"{'variant':40} {'µs (median)':>12} {'× practical floor':>18}")
    for name, row in results.items():
        out(f"{name:40} {row['us']:12.1f} {row['ratio']:18.2f}")
    cold = results["ours: cache miss (new token)"]["ratio"]
    hit = results["ours: cache hit (repeated token)"]["ratio"]
    out(f"a new token (cache miss): {cold:.2f}× the practical floor "
        f"({'within' if cold <= 1.3 else 'over'} 1.3×)")
    out(f"a repeated token (cache hit): {hit:.3f}× the practical floor "
        f"({'within' if hit <= 0.1 else 'over'} 0.1×)")


def _main():
    print("Micro-benchmark (in process, one core)")
    results = measure()
    report(results)
    per_entry, length = cache_entry_bytes()
    print(f"cache memory: {per_entry / 1024:.1f} KiB per entry ({length}-character token)")
    return results


if __name__ == "__main__":
    _main()
