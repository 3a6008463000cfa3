"""The credential pipeline: its order (cheap refusals before any crypto), its failures as data,
and its extension point for sender constraints."""
import logging

import pytest
from django.test import RequestFactory

from auth0_jwt._core import errors
from auth0_jwt._drf.credentials import HEADER, SESSION, Credential, PresentedToken
from auth0_jwt._drf.pipeline import CredentialPipeline, pipeline
from auth0_jwt._ops import runtime
from tests.dpop_client import DPoPKey
from tests.keys import mint


def credential(token, scheme="Bearer", source=HEADER, proof=None):
    return Credential(PresentedToken(token, scheme), source, proof)


def run(cred, request=None):
    return pipeline.authenticate(cred, request or RequestFactory().get("/private"))


def test_valid_token_gives_the_user_and_the_verified_token(auth0_settings, token):
    raw = token(sub="auth0|fay")
    user, verified = run(credential(raw))
    assert (user.sub, verified.token, verified.token.scheme) == ("auth0|fay", raw, "Bearer")


def test_bearer_credential_in_required_mode_is_refused_before_any_key_is_fetched(
        configure, jwks_server, token):
    configure(DPOP_MODE="required")
    with pytest.raises(errors.DPoPRequired):
        run(credential(token(), source=SESSION))
    assert jwks_server.hits == 0


def test_missing_proof_is_refused_before_any_key_is_fetched(configure, jwks_server, token):
    configure(DPOP_MODE="allowed")
    with pytest.raises(errors.InvalidRequest, match="DPoP proof header is missing"):
        run(credential(token(), scheme="DPoP"))
    assert jwks_server.hits == 0


def test_failure_carries_its_log_context(auth0_settings, token):
    with pytest.raises(errors.TokenExpired) as info:
        run(credential(token(exp=1_000_000_000, iat=999_999_000)))
    assert info.value.log_context == {"reason": "token_expired", "kid": "key-1",
                                      "sub": "auth0|user-1"}


def test_refusal_after_verification_names_the_verified_sub(auth0_settings, signing_key):
    bound = mint(signing_key, cnf={"jkt": DPoPKey().thumbprint()})
    with pytest.raises(errors.SenderConstrainedToken) as info:
        run(credential(bound))
    assert info.value.log_context == {"kid": "key-1", "sub": "auth0|user-1"}


def test_verifier_bug_fails_closed_with_its_own_reason(auth0_settings, token, monkeypatch,
                                                       caplog):
    def broken(raw):
        raise RuntimeError("bug")

    monkeypatch.setattr(runtime.get_verifier(), "verify", broken)
    with pytest.raises(errors.TokenError) as info:
        run(credential(token()))
    assert (info.value.message, info.value.reason) == ("Token could not be verified",
                                                       "verification_error")
    assert any(r.levelno == logging.ERROR for r in caplog.records)  # our bug: an ERROR


def test_a_subclass_can_add_a_sender_constraint(auth0_settings, signing_key):
    """The extension point: a confirmation method maps to one checking method."""

    class CertificatePipeline(CredentialPipeline):
        sender_constraints = {**CredentialPipeline.sender_constraints,
                              "x5t#S256": "check_certificate"}

        def check_certificate(self, cred, thumbprint, proof, request):
            if request.META.get("HTTP_X_CLIENT_CERT_S256") != thumbprint:
                raise errors.SenderConstrainedToken("Certificate does not match")

    bound = mint(signing_key, cnf={"x5t#S256": "abc"})
    request = RequestFactory().get("/private", HTTP_X_CLIENT_CERT_S256="abc")
    user, _ = CertificatePipeline().authenticate(credential(bound), request)
    assert user.sub == "auth0|user-1"
    with pytest.raises(errors.SenderConstrainedToken, match="does not match"):
        CertificatePipeline().authenticate(credential(bound), RequestFactory().get("/"))
    with pytest.raises(errors.SenderConstrainedToken, match="mutual TLS"):
        run(credential(bound), request)  # the stock pipeline refuses it everywhere


def test_user_class_is_built_from_the_verified_token(configure, token):
    configure(USER_CLASS="tests.app.test_authentication.Principal")
    user, _ = run(credential(token(sub="auth0|gus")))
    assert str(user) == "principal of auth0|gus"
