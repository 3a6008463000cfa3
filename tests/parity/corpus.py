"""The requests compared: each case is a function of a ``Side`` (one server) that sends one
request, or a few when the case needs them (a replay, a nonce round trip), and returns the
``Answer`` compared. Tokens and DPoP proofs are minted by the tests' own minters
(``tests/keys.py``, ``tests/dpop_client.py``), fresh for each side, since a proof names the
server's URL.

``CASES`` keeps declaration order: on the "required" pair the JWKS outage must be the first
request, before either server holds keys.
"""
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from tests.dpop_client import DPoPKey
from tests.keys import AUDIENCE, ISSUER, b64url, claims, encode_segment, mint, mint_hmac
from tests.parity.wire import Request, send

CASES = []
RECOVERY_TIMEOUT = 10  # seconds for a side to verify tokens again after the JWKS outage


@dataclass
class Case:
    name: str
    pair: str
    run: object
    about: str
    timing: bool = False  # its difference rests on a clock margin of seconds (see the test)


def case(name, pair="allowed", timing=False):
    def register(run):
        CASES.append(Case(name, pair, run, " ".join((run.__doc__ or "").split()), timing))
        return run
    return register


class Tenant:
    """The keys both sides trust (``signing``, served by the JWKS server), a key they do not
    (``stranger``), the client's DPoP keys, and the JWKS server itself."""

    def __init__(self, jwks, signing, stranger):
        self.jwks, self.signing, self.stranger = jwks, signing, stranger
        self.dpop, self.other_dpop = DPoPKey(), DPoPKey()


class Side:
    """One server of a pair, with the minting helpers a case needs."""

    def __init__(self, tenant, port):
        self.tenant = tenant
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    def send(self, path="/api/private", headers=(), method="GET", body=None):
        return send(self.port, Request(method, path, list(headers), body))

    def token(self, **claim_overrides):
        return mint(self.tenant.signing, **claim_overrides)

    def bound_token(self, **claim_overrides):
        """A DPoP-bound token (``cnf.jkt``, RFC 9449 section 6.1) for the client's key."""
        return self.token(cnf={"jkt": self.tenant.dpop.thumbprint()}, **claim_overrides)

    def proof(self, token, path="/api/private", key=None, **overrides):
        overrides.setdefault("htu", self.base + path)
        return (key or self.tenant.dpop).proof(access_token=token, **overrides)

    def dpop(self, path="/api/private", token=None, **overrides):
        """``Authorization: DPoP`` with a bound token and one valid proof for ``path``."""
        token = token or self.bound_token()
        return self.send(path, dpop_headers(token, self.proof(token, path, **overrides)))


def bearer(token):
    return [("Authorization", f"Bearer {token}")]


def dpop_headers(token, proof):
    return [("Authorization", f"DPoP {token}"), ("DPoP", proof)]


def now():
    return int(time.time())


# -- where the token is read: the Authorization header and the query --------------------------

@case("no credentials")
def no_credentials(side):
    """GET /api/private with no Authorization header."""
    return side.send()


@case("empty Authorization header")
def empty_header(side):
    """``Authorization:`` with an empty value."""
    return side.send(headers=[("Authorization", "")])


@case("scheme without token")
def scheme_only(side):
    """``Authorization: Bearer``."""
    return side.send(headers=[("Authorization", "Bearer")])


@case("scheme and a space, no token")
def scheme_and_space(side):
    """``Authorization: Bearer `` (the space is optional whitespace, trimmed by both)."""
    return side.send(headers=[("Authorization", "Bearer ")])


@case("scheme in lower case")
def lower_case_scheme(side):
    """``Authorization: bearer <valid token>``."""
    return side.send(headers=[("Authorization", f"bearer {side.token()}")])


@case("scheme in upper case")
def upper_case_scheme(side):
    """``Authorization: BEARER <valid token>``."""
    return side.send(headers=[("Authorization", f"BEARER {side.token()}")])


@case("two spaces after the scheme")
def two_spaces(side):
    """``Authorization: Bearer  <valid token>`` (RFC 9110 section 11.4: ``1*SP``)."""
    return side.send(headers=[("Authorization", f"Bearer  {side.token()}")])


