"""The cnf claim (RFC 7800): which key a token is bound to, or why it cannot be used."""
import pytest

from auth0_jwt._core import errors
from auth0_jwt._core.confirmation import confirmation_of

JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"


def test_a_token_without_cnf_is_a_bearer_token():
    assert confirmation_of({"sub": "a"}) == {}


@pytest.mark.parametrize("cnf", [{"jkt": JKT}, {"x5t#S256": "abc"},
                                 {"jkt": JKT, "x5t#S256": "abc"},
                                 {"jkt": JKT, "kid": "ignored beside a known method"}])
def test_known_methods_are_returned(cnf):
    assert confirmation_of({"cnf": cnf}) == {k: v for k, v in cnf.items() if k != "kid"}


@pytest.mark.parametrize("cnf, failure, message", [
    (None, errors.InvalidDPoPBinding, "Claim 'cnf' must be a JSON object"),
    ("jkt", errors.InvalidDPoPBinding, "Claim 'cnf' must be a JSON object"),
    ([JKT], errors.InvalidDPoPBinding, "Claim 'cnf' must be a JSON object"),
    ({"jkt": ""}, errors.InvalidDPoPBinding, "Claim 'cnf.jkt' must be a non-empty string"),
    ({"jkt": 42}, errors.InvalidDPoPBinding, "Claim 'cnf.jkt' must be a non-empty string"),
    ({"x5t#S256": None}, errors.SenderConstrainedToken,
     "Claim 'cnf.x5t#S256' must be a non-empty string"),
    ({}, errors.SenderConstrainedToken,
     "Claim 'cnf' names no confirmation method this API supports"),
    ({"jwk": {"kty": "EC"}}, errors.SenderConstrainedToken,
     "Claim 'cnf' names no confirmation method this API supports"),
])
def test_unusable_cnf_is_refused(cnf, failure, message):
    with pytest.raises(failure) as info:
        confirmation_of({"cnf": cnf})
    assert info.value.message == message
