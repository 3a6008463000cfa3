"""What a protected request adds to a public one, in process: with a repeated token (a
token-cache hit) and with a new one (a miss), each step timed alone, and cProfile of a hit
against a public request and of a miss against a hit, by function (cProfile inflates every
call: its times are shares, its call counts exact).
"""
import io
import itertools
import time

from bench.common import AUDIENCE, ISSUER, flip_signature, mint_token, mint_tokens
from bench.servers import ROOT
from bench.wsgi_requests import PRIVATE, PUBLIC, caller, drf_request, environ

MISS_TOKENS = 256  # cycled through a 64-entry token cache: every call is a miss


def hit_miss_variants(app, key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.renderers import JSONRenderer

    from api.views import PrivateView, PublicView
    from auth0_jwt import Auth0JWTAuthentication
    from auth0_jwt._core.token_cache import TokenCache
    from auth0_jwt._core.verification import TokenVerifier
    from auth0_jwt._drf.authentication import PresentedToken
    from auth0_jwt._drf.users import TokenUser
    from auth0_jwt._ops.runtime import get_verifier
    from bench.micro import b64decode

    token = mint_token(key)
    fresh = mint_tokens(key, MISS_TOKENS)
    private_env = environ(PRIVATE, token)
    check_responses(app, token, flip_signature(token))
    verifier = get_verifier()
    authentication = Auth0JWTAuthentication()
    presented = PresentedToken(token)
    verified = verifier.verify(presented)
    entry = verifier.cache.get(token)
    kid, alg, (exp, nbf, iat) = entry[2], entry[3], entry[4]
    user = TokenUser(verified)
    with_user = drf_request(private_env, user, verified)
    plain = TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=verifier.key_source)
    full_cache = TokenCache(64)
    keys = itertools.cycle(f"{t}" for t in fresh)
    public_key, signing_input = key.private.public_key(), token.rsplit(".", 1)[0].encode()
    signature = b64decode(token.split(".")[2])
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    renderer = JSONRenderer()
    public_data = PublicView().get(drf_request(environ(PUBLIC))).data
    private_data = PrivateView().get(with_user).data
    miss_envs = itertools.cycle([environ(PRIVATE, t) for t in fresh])
    miss_tokens, plain_tokens = itertools.cycle(fresh), itertools.cycle(fresh)
    is_authenticated, view = IsAuthenticated(), PrivateView()
    header_request = drf_request(private_env)
    return {
        "public request": caller(app, environ(PUBLIC)),
        "private request, hit": caller(app, private_env),
        "private request, miss": lambda: caller(app, next(miss_envs))(),
        "authenticate() (hit)": lambda: authentication.authenticate(header_request),
        "finding the credential (get_credential)":
            lambda: authentication.get_credential(header_request._request),
        "verify(), hit": lambda: verifier.verify(presented),
        "cache lookup": lambda: verifier.cache.get(token),
        "key lookup (get_key)": lambda: verifier.key_source.get_key(kid, alg),
        "time checks": lambda: verifier.check_time_values(exp, nbf, iat, verifier.clock()),
        "presented_as": lambda: entry[0].presented_as(presented),
        "TokenUser": lambda: TokenUser(verified),
        "permission (IsAuthenticated)": lambda: is_authenticated.has_permission(with_user, view),
        "private view body": lambda: view.get(with_user),
        "public view body": lambda: PublicView().get(with_user),
        "render private body": lambda: renderer.render(private_data, "application/json"),
        "render public body": lambda: renderer.render(public_data, "application/json"),
        "verify(), miss": lambda: verifier.verify(next(miss_tokens)),
        "TokenVerifier.verify (no cache)": lambda: plain.verify(next(plain_tokens)),
        "cache put (with eviction)": lambda: full_cache.put(next(keys), entry),
        "raw RSA verify": lambda: public_key.verify(signature, signing_input, pkcs1, sha256),
    }


def check_responses(app, token, bad):
    """The timed requests answer as they should (200 public and with a valid token, 401 with
    a flipped signature byte), or nothing is timed."""
    for path, credential, expected in ((PUBLIC, None, "200"), (PRIVATE, token, "200"),
                                       (PRIVATE, bad, "401")):
        seen = []
        env = {**environ(path, credential), "wsgi.input": io.BytesIO()}
        response = app(env, lambda status, headers, exc_info=None: seen.append(status))
        b"".join(response)
        response.close()
        if not seen[0].startswith(expected):
            raise SystemExit(f"{path}: {seen[0]}, expected {expected}: nothing timed")


def profile(call, count):
    """Per function: (calls, own µs) per call of ``call``, under cProfile in thread CPU time
    (the moments another process holds the core are not counted)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    return {where(key): (calls / count, own * 1e6 / count) for key, (_, calls, own, _, _)
            in pstats.Stats(profiler).stats.items()}


def where(key):
    path, line, function = key
    for marker in ("site-packages/", str(ROOT) + "/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{function}" if path != "~" else function


def profile_diff(before, after, count, top=10):
    """What ``after`` spends beyond ``before``, by function: the ``top`` rows
    ``(function, own µs more per request, calls more per request)`` and the total."""
    first, second = profile(before, count), profile(after, count)
    rows = [(name, second.get(name, (0, 0))[1] - first.get(name, (0, 0))[1],
             second.get(name, (0, 0))[0] - first.get(name, (0, 0))[0])
            for name in set(first) | set(second)]
    rows.sort(key=lambda row: -row[1])
    # Call counts are exact (time is not): the extra calls are the extra work, noise-free.
    return {"top": rows[:top], "calls": sum(row[2] for row in rows)}


def profiles(app, key, count):
    """cProfile of a hit against a public request, and of a miss against a hit."""
    token = mint_token(key)
    public, hit = caller(app, environ(PUBLIC)), caller(app, environ(PRIVATE, token))
    misses = itertools.cycle([environ(PRIVATE, t) for t in mint_tokens(key, MISS_TOKENS)])
    hit()
    return {"hit": profile_diff(public, hit, count),
            "miss": profile_diff(hit, lambda: caller(app, next(misses))(), count)}