@case("tab after the scheme")
def tab_after_scheme(side):
    """``Authorization: Bearer<TAB><valid token>``."""
    return side.send(headers=[("Authorization", f"Bearer\t{side.token()}")])


@case("no-break space after the scheme")
def nbsp_after_scheme(side):
    """``Authorization: Bearer<U+00A0><valid token>`` (one latin-1 byte on the wire)."""
    return side.send(headers=[("Authorization", f"Bearer\xa0{side.token()}")])


@case("a word after the token")
def word_after_token(side):
    """``Authorization: Bearer <valid token> extra``."""
    return side.send(headers=[("Authorization", f"Bearer {side.token()} extra")])


@case("scheme written twice")
def scheme_twice(side):
    """``Authorization: Bearer Bearer <valid token>`` (a pasted header value)."""
    return side.send(headers=[("Authorization", f"Bearer Bearer {side.token()}")])


@case("token in quotes")
def quoted_token(side):
    """``Authorization: Bearer "<valid token>"``: outside RFC 6750's ``b64token``."""
    return side.send(headers=[("Authorization", f'Bearer "{side.token()}"')])


@case("token without a scheme")
def token_without_scheme(side):
    """``Authorization: <valid token>``."""
    return side.send(headers=[("Authorization", side.token())])


@case("Basic scheme")
def basic_scheme(side):
    """``Authorization: Basic dXNlcjpwYXNz`` on a protected route."""
    return side.send(headers=[("Authorization", "Basic dXNlcjpwYXNz")])


@case("two Authorization headers")
def two_authorization_headers(side):
    """The same valid ``Authorization: Bearer`` header twice."""
    token = side.token()
    return side.send(headers=bearer(token) + bearer(token))


@case("token in the query string")
def query_token(side):
    """``GET /api/private?access_token=<valid token>``, no header (RFC 6750 section 2.3)."""
    return side.send(f"/api/private?access_token={side.token()}")


@case("token in the header and the query string")
def header_and_query_token(side):
    """A valid token in ``Authorization`` and in ``?access_token=``."""
    token = side.token()
    return side.send(f"/api/private?access_token={token}", bearer(token))


# -- the token: signature, header, claims ------------------------------------------------------

@case("valid token")
def valid_token(side):
    """GET /api/private with a valid RS256 token."""
    return side.send(headers=bearer(side.token()))


@case("valid token, trailing slash")
def valid_token_trailing_slash(side):
    """GET /api/private/ with a valid token (Express routes are not strict)."""
    return side.send("/api/private/", bearer(side.token()))


@case("token with 'typ' at+jwt")
def at_jwt_token(side):
    """A valid token typed ``at+jwt`` (RFC 9068 section 2.1)."""
    header = {"alg": "RS256", "typ": "at+jwt", "kid": side.tenant.signing.kid}
    return side.send(headers=bearer(mint(side.tenant.signing, header=header)))


@case("expired token")
def expired_token(side):
    """``exp`` an hour ago."""
    return side.send(headers=bearer(side.token(iat=now() - 7200, exp=now() - 3600)))


@case("expired within the SDK's clock tolerance", timing=True)
def expired_within_tolerance(side):
    """``exp`` one second ago: inside ``clockTolerance`` (5 s), outside ``LEEWAY`` (0)."""
    return side.send(headers=bearer(side.token(iat=now() - 60, exp=now() - 1)))


@case("not yet valid")
def not_yet_valid(side):
    """``nbf`` in an hour."""
    return side.send(headers=bearer(side.token(nbf=now() + 3600)))


@case("issued in the future")
def issued_in_future(side):
    """``iat`` in an hour, no ``nbf``."""
    return side.send(headers=bearer(side.token(iat=now() + 3600, exp=now() + 7200)))


@case("no 'exp'")
def missing_exp(side):
    """A token without ``exp``."""
    return side.send(headers=bearer(side.token(exp=None)))


