"""Failures are data: each carries its wire code and its security-log reason, never derived
from its class name (renaming a class must not change the log contract)."""
import inspect

import pytest

from auth0_jwt._core import errors

# The security log's reasons as they were before failures carried them: a contract.
REASONS = {
    "TokenError": ("invalid_token", "invalid_token"),
    "MalformedToken": ("invalid_token", "malformed_token"),
    "TokenTooLarge": ("invalid_token", "token_too_large"),
    "DisallowedAlgorithm": ("invalid_token", "disallowed_algorithm"),
    "DisallowedHeader": ("invalid_token", "disallowed_header"),
    "UnknownSigningKey": ("invalid_token", "unknown_signing_key"),
    "InvalidSignature": ("invalid_token", "invalid_signature"),
    "InvalidClaim": ("invalid_token", "invalid_claim"),
    "MissingClaim": ("invalid_token", "missing_claim"),
    "TokenExpired": ("invalid_token", "token_expired"),
    "TokenNotYetValid": ("invalid_token", "token_not_yet_valid"),
    "TokenIssuedInFuture": ("invalid_token", "token_issued_in_future"),
    "TokenTooOld": ("invalid_token", "token_too_old"),
    "InvalidIssuer": ("invalid_token", "invalid_issuer"),
    "InvalidAudience": ("invalid_token", "invalid_audience"),
    "InvalidTokenType": ("invalid_token", "invalid_token_type"),
    "InvalidDPoPBinding": ("invalid_token", "invalid_dpop_binding"),
    "SenderConstrainedToken": ("invalid_token", "invalid_token"),
    "DPoPRequired": ("invalid_token", "invalid_token"),
    "SigningKeysUnavailable": ("temporarily_unavailable", "signing_keys_unavailable"),
    "InvalidDPoPProof": ("invalid_dpop_proof", "invalid_dpop_proof"),
    "ReplayedDPoPProof": ("invalid_dpop_proof", "replayed_dpop_proof"),
    "DPoPNonceRequired": ("use_dpop_nonce", "dpop_nonce_required"),
    "ReplayStoreUnavailable": ("temporarily_unavailable", "replay_store_unavailable"),
    "InvalidRequest": ("invalid_request", "invalid_request"),
    "InsufficientScope": ("insufficient_scope", "insufficient_scope"),
}


def failure_classes():
    return {name: value for name, value in vars(errors).items()
            if inspect.isclass(value) and issubclass(value, errors.AuthFailure)
            and value is not errors.AuthFailure}


def test_every_failure_declares_its_code_and_reason():
    assert {name: (cls.code, cls.reason) for name, cls in failure_classes().items()} == REASONS


@pytest.mark.parametrize("name", REASONS)
def test_a_subclass_keeps_the_reason_it_inherits(name):
    renamed = type("SomethingElse", (failure_classes()[name],), {})
    assert renamed.reason == REASONS[name][1]


def test_reason_can_be_given_per_failure():
    failure = errors.TokenError("Token could not be verified", reason="verification_error")
    assert (failure.code, failure.reason, failure.message) == (
        "invalid_token", "verification_error", "Token could not be verified")


def test_insufficient_scope_carries_its_scopes():
    failure = errors.InsufficientScope(("a", "b"), any_of=True)
    assert (failure.required_scopes, failure.any_of, failure.message) == (
        ["a", "b"], True, "Insufficient scope")


def test_failures_carry_no_http():
    source = inspect.getsource(errors)
    assert "import" not in source  # no Django, no DRF, nothing
    assert not any(hasattr(cls, "status_code") for cls in failure_classes().values())
