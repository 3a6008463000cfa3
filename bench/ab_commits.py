"""The request path of this checkout against another commit's, ABAB in one process.

    .venv/bin/python -m bench.ab_commits --base <commit> [--pairs 30 --batch 200]

The other commit's ``auth0_jwt`` is unpacked (``git archive``) as a package of another name,
so both live in one process; each side gets its own Django handler with its own middleware
list (``config.settings`` as of that commit: read from the commit) and a view whose only
authentication class is that side's ``Auth0JWTAuthentication``. Batches alternate A, B, A, B
through Django's test client; the figure is the median over pairs of (B time / A time). An
A/A run (the base against itself) beside it shows the noise floor. Scenarios: a repeated valid
token (a cache hit: the hot path), an expired one (a 401 with its log line), /api/public.

``--micro`` times only ``Auth0JWTAuthentication.authenticate`` (a cache hit) on one prepared
request, ABAB in batches of 20,000 calls: less noise, and the cost in microseconds.

``--dpop`` times a DPoP proof's verification (``ProofVerifier.verify``, ES256, a new proof
each call, each side with its own SQLite replay store in a temporary folder), ABAB in batches
of 500 proofs made beforehand; each side first accepts a proof and refuses a replayed one
and one with a flipped signature byte.
"""
import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD = "auth0_jwt_base"