@case("'exp' as a string")
def string_exp(side):
    """``exp`` is the string of a future time."""
    return side.send(headers=bearer(side.token(exp=str(now() + 3600))))


@case("no 'sub'")
def missing_sub(side):
    """A valid token without ``sub``."""
    return side.send(headers=bearer(side.token(sub=None)))


@case("wrong audience")
def wrong_audience(side):
    """``aud`` of another API."""
    return side.send(headers=bearer(side.token(aud="https://other-api.example")))


@case("audience in a list")
def audience_list(side):
    """``aud`` a list holding this API's audience."""
    return side.send(headers=bearer(side.token(aud=["https://other-api.example", AUDIENCE])))


@case("wrong issuer")
def wrong_issuer(side):
    """``iss`` of another tenant."""
    return side.send(headers=bearer(side.token(iss="https://evil.example/")))


@case("issuer without its trailing slash")
def issuer_without_slash(side):
    """``iss`` the configured issuer less its trailing ``/``."""
    return side.send(headers=bearer(side.token(iss=ISSUER.rstrip("/"))))


@case("alg none")
def alg_none(side):
    """An unsigned token (``alg: none``, empty signature)."""
    token = f"{encode_segment({'alg': 'none', 'typ': 'JWT'})}.{encode_segment(claims())}."
    return side.send(headers=bearer(token))


@case("HS256 signed with the public key")
def hs256_public_key(side):
    """HMAC-SHA256 keyed with the signing key's public PEM (algorithm confusion)."""
    pem = side.tenant.signing.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": side.tenant.signing.kid}
    return side.send(headers=bearer(mint_hmac(pem, claims(), header)))


@case("RS512 token")
def rs512_token(side):
    """Signed with the right key, but RS512 where RS256 is configured."""
    return side.send(headers=bearer(mint(side.tenant.signing, alg="RS512")))


@case("unknown kid")
def unknown_kid(side):
    """Signed by a key the JWKS does not hold."""
    return side.send(headers=bearer(mint(side.tenant.stranger)))


@case("no kid")
def no_kid(side):
    """Signed by the JWKS's only key, without ``kid`` in the header."""
    return side.send(headers=bearer(mint(side.tenant.signing,
                                         header={"alg": "RS256", "typ": "JWT"})))


@case("tampered signature")
def tampered_signature(side):
    """A valid token with its signature's first bytes changed."""
    head, payload, signature = side.token().split(".")
    return side.send(headers=bearer(f"{head}.{payload}.{'AAAA' + signature[4:]}"))


@case("tampered payload")
def tampered_payload(side):
    """A valid token's signature over another payload (``sub`` changed)."""
    head, _, signature = side.token().split(".")
    return side.send(headers=bearer(f"{head}.{encode_segment(claims(sub='admin'))}.{signature}"))


@case("'jku' in the header")
def jku_header(side):
    """Signed by the JWKS's key, header naming another key set (RFC 8725 section 3.10)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": side.tenant.signing.kid,
              "jku": "https://evil.example/jwks.json"}
    return side.send(headers=bearer(mint(side.tenant.signing, header=header)))


@case("unknown 'crit' extension")
def crit_header(side):
    """Header ``crit`` naming an extension neither side knows (RFC 7515 section 4.1.11)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": side.tenant.signing.kid,
              "crit": ["urn:example:ext"], "urn:example:ext": True}
    return side.send(headers=bearer(mint(side.tenant.signing, header=header)))


@case("not a JWT")
def not_a_jwt(side):
    """``Authorization: Bearer abc.def`` (two segments)."""
    return side.send(headers=bearer("abc.def"))


@case("certificate-bound token as Bearer")
def certificate_bound(side):
    """A valid token with ``cnf["x5t#S256"]`` (RFC 8705), no client certificate."""
    return side.send(headers=bearer(side.token(cnf={"x5t#S256": b64url(b"\x01" * 32)})))


@case("unusable 'cnf' as Bearer")
def unusable_cnf(side):
    """A valid token whose ``cnf`` names no confirmation method either side knows."""
    return side.send(headers=bearer(side.token(cnf={"urn:example:method": "x"})))


