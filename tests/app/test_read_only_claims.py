"""A verified token's claims are read-only: with the token cache, every request presenting the
same token shares one payload, so a change made by one request's code would change what the
checks of the next see (a popped ``cnf`` would turn a bound token into a bearer token)."""
import copy
import json
import pickle

import pytest

from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.token_cache import CachingVerifier
from auth0_jwt._core.tokens import ReadOnlyDict, ReadOnlyList, VerifiedToken
from tests.clock import FrozenClock
from tests.keys import AUDIENCE, ISSUER, claims, mint

NOW = 1_800_000_000
CLAIMS = {"sub": "user|1", "roles": ["editor", "viewer"], "cnf": {"jkt": "thumb"},
          "nested": [{"a": [1, 2]}]}

CHANGES = {
    "set a claim": lambda p: p.__setitem__("sub", "admin"),
    "delete a claim": lambda p: p.__delitem__("cnf"),
    "pop a claim": lambda p: p.pop("cnf"),
    "pop with a default": lambda p: p.pop("cnf", None),
    "popitem": lambda p: p.popitem(),
    "setdefault": lambda p: p.setdefault("admin", True),
    "update": lambda p: p.update(admin=True),
    "in-place union": lambda p: p.__ior__({"admin": True}),
    "clear": lambda p: p.clear(),
    "change a nested object": lambda p: p["cnf"].__setitem__("jkt", "mine"),
    "drop from a nested object": lambda p: p["cnf"].pop("jkt"),
    "append to an array": lambda p: p["roles"].append("admin"),
    "replace an array item": lambda p: p["roles"].__setitem__(0, "admin"),
    "extend an array": lambda p: p["roles"].extend(["admin"]),
    "in-place add to an array": lambda p: p["roles"].__iadd__(["admin"]),
    "remove from an array": lambda p: p["roles"].remove("editor"),
    "clear an array": lambda p: p["roles"].clear(),
    "change deep inside": lambda p: p["nested"][0]["a"].append(3),
}


@pytest.fixture
def token():
    return VerifiedToken("raw", {"alg": "RS256", "kid": "k"}, json.loads(json.dumps(CLAIMS)))


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_to_the_claims_is_refused_and_leaves_them_as_verified(token, change):
    with pytest.raises(TypeError, match="read-only"):
        CHANGES[change](token.payload)
    assert token.payload == CLAIMS


def test_the_header_is_read_only_too(token):
    with pytest.raises(TypeError, match="read-only"):
        token.header["alg"] = "none"
    assert token.header == {"alg": "RS256", "kid": "k"}


def test_read_only_claims_read_as_the_json_they_came_from(token):
    assert isinstance(token.payload, dict) and isinstance(token.payload["roles"], list)
    assert type(token.payload["cnf"]) is ReadOnlyDict
    assert type(token.payload["roles"]) is ReadOnlyList
    assert json.loads(json.dumps(token.payload)) == CLAIMS
    assert token.payload.get("sub") == "user|1" and "cnf" in token.payload


@pytest.mark.parametrize("make_copy", [dict, copy.copy, copy.deepcopy, lambda p: p.copy(),
                                       lambda p: pickle.loads(pickle.dumps(p))])
def test_a_copy_of_the_claims_is_a_plain_dict_a_view_may_change(token, make_copy):
    mine = make_copy(token.payload)
    mine["sub"] = "changed"
    assert type(mine) is dict and token.payload["sub"] == "user|1"


def test_a_cached_token_keeps_its_binding_when_a_view_tries_to_drop_it(jwks_server,
                                                                       signing_key):
    client = JWKSClient(jwks_server.url, timeout=2, cache_lifetime=600, cooldown=30,
                        clock=FrozenClock(1000.0))
    client.refresh()  # keys held, as in a warmed process: the first verify is remembered
    verifier = CachingVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=client,
                               clock=FrozenClock(NOW), cache_size=8)
    raw = mint(signing_key, claims(iat=NOW - 10, exp=NOW + 600, cnf={"jkt": "thumb"}))
    first = verifier.verify(raw)
    with pytest.raises(TypeError):
        first.payload.pop("cnf")  # what a careless view might do
    second = verifier.verify(raw)
    assert verifier.hits == 1  # the same cached claims, served again
    assert second.payload["cnf"] == {"jkt": "thumb"}
