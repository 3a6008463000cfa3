"""Custom claim validators (VALIDATORS): replace or switch off a standard check, add checks of
one's own; never touch the signature or the algorithm pin. Through the real TokenVerifier."""
import logging

import pytest

from auth0_jwt._core import errors
from auth0_jwt._core.validators import (ClaimValidators, RejectedClaim,
                                        ValidatorConfigurationError)
from auth0_jwt._core.verification import TokenVerifier
from tests.keys import AUDIENCE, ISSUER, mint

TENANTS = {"https://brand-a.example.com/", "https://brand-b.example.com/"}


@pytest.fixture
def make_verifier(jwks_server):
    from auth0_jwt._core.jwks import JWKSClient

    client = JWKSClient(jwks_server.url, timeout=2)

    def make(validators, **options):
        return TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=client,
                             validators=ClaimValidators(validators), **options)

    return make


def test_function_replaces_the_issuer_check_for_per_tenant_issuers(make_verifier, signing_key):
    verifier = make_verifier({"iss": lambda iss, claims, header: iss in TENANTS})
    assert verifier.verify(mint(signing_key, iss="https://brand-b.example.com/")).sub
    with pytest.raises(RejectedClaim, match="Unexpected 'iss' value"):
        verifier.verify(mint(signing_key, iss=ISSUER))  # the configured one is replaced too


def test_false_switches_the_issuer_check_off(make_verifier, signing_key):
    assert make_verifier({"iss": False}).verify(mint(signing_key, iss="https://any/")).sub


def test_string_requires_exactly_that_value(make_verifier, signing_key):
    verifier = make_verifier({"org_id": "org_123"})
    assert verifier.verify(mint(signing_key, org_id="org_123")).sub
    for value in ("org_999", None, 123, ["org_123"]):
        with pytest.raises(RejectedClaim, match="Unexpected 'org_id' value"):
            verifier.verify(mint(signing_key, org_id=value))


def test_function_gets_the_value_the_claims_and_the_header(make_verifier, signing_key):
    seen = []
    verifier = make_verifier({"roles": lambda value, claims, header: seen.append(
        (value, claims["sub"], header["kid"])) is None})
    verifier.verify(mint(signing_key, roles=["editor"]))
    verifier.verify(mint(signing_key))
    assert seen == [(["editor"], "auth0|user-1", "key-1"), (None, "auth0|user-1", "key-1")]


def test_added_check_on_a_standard_claim_keeps_the_standard_rule(make_verifier, signing_key):
    verifier = make_verifier({"sub": lambda sub, claims, header: not sub.startswith("anon@")})
    with pytest.raises(RejectedClaim, match="Unexpected 'sub' value"):
        verifier.verify(mint(signing_key, sub="anon@abc"))
    with pytest.raises(errors.MissingClaim):  # the standard rule still runs first
        verifier.verify(mint(signing_key, sub=None))


def test_expiry_is_checked_even_with_a_validator_on_exp(make_verifier, signing_key):
    verifier = make_verifier({"exp": lambda exp, claims, header: True})
    with pytest.raises(errors.TokenExpired):
        verifier.verify(mint(signing_key, exp=1_000_000_000, iat=999_999_000))


def test_typ_validator_reads_the_header_and_replaces_the_strict_typ_rule(make_verifier,
                                                                       signing_key):
    verifier = make_verifier({"typ": "vnd.example+jwt"}, strict_rfc9068=True)
    token = mint(signing_key, header={"alg": "RS256", "kid": "key-1", "typ": "vnd.example+jwt"},
                 jti="j", client_id="c")
    assert verifier.verify(token).sub
    with pytest.raises(RejectedClaim, match="Unexpected 'typ' value"):
        verifier.verify(mint(signing_key, jti="j", client_id="c"))


def test_audience_can_be_replaced_but_not_switched_off(make_verifier, signing_key):
    verifier = make_verifier({"aud": lambda aud, claims, header: aud == "urn:legacy"})
    assert verifier.verify(mint(signing_key, aud="urn:legacy")).sub
    with pytest.raises(ValidatorConfigurationError, match="cannot be switched off"):
        ClaimValidators({"aud": False})


def test_truthy_is_not_true(make_verifier, signing_key):
    verifier = make_verifier({"roles": lambda roles, claims, header: roles})
    with pytest.raises(RejectedClaim):
        verifier.verify(mint(signing_key, roles=["editor"]))


def test_a_validator_that_raises_refuses_the_token_and_is_logged(make_verifier, signing_key,
                                                                 caplog):
    verifier = make_verifier({"roles": lambda roles, claims, header: "editor" in roles})
    with caplog.at_level(logging.ERROR, logger="auth0_jwt.validators"):
        with pytest.raises(RejectedClaim, match="Unexpected 'roles' value"):
            verifier.verify(mint(signing_key))  # roles absent: None, 'in' raises TypeError
    assert "Validator for 'roles' raised TypeError; token refused" in caplog.text


def test_a_validator_returning_an_awaitable_refuses_the_token(make_verifier, signing_key):
    async def later():
        return True

    verifier = make_verifier({"roles": lambda roles, claims, header: later()})
    with pytest.raises(RejectedClaim):
        verifier.verify(mint(signing_key))


def test_validators_run_only_after_the_signature_holds(make_verifier, signing_key, other_key):
    calls = []
    verifier = make_verifier({"org_id": lambda *args: calls.append(args) or True})
    with pytest.raises(errors.InvalidSignature):
        verifier.verify(mint(other_key, header={"alg": "RS256", "kid": "key-1"}))
    assert calls == []


@pytest.mark.parametrize("validators, message", [
    ({"alg": False}, "'alg' cannot be validated here"),
    ({"alg": lambda *a: True}, "'alg' cannot be validated here"),
    ({"kid": "key-1"}, "'kid' cannot be validated here"),
    ({"jku": False}, "'jku' cannot be validated here"),
    ({"org_id": False}, "False only switches off a standard check"),
    ({"exp": False}, "False only switches off a standard check"),
    ({"org_id": 123}, "must map to a function"),
    ({"org_id": True}, "must map to a function"),
    ({"org_id": None}, "must map to a function"),
    ({"": "x"}, "is not a claim name"),
    ({"a'b": "x"}, "is not a claim name"),
    ({1: "x"}, "is not a claim name"),
    (["iss"], "must be a dict"),
])
def test_unusable_validators_are_configuration_errors(validators, message):
    with pytest.raises(ValidatorConfigurationError, match=message):
        ClaimValidators(validators)


def test_async_validator_is_a_configuration_error():
    async def check(value, claims, header):
        return True

    class Checker:
        async def __call__(self, value, claims, header):
            return True

    for validator in (check, Checker()):
        with pytest.raises(ValidatorConfigurationError, match="must be synchronous"):
            ClaimValidators({"org_id": validator})