# -- scopes, claims, optional authentication (the quickstart's routes) ------------------------

@case("scoped route, scope present")
def scoped_ok(side):
    """GET /api/private-scoped, ``scope: "openid read:messages"``."""
    return side.send("/api/private-scoped", bearer(side.token(scope="openid read:messages")))


@case("scoped route, scope missing")
def scoped_missing(side):
    """GET /api/private-scoped, ``scope: "openid profile"``."""
    return side.send("/api/private-scoped", bearer(side.token()))


@case("scoped route, no 'scope' claim")
def scoped_no_claim(side):
    """GET /api/private-scoped, a token without ``scope``."""
    return side.send("/api/private-scoped", bearer(side.token(scope=None)))


@case("scoped route, scope in 'permissions' only")
def scoped_permissions(side):
    """GET /api/private-scoped, no ``scope``, ``permissions: ["read:messages"]`` (Auth0 RBAC)."""
    token = side.token(scope=None, permissions=["read:messages"])
    return side.send("/api/private-scoped", bearer(token))


@case("scoped route, 'scope' as an array")
def scoped_array(side):
    """GET /api/private-scoped, ``scope: ["read:messages"]`` (RFC 8693 section 4.2: a string)."""
    return side.send("/api/private-scoped", bearer(side.token(scope=["read:messages"])))


@case("scoped route, no token")
def scoped_no_token(side):
    """GET /api/private-scoped without credentials."""
    return side.send("/api/private-scoped")


@case("messages, scope present")
def messages_ok(side):
    """GET /api/messages, ``scope: "read:messages"``."""
    return side.send("/api/messages", bearer(side.token(scope="read:messages")))


@case("messages, scope missing")
def messages_missing(side):
    """GET /api/messages, ``scope: "openid profile"``."""
    return side.send("/api/messages", bearer(side.token()))


@case("admin, scope present")
def admin_ok(side):
    """GET /api/admin, ``scope: "admin:access"``."""
    return side.send("/api/admin", bearer(side.token(scope="admin:access")))


@case("admin, scope missing")
def admin_missing(side):
    """GET /api/admin, ``scope: "read:messages"``."""
    return side.send("/api/admin", bearer(side.token(scope="read:messages")))


@case("org claim equal")
def org_ok(side):
    """GET /api/org/org_123, ``org_id: "org_123"``."""
    return side.send("/api/org/org_123", bearer(side.token(org_id="org_123")))


@case("org claim different")
def org_other(side):
    """GET /api/org/org_123, ``org_id: "org_456"``."""
    return side.send("/api/org/org_123", bearer(side.token(org_id="org_456")))


@case("org claim missing")
def org_missing(side):
    """GET /api/org/org_123, no ``org_id``."""
    return side.send("/api/org/org_123", bearer(side.token()))


@case("roles include both")
def roles_ok(side):
    """GET /api/roles, ``roles: ["editor", "viewer", "x"]``."""
    return side.send("/api/roles", bearer(side.token(roles=["editor", "viewer", "x"])))


@case("roles lack one")
def roles_missing(side):
    """GET /api/roles, ``roles: ["viewer"]``."""
    return side.send("/api/roles", bearer(side.token(roles=["viewer"])))


@case("premium check passes")
def premium_ok(side):
    """GET /api/premium, ``subscription: "premium"``, ``verified: true``."""
    return side.send("/api/premium", bearer(side.token(subscription="premium", verified=True)))


@case("premium check fails")
def premium_unverified(side):
    """GET /api/premium, ``subscription: "premium"``, ``verified: false``."""
    return side.send("/api/premium", bearer(side.token(subscription="premium", verified=False)))


@case("optional route, no token")
def feed_anonymous(side):
    """GET /api/feed without credentials."""
    return side.send("/api/feed")


@case("optional route, valid token")
def feed_valid(side):
    """GET /api/feed with a valid token."""
    return side.send("/api/feed", bearer(side.token()))


@case("optional route, expired token")
def feed_expired(side):
    """GET /api/feed with a token that expired an hour ago."""
    return side.send("/api/feed", bearer(side.token(iat=now() - 7200, exp=now() - 3600)))


