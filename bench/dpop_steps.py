"""One DPoP request, step by step: what each check costs beyond the ES256 verify.

    .venv/bin/python -m bench.dpop_steps [--rounds 20]

The production settings in process (``config.wsgi``, DPoP "allowed", the default SQLite replay
store in a temporary folder), as ``bench/replay.py`` sets them up. Three parts, in this order:

1. **Whole requests**: batches of Bearer and of DPoP requests through the WSGI application,
   interleaved, the DPoP/Bearer ratio per pair of batches, the median reported (wall and this
   thread's CPU).
2. **The floor in context**: the raw ES256 verify right after a Bearer request, and again
   right after that one (caches warm).
3. **Each step alone**, timed as the micro-benchmarks are (``bench.replay.interleaved``: a
   loop count that makes one repeat >= 0.25 s, min of 5 repeats, median over 3 rounds that
   rotate the order), on the same proof, token and request: the proof's split, its header
   and payload parsed, the header and ``jwk`` checks with the kept key, the ES256 verify (and
   the raw ``cryptography`` call, the floor), each claim check, the thumbprint, the binding,
   the replay key and the store's write, the request URI the pipeline builds, and the whole
   ``ProofVerifier.verify`` with a store that records nothing and with the file.

Checked first: a Bearer and a DPoP request answer 200, a replayed proof and one with a
flipped signature byte 401.
"""
import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from bench.replay import (URL, Requests, interleaved, print_table, request_ratios,
                          setup_django)


def steps(requests, folder):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from django.test import RequestFactory

    from auth0_jwt._core import dpop
    from auth0_jwt._core.encoding import b64url_decode
    from auth0_jwt._core.replay_guard import GuardedReplayStore
    from auth0_jwt._core.replay_sqlite import SQLiteReplayStore
    from auth0_jwt._drf.pipeline import request_uri

    class NoStore:
        def seen_before(self, key, ttl):
            return False

    file_store = GuardedReplayStore(SQLiteReplayStore(folder / "steps.sqlite3"), name="file")
    # Proofs are made beforehand and used for a minute or two: a wide window keeps them valid.
    verifier = dpop.ProofVerifier(algorithms=["ES256"], replay_store=NoStore(), iat_window=3600)
    filed = dpop.ProofVerifier(algorithms=["ES256"], replay_store=file_store, iat_window=3600)
    token, jkt = requests.dpop, requests.key.thumbprint()
    proofs = iter(requests.proofs(60_000))
    proof = next(proofs)
    verifier.verify(proof, method="GET", uri=URL, access_token=token, jkt=jkt)  # keeps the key
    head, body, signature = dpop.split(proof)
    header = dpop.parse_segment(head, "header")
    payload = dpop.parse_segment(body, "payload")
    key = verifier.check_header(header)
    signing_input = proof[: len(head) + 1 + len(body)]
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    request = RequestFactory().get("/api/private", HTTP_HOST="testserver")
    counter = iter(range(10**9))
    table = {
        "whole verify, store recording nothing": lambda: verifier.verify(
            proof, method="GET", uri=URL, access_token=token, jkt=jkt),
        "whole verify, the file store (new proof each)": lambda: filed.verify(
            next(proofs), method="GET", uri=URL, access_token=token, jkt=jkt),
        "ES256 verify alone (cryptography, the floor)": lambda: key._key.verify(
            der, signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())),
        "check_signature (base64url, R||S to DER, verify)": lambda: verifier.check_signature(
            key, signing_input, signature),
        "split (length, ASCII, three segments)": lambda: dpop.split(proof),
        "header: base64url + JSON": lambda: dpop.parse_segment(head, "header"),
        "payload: base64url + JSON": lambda: dpop.parse_segment(body, "payload"),
        "header checks + jwk checks + kept key": lambda: verifier.check_header(header),
        "kept header and key, looked up by its text": lambda: verifier._headers.get(head),
        "keep the key (cache put)": lambda: verifier.proof_keys.keep(key),
        "claims: jti, htm, htu, iat, ath": lambda: verifier.check_claims(
            payload, "GET", URL, token),
        "htu (normal forms kept)": lambda: verifier.check_htu(payload["htu"], URL),
        "iat window": lambda: verifier.check_iat(payload["iat"]),
        "ath: SHA-256 of the token, compared": lambda: verifier.check_ath(payload["ath"], token),
        "thumbprint (kept) + binding": lambda: dpop.check_binding(key.thumbprint(), jkt),
        "nonce (off: one test)": lambda: verifier.check_nonce(payload),
        "replay key (SHA-256 hex)": lambda: hashlib.sha256(
            f"{jkt}:{payload['jti']}".encode()).hexdigest(),
        "replay store write (file, breaker)": lambda: file_store.seen_before(
            f"k{next(counter)}", 71),
        "request URI (scheme, host, path)": lambda: request_uri(request),
    }
    results = interleaved(table)
    print_table("step of a DPoP request", results)
    return results


def verify_after_request(requests, samples=2000):
    """The raw ES256 verify timed alone right after a Bearer request (median µs, this
    thread's CPU), next to the same verify in a tight loop: what the floor costs inside a
    request, where Django has just evicted it from the CPU caches."""
    import statistics

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from auth0_jwt._core.encoding import b64url_decode
    from auth0_jwt._core.proof_keys import ProofKey
    from bench.replay import call, environ

    head, body, signature = requests.proofs(1)[0].split(".")
    key = ProofKey(requests.key.jwk(), "ES256")._key
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signing_input, algorithm = f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256())
    after, loop = [], []
    for _ in range(samples):
        call(requests.application, environ(requests.bearer))
        started = time.thread_time()
        key.verify(der, signing_input, algorithm)
        after.append(time.thread_time() - started)
        started = time.thread_time()
        key.verify(der, signing_input, algorithm)  # the second one: caches warm again
        loop.append(time.thread_time() - started)
    result = {"after a request": statistics.median(after) * 1e6,
              "right after that one": statistics.median(loop) * 1e6}
    print("ES256 verify alone (µs CPU, median of", samples, "samples)")
    for name, us in result.items():
        print(f"  {name:46} {us:9.1f}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="request batch pairs")
    parser.add_argument("--no-steps", action="store_true")
    args = parser.parse_args(argv)
    from bench.common import new_key, start_jwks

    folder = Path(tempfile.mkdtemp(prefix="bench-dpop-steps-"))
    signing_key = new_key()
    jwks = start_jwks(signing_key)
    try:
        application = setup_django(folder, jwks.url)
        from auth0_jwt._ops.runtime import get_proof_verifier

        print(f"DPoP request steps, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        requests = Requests(application, signing_key,
                            {"file": get_proof_verifier().replay_store})
        requests.check()
        request_ratios(requests, args.rounds)
        verify_after_request(requests)
        if not args.no_steps:
            steps(requests, folder)
    finally:
        jwks.stop()


if __name__ == "__main__":
    main()
