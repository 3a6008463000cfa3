"""In process, in the peers' virtualenv: each DRF authentication class against the raw RSA
verify, ``python -m bench.peers.micro [--quick]`` (``compare.py`` runs it).

Every variant is a DRF ``authenticate(request)`` on a prepared request, what a protected
request pays for its token: ours (a new token each call, so a cache miss, and a repeated
token), Authlib's ResourceProtector as Auth0's Django quickstart sets it up, simplejwt's
``JWTAuthentication`` with ``JWK_URL``, and a class on PyJWT's ``PyJWKClient``. Each is checked
first: it accepts a valid token and refuses one with a flipped signature byte. Timing:
``bench/timing.py``. The last line printed is ``RESULT <json>``.
"""
import itertools
import json
import os
import sys

from bench.common import (AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens, new_key,
                          start_jwks)

MISS_TOKENS = 256  # cycled through a 64-entry token cache: every call of ours is a miss
RAW = "raw RSA verify"


def configure(jwks_url):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.peers.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50, "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "AUTH0_ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "AUTH0_AUDIENCE": AUDIENCE,
        "AUTH0_JWKS_URL": jwks_url, "AUTH0_TOKEN_CACHE_SIZE": "64"})
    import django

    django.setup()


def requests_for(tokens):
    from django.test import RequestFactory
    from rest_framework.request import Request

    factory = RequestFactory()
    return [Request(factory.get("/api/private", HTTP_HOST="127.0.0.1",
                                HTTP_AUTHORIZATION=f"Bearer {token}"))
            for token in tokens]


def authenticators():
    from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

    from auth0_jwt import Auth0JWTAuthentication
    from bench.peers.authentication import AuthlibAuthentication, PyJWTAuthentication

    return {"ours": Auth0JWTAuthentication(), "authlib": AuthlibAuthentication(),
            "simplejwt": JWTStatelessUserAuthentication(), "pyjwt": PyJWTAuthentication()}


def check(name, authenticator, good, bad):
    """Accepts the valid token, refuses the flipped one, or the figure means nothing."""
    from rest_framework.exceptions import AuthenticationFailed

    user, _ = authenticator.authenticate(good)
    if not user.is_authenticated or getattr(user, "sub", None) is None:
        raise SystemExit(f"{name}: the valid token gave no user: not timed")
    try:
        authenticator.authenticate(bad)
    except AuthenticationFailed:
        return
    raise SystemExit(f"{name} accepted a token with a flipped signature byte: not timed")


def variants(key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from bench.micro import b64decode

    token = mint_token(key)
    good, bad = requests_for([token, flip_signature(token)])
    fresh = requests_for(mint_tokens(key, MISS_TOKENS))
    classes = authenticators()
    for name, authenticator in classes.items():
        check(name, authenticator, good, bad)
    public, signing_input = key.private.public_key(), token.rsplit(".", 1)[0].encode()
    signature, pkcs1, sha256 = b64decode(token.split(".")[2]), padding.PKCS1v15(), hashes.SHA256()
    cycles = {name: itertools.cycle(fresh) for name in classes}

    def new_token(name):
        authenticate, cycle = classes[name].authenticate, cycles[name]
        return lambda: authenticate(next(cycle))

    return {
        RAW: lambda: public.verify(signature, signing_input, pkcs1, sha256),
        "ours, new token": new_token("ours"),
        "ours, repeated token": lambda: classes["ours"].authenticate(good),
        "authlib": new_token("authlib"),
        "simplejwt": new_token("simplejwt"),
        "pyjwt": new_token("pyjwt"),
    }


def main(argv):
    from bench.timing import compare

    quick = "--quick" in argv
    key = new_key()
    jwks = start_jwks(key)
    try:
        configure(jwks.url)
        table = variants(key)
        results = compare(table, RAW, rounds=1 if quick else 3, repeats=2 if quick else 5,
                          repeat_seconds=0.02 if quick else 0.25,
                          out=lambda line: print(line, flush=True))
    finally:
        jwks.stop()
    print("RESULT " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