@case("optional route, malformed header")
def feed_malformed(side):
    """GET /api/feed with ``Authorization: Bearer``."""
    return side.send("/api/feed", [("Authorization", "Bearer")])


@case("optional route, proof beside a Bearer token")
def feed_proof_with_bearer(side):
    """GET /api/feed with a valid Bearer token and a ``DPoP`` proof for it."""
    token = side.token()
    return side.send("/api/feed", bearer(token) + [("DPoP", side.proof(token, "/api/feed"))])


@case("public route, malformed header")
def public_malformed(side):
    """GET /api/public with ``Authorization: Bearer !!``."""
    return side.send("/api/public", [("Authorization", "Bearer !!")])


@case("unknown route")
def unknown_route(side):
    """GET /api/nope with a valid token."""
    return side.send("/api/nope", bearer(side.token()))


@case("POST to a GET route")
def wrong_method(side):
    """POST /api/private with a valid token and an empty body."""
    return side.send(headers=bearer(side.token()), method="POST", body=b"")


# -- DPoP (RFC 9449), with DPoP allowed: both sides' default ----------------------------------

@case("DPoP: valid proof")
def dpop_valid(side):
    """``Authorization: DPoP <bound token>`` and one valid proof."""
    return side.dpop()


@case("DPoP: scheme in lower case")
def dpop_lower_case(side):
    """``Authorization: dpop <bound token>`` and a valid proof."""
    token = side.bound_token()
    return side.send(headers=[("Authorization", f"dpop {token}"), ("DPoP", side.proof(token))])


@case("DPoP: scheme without token")
def dpop_scheme_only(side):
    """``Authorization: DPoP`` and a proof."""
    return side.send(headers=[("Authorization", "DPoP"), ("DPoP", side.proof(None))])


@case("DPoP: expired bound token")
def dpop_expired_token(side):
    """A bound token that expired an hour ago, with a valid proof."""
    return side.dpop(token=side.bound_token(iat=now() - 7200, exp=now() - 3600))


@case("DPoP: proof not a JWT")
def dpop_garbage_proof(side):
    """``DPoP: abc`` beside a bound token."""
    return side.send(headers=dpop_headers(side.bound_token(), "abc"))


@case("DPoP: proof missing")
def dpop_missing_proof(side):
    """``Authorization: DPoP <bound token>`` without a ``DPoP`` header."""
    return side.send(headers=[("Authorization", f"DPoP {side.bound_token()}")])


@case("DPoP: empty proof header")
def dpop_empty_proof(side):
    """``Authorization: DPoP <bound token>`` and ``DPoP:`` empty."""
    return side.send(headers=[("Authorization", f"DPoP {side.bound_token()}"), ("DPoP", "")])


@case("DPoP: two proofs")
def dpop_two_proofs(side):
    """Two ``DPoP`` headers, each a valid proof (RFC 9449 section 4.3 check 1)."""
    token = side.bound_token()
    return side.send(headers=dpop_headers(token, side.proof(token))
                     + [("DPoP", side.proof(token))])


@case("DPoP: proof without Authorization")
def dpop_proof_alone(side):
    """A ``DPoP`` proof header and no ``Authorization``."""
    return side.send(headers=[("DPoP", side.proof(side.bound_token()))])


@case("DPoP: proof beside a Bearer token")
def dpop_proof_with_bearer(side):
    """``Authorization: Bearer <unbound token>`` and a valid ``DPoP`` proof for it."""
    token = side.token()
    return side.send(headers=bearer(token) + [("DPoP", side.proof(token))])


@case("DPoP: bound token as Bearer")
def dpop_bound_as_bearer(side):
    """``Authorization: Bearer <bound token>``, no proof (RFC 9449 section 7.2)."""
    return side.send(headers=bearer(side.bound_token()))


@case("DPoP: bound token as Bearer, with its proof")
def dpop_bound_as_bearer_with_proof(side):
    """``Authorization: Bearer <bound token>`` and a valid proof."""
    token = side.bound_token()
    return side.send(headers=bearer(token) + [("DPoP", side.proof(token))])