def unpack_base(commit, into):
    """``auth0_jwt`` of ``commit`` as package ``auth0_jwt_base`` in ``into``; its MIDDLEWARE."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "auth0_jwt"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = Path(into) / OLD
    (Path(into) / "auth0_jwt").rename(package)
    for path in package.rglob("*.py"):
        text = re.sub(r"\bauth0_jwt\b(?=[._ ])", OLD, path.read_text())
        path.write_text(text)
    settings = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:config/settings.py"],
                              check=True, capture_output=True, text=True).stdout
    block = re.search(r"MIDDLEWARE = \[(.*?)\n\]", settings, re.S).group(1)
    return re.findall(r'^\s*"([^"]+)"', block, re.M)


def configure(jwks_url):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50, "DJANGO_ALLOWED_HOSTS": "testserver",
        "AUTH0_ISSUER": "https://tenant.test.example/", "AUTH0_DOMAIN": "",
        "AUTH0_AUDIENCE": "https://api.test.example", "AUTH0_JWKS_URL": jwks_url,
        "DJANGO_LOG_LEVEL": "CRITICAL"})
    import django

    django.setup()


def urlconf():
    from django.urls import path
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from auth0_jwt import Auth0JWTAuthentication as New, exception_handler as new_handler
    from auth0_jwt_base._drf.authentication import Auth0JWTAuthentication as Old
    from auth0_jwt_base._drf.handlers import exception_handler as old_handler
    from config.urls import urlpatterns

    def view(authentication, handler):
        class Private(APIView):
            authentication_classes = [authentication]
            permission_classes = [IsAuthenticated]

            def get_exception_handler(self):
                return handler

            def get(self, request):
                return Response({"user": request.user.sub})

        return Private.as_view()

    module = type(sys)("bench_ab_urls")
    module.urlpatterns = [path("a/private", view(Old, old_handler)),
                          path("b/private", view(New, new_handler)), *urlpatterns]
    sys.modules[module.__name__] = module
    return module.__name__


def client_with(middleware, urls):
    from django.test import Client, override_settings

    client = Client()
    with override_settings(MIDDLEWARE=middleware, ROOT_URLCONF=urls):
        client.handler.load_middleware()
    return client


def batch(client, path, headers, count):
    started = time.perf_counter()
    for _ in range(count):
        response = client.get(path, **headers)
    return time.perf_counter() - started, response.status_code


def ab(a, b, scenario, pairs, count):
    """Median over pairs of B time / A time; the side that runs first alternates."""
    (path_a, path_b), headers = scenario
    ratios, seconds_a = [], []
    for index in range(pairs):
        sides = (("A", a, path_a), ("B", b, path_b))
        timed = {side: batch(client, path, headers, count)
                 for side, client, path in (sides if index % 2 == 0 else sides[::-1])}
        ratios.append(timed["B"][0] / timed["A"][0])
        seconds_a.append(timed["A"][0])
    return (statistics.median(ratios), timed["A"][1], timed["B"][1],
            statistics.median(seconds_a))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="commit to compare this checkout with")
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--micro", action="store_true")
    parser.add_argument("--dpop", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    workdir = tempfile.mkdtemp(prefix="ab-commits-")
    old_middleware = unpack_base(args.base, workdir)
    sys.path.insert(0, workdir)
    from bench.common import flip_signature, mint_token, new_key, start_jwks  # noqa: F401

    key = new_key()
    jwks = start_jwks(key)
    try:
        configure(jwks.url)
        from django.conf import settings
        from django.test.utils import setup_test_environment

        setup_test_environment()
        if args.micro:
            return micro(key, args.pairs)
        if args.dpop:
            return dpop_micro(args.pairs)
        settings.ROOT_URLCONF = urls = urlconf()
        old, new = client_with(old_middleware, urls), client_with(settings.MIDDLEWARE, urls)
        valid = {"HTTP_AUTHORIZATION": f"Bearer {mint_token(key)}"}
        from tests.keys import mint

        expired = {"HTTP_AUTHORIZATION": "Bearer " + mint(
            key, header={"alg": "RS256", "typ": "JWT", "kid": key.kid},
            exp=1_000_000_000, iat=999_999_000)}
        scenarios = {
            "valid token, cache hit (A/A)": (("a/private", "a/private"), valid, old, old),
            "valid token, cache hit": (("a/private", "b/private"), valid, old, new),
            "expired token, 401 (A/A)": (("a/private", "a/private"), expired, old, old),
            "expired token, 401": (("a/private", "b/private"), expired, old, new),
            "/api/public (A/A)": (("api/public", "api/public"), {}, old, old),
            "/api/public": (("api/public", "api/public"), {}, old, new),
        }
        for client in (old, new):  # warm: keys fetched, tokens cached, code paths loaded
            for paths, headers, *_ in scenarios.values():
                batch(client, "/" + paths[0], headers, 50)
                batch(client, "/" + paths[1], headers, 50)
        print(f"base {args.base}, {args.pairs} pairs of {args.batch} requests, median B/A")
        for name, (paths, headers, a, b) in scenarios.items():
            ratio, status_a, status_b, seconds = ab(
                a, b, (("/" + paths[0], "/" + paths[1]), headers), args.pairs, args.batch)
            print(f"  {name:32s} {ratio:6.3f}  (status {status_a}/{status_b}, "
                  f"A {seconds / args.batch * 1e6:.0f} us/request)")
    finally:
        jwks.stop()


def micro(key, pairs, calls=20_000):
    from django.test import RequestFactory
    from rest_framework.request import Request

    from auth0_jwt import Auth0JWTAuthentication as New
    from auth0_jwt_base._drf.authentication import Auth0JWTAuthentication as Old

    request = Request(RequestFactory().get(
        "/api/private", HTTP_AUTHORIZATION=f"Bearer {mint_token_for(key)}"))
    old, new = Old(), New()
    for authentication in (old, new):
        assert authentication.authenticate(request)[1].sub  # accepted; warms the token cache

    def timed(authentication):
        started = time.perf_counter()
        for _ in range(calls):
            authentication.authenticate(request)
        return (time.perf_counter() - started) / calls

    for label, (a, b) in {"authenticate, cache hit (A/A)": (old, old),
                          "authenticate, cache hit": (old, new)}.items():
        pairs_timed = []
        for index in range(pairs):
            if index % 2 == 0:
                time_a, time_b = timed(a), timed(b)
            else:
                time_b, time_a = timed(b), timed(a)
            pairs_timed.append((time_a, time_b))
        ratio = statistics.median(tb / ta for ta, tb in pairs_timed)
        us_a = statistics.median(ta for ta, _ in pairs_timed) * 1e6
        us_b = statistics.median(tb for _, tb in pairs_timed) * 1e6
        print(f"  {label:32s} {ratio:6.3f}  (A {us_a:.2f} us, B {us_b:.2f} us per call)")


def dpop_micro(pairs, calls=500):
    from auth0_jwt._core.dpop import ProofVerifier as New
    from auth0_jwt._core.encoding import b64url_decode
    from auth0_jwt._core.replay_sqlite import SQLiteReplayStore as NewStore
    from auth0_jwt_base._core.dpop import ProofVerifier as Old
    from auth0_jwt_base._core.replay_sqlite import SQLiteReplayStore as OldStore
    from tests.dpop_client import DPoPKey
    from tests.keys import b64url

    folder = Path(tempfile.mkdtemp(prefix="ab-dpop-"))
    client, token, uri = DPoPKey(), "header.payload.signature", "http://testserver/api/private"
    sides = {"old": Old(algorithms=["ES256"], replay_store=OldStore(folder / "old.sqlite3")),
             "new": New(algorithms=["ES256"], replay_store=NewStore(folder / "new.sqlite3"))}

    def verify(verifier, proof):
        return verifier.verify(proof, method="GET", uri=uri, access_token=token,
                               jkt=client.thumbprint())

    for name, verifier in sides.items():
        proof = client.proof(htu=uri, access_token=token)
        verify(verifier, proof)
        head, payload, signature = client.proof(htu=uri, access_token=token).split(".")
        raw = b64url_decode(signature)
        flipped = f"{head}.{payload}.{b64url(bytes([raw[0] ^ 1]) + raw[1:])}"
        for bad in (proof, flipped):
            try:
                verify(verifier, bad)
            except Exception:
                continue
            raise SystemExit(f"{name} accepted a replayed or forged proof: not timed")

    def timed(verifier):
        proofs = [client.proof(htu=uri, access_token=token) for _ in range(calls)]
        started = time.perf_counter()
        for proof in proofs:
            verify(verifier, proof)
        return (time.perf_counter() - started) / calls

    for label, (a, b) in {"DPoP proof verify (A/A)": ("old", "old"),
                          "DPoP proof verify": ("old", "new")}.items():
        pairs_timed = []
        for index in range(pairs):
            if index % 2 == 0:
                time_a, time_b = timed(sides[a]), timed(sides[b])
            else:
                time_b, time_a = timed(sides[b]), timed(sides[a])
            pairs_timed.append((time_a, time_b))
        ratio = statistics.median(tb / ta for ta, tb in pairs_timed)
        us_a = statistics.median(ta for ta, _ in pairs_timed) * 1e6
        us_b = statistics.median(tb for _, tb in pairs_timed) * 1e6
        print(f"  {label:32s} {ratio:6.3f}  (A {us_a:.1f} us, B {us_b:.1f} us per proof)")


def mint_token_for(key):
    from bench.common import mint_token

    return mint_token(key)


if __name__ == "__main__":
    main()
