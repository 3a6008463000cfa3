"""The one mapping from a failure to a DRF exception (and so to an HTTP status)."""
import inspect

import pytest
from rest_framework import exceptions as drf

import auth0_jwt
from auth0_jwt._core import errors
from auth0_jwt._drf import exceptions
from auth0_jwt._drf.exceptions import api_error


@pytest.mark.parametrize("failure, error_type, status", [
    (errors.InvalidRequest(), exceptions.InvalidRequestError, 400),
    (errors.TokenExpired(), exceptions.InvalidTokenError, 401),
    (errors.SenderConstrainedToken(), exceptions.InvalidTokenError, 401),
    (errors.ReplayedDPoPProof(), exceptions.InvalidDPoPProofError, 401),
    (errors.InsufficientScope(["a"]), exceptions.InsufficientScopeError, 403),
    (errors.SigningKeysUnavailable(), exceptions.TemporarilyUnavailableError, 503),
    (errors.ReplayStoreUnavailable(), exceptions.TemporarilyUnavailableError, 503),
])
def test_each_code_maps_to_one_exception_and_status(auth0_settings, failure, error_type, status):
    error = api_error(failure)
    assert type(error) is error_type and error.status_code == status
    assert error.failure is failure and str(error.detail) == failure.message


def test_401s_are_authentication_failures_so_drf_keeps_them_401():
    assert issubclass(exceptions.InvalidTokenError, drf.AuthenticationFailed)
    assert issubclass(exceptions.UseDPoPNonceError, drf.AuthenticationFailed)


def test_retry_after_comes_from_the_failure(configure):
    configure(JWKS_RETRY_AFTER=17)
    assert api_error(errors.SigningKeysUnavailable()).retry_after == 17
    assert api_error(errors.ReplayStoreUnavailable()).retry_after == 5


def test_raised_directly_an_error_builds_its_failure():
    error = exceptions.InsufficientScopeError(["write:x"])
    assert (error.failure.code, error.failure.reason, error.required_scopes) == (
        "insufficient_scope", "insufficient_scope", ["write:x"])
    assert exceptions.InvalidTokenError("Revoked").failure.message == "Revoked"


def test_pure_and_drf_error_classes_have_distinct_names():
    pure = {name for name, value in vars(errors).items() if inspect.isclass(value)}
    drf_side = {name for name, value in vars(exceptions).items() if inspect.isclass(value)
                and issubclass(value, drf.APIException) and value.__module__ == exceptions.__name__}
    assert drf_side and not pure & drf_side


@pytest.mark.parametrize("name", ["InvalidRequestError", "InvalidTokenError",
                                  "InvalidDPoPProofError", "UseDPoPNonceError",
                                  "InsufficientScopeError", "TemporarilyUnavailableError"])
def test_error_classes_are_public(name):
    assert getattr(auth0_jwt, name) is getattr(exceptions, name)
    assert name in auth0_jwt.__all__