@case("DPoP: unbound token as DPoP")
def dpop_unbound_token(side):
    """``Authorization: DPoP <token without cnf>`` and a valid proof."""
    token = side.token()
    return side.send(headers=dpop_headers(token, side.proof(token)))


@case("DPoP: proof by another key")
def dpop_other_key(side):
    """A bound token with a valid proof signed by a key other than ``cnf.jkt``'s."""
    token = side.bound_token()
    return side.send(headers=dpop_headers(token, side.proof(token, key=side.tenant.other_dpop)))


@case("DPoP: wrong htm")
def dpop_bad_htm(side):
    """A proof for POST on a GET."""
    return side.dpop(htm="POST")


@case("DPoP: htm in lower case")
def dpop_lower_htm(side):
    """A proof with ``htm: "get"`` (RFC 9110 section 9.1: methods are case-sensitive)."""
    return side.dpop(htm="get")


@case("DPoP: wrong htu")
def dpop_bad_htu(side):
    """A proof for another path of the same server."""
    return side.dpop(htu=side.base + "/api/admin")


@case("DPoP: htu with a query")
def dpop_htu_query(side):
    """A proof whose ``htu`` carries a query string (RFC 9449 section 4.3: ignored)."""
    return side.dpop(htu=side.base + "/api/private?x=1")


@case("DPoP: wrong ath")
def dpop_bad_ath(side):
    """A proof whose ``ath`` is the hash of another token."""
    token = side.bound_token()
    proof = side.proof(side.bound_token(sub="someone-else"))
    return side.send(headers=dpop_headers(token, proof))


@case("DPoP: no ath")
def dpop_no_ath(side):
    """A proof without ``ath``."""
    token = side.bound_token()
    return side.send(headers=dpop_headers(token, side.proof(None)))


@case("DPoP: replayed proof")
def dpop_replayed(side):
    """The same valid proof sent twice; the second answer is compared."""
    token = side.bound_token()
    headers = dpop_headers(token, side.proof(token))
    side.send(headers=headers)
    return side.send(headers=headers)


@case("DPoP: iat ten minutes old")
def dpop_stale(side):
    """A proof with ``iat`` 600 s ago."""
    return side.dpop(iat=now() - 600)


@case("DPoP: iat two minutes old")
def dpop_two_minutes_old(side):
    """A proof with ``iat`` 120 s ago: inside ``iatOffset`` (300 s), outside 60 s."""
    return side.dpop(iat=now() - 120)


@case("DPoP: iat 20 s ahead")
def dpop_slightly_future(side):
    """A proof with ``iat`` 20 s ahead: inside ``iatLeeway`` (30 s), outside 5 s."""
    return side.dpop(iat=now() + 20)


@case("DPoP: iat two minutes ahead")
def dpop_future(side):
    """A proof with ``iat`` 120 s ahead."""
    return side.dpop(iat=now() + 120)


@case("DPoP: bad proof signature")
def dpop_bad_signature(side):
    """A proof signed over other bytes."""
    return side.dpop(signature=b"\x00" * 64)


@case("DPoP: proof typ JWT")
def dpop_bad_typ(side):
    """A proof typed ``JWT`` instead of ``dpop+jwt``."""
    key = side.tenant.dpop
    return side.dpop(header={"typ": "JWT", "alg": "ES256", "jwk": key.jwk()})


@case("DPoP: private key in the proof's jwk")
def dpop_private_jwk(side):
    """A proof whose ``jwk`` includes the private ``d`` (RFC 9449 section 4.3 check 6)."""
    key = side.tenant.dpop
    d = key.private.private_numbers().private_value.to_bytes(32, "big")
    return side.dpop(header={"typ": "dpop+jwt", "alg": "ES256", "jwk": {**key.jwk(),
                                                                        "d": b64url(d)}})


@case("DPoP: unsolicited nonce")
def dpop_unsolicited_nonce(side):
    """A valid proof carrying a ``nonce`` the server never issued."""
    return side.dpop(nonce="not-issued-by-anyone")


@case("DPoP: scoped route, scope missing")
def dpop_scope_missing(side):
    """GET /api/private-scoped with DPoP, token without ``read:messages``."""
    return side.dpop("/api/private-scoped")


@case("DPoP: scoped route, scope present")
def dpop_scope_ok(side):
    """GET /api/private-scoped with DPoP, ``scope: "read:messages"``."""
    return side.dpop("/api/private-scoped", side.bound_token(scope="read:messages"))


@case("DPoP: claim check fails")
def dpop_claim_fails(side):
    """GET /api/org/org_123 with DPoP, ``org_id: "org_456"``."""
    return side.dpop("/api/org/org_123", side.bound_token(org_id="org_456"))


@case("DPoP: optional route")
def dpop_feed(side):
    """GET /api/feed with DPoP."""
    return side.dpop("/api/feed")


# -- DPoP required (ours AUTH0_DPOP_MODE=required, the SDK's dpop.required) -------------------

@case("required: keys unreachable", pair="required")
def required_jwks_down(side):
    """The JWKS endpoint answers 500 before either server holds keys; a valid DPoP request.
    The endpoint is then restored and the side waited for until it verifies tokens again."""
    jwks = side.tenant.jwks
    jwks.status = 500
    try:
        answer = side.dpop()
    finally:
        jwks.status = 200
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while side.dpop().status != 200:  # ours retries a failed fetch after a second
        if time.monotonic() > deadline:
            raise RuntimeError(f"no keys {RECOVERY_TIMEOUT} s after the JWKS came back")
        time.sleep(0.2)
    return answer


@case("required: no credentials", pair="required")
def required_no_credentials(side):
    """GET /api/private with no Authorization header."""
    return side.send()


@case("required: valid proof", pair="required")
def required_valid(side):
    """A bound token and a valid proof."""
    return side.dpop()


@case("required: Bearer token", pair="required")
def required_bearer(side):
    """``Authorization: Bearer <valid unbound token>``."""
    return side.send(headers=bearer(side.token()))


@case("required: bound token as Bearer", pair="required")
def required_bound_as_bearer(side):
    """``Authorization: Bearer <bound token>``, no proof."""
    return side.send(headers=bearer(side.bound_token()))


@case("required: proof missing", pair="required")
def required_missing_proof(side):
    """``Authorization: DPoP <bound token>`` without a ``DPoP`` header."""
    return side.send(headers=[("Authorization", f"DPoP {side.bound_token()}")])


@case("required: wrong htm", pair="required")
def required_bad_htm(side):
    """A proof for POST on a GET."""
    return side.dpop(htm="POST")


@case("required: Basic scheme", pair="required")
def required_basic(side):
    """``Authorization: Basic dXNlcjpwYXNz``."""
    return side.send(headers=[("Authorization", "Basic dXNlcjpwYXNz")])


@case("required: scoped route, scope missing", pair="required")
def required_scope_missing(side):
    """GET /api/private-scoped with DPoP, token without ``read:messages``."""
    return side.dpop("/api/private-scoped")


# -- server nonces (RFC 9449 section 9): ours with DPOP_NONCE_LIFETIME; the SDK has none -------

@case("nonce: proof without nonce", pair="nonce")
def nonce_missing(side):
    """A valid proof without ``nonce``."""
    return side.dpop()


@case("nonce: proof with the server's nonce", pair="nonce")
def nonce_round_trip(side):
    """A first request for a ``DPoP-Nonce``, then a proof carrying it (none if none came)."""
    nonce = side.dpop().headers.get("dpop-nonce")
    return side.dpop(**({"nonce": nonce} if nonce else {}))


@case("nonce: proof with an unknown nonce", pair="nonce")
def nonce_unknown(side):
    """A valid proof whose ``nonce`` the server never issued."""
    return side.dpop(nonce="not-issued-by-anyone")


@case("nonce: Bearer token", pair="nonce")
def nonce_bearer(side):
    """A valid Bearer token: nonces concern DPoP proofs only."""
    return side.send(headers=bearer(side.token()))
