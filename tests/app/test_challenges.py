"""WWW-Authenticate composition for each DPoP mode (RFC 6750 section 3, RFC 9449 section 7.1)."""
from auth0_jwt._drf.challenges import www_authenticate

ALGS = ["ES256", "PS256"]


def test_off_mode_is_the_bearer_challenge_alone():
    assert www_authenticate("api", "off", ALGS) == 'Bearer realm="api"'
    assert www_authenticate("api", "off", ALGS, "Bearer", "invalid_token", "Token expired") == (
        'Bearer realm="api", error="invalid_token", error_description="Token expired"')


def test_allowed_mode_puts_the_error_on_the_scheme_that_failed():
    assert www_authenticate("api", "allowed", ALGS) == 'Bearer realm="api", DPoP algs="ES256 PS256"'
    assert www_authenticate("api", "allowed", ALGS, "DPoP", "invalid_dpop_proof", "Bad") == (
        'Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="Bad", '
        'algs="ES256 PS256"')
    assert www_authenticate("api", "allowed", ALGS, "Bearer", "invalid_token", "Bad") == (
        'Bearer realm="api", error="invalid_token", error_description="Bad", '
        'DPoP algs="ES256 PS256"')


def test_required_mode_offers_dpop_alone_with_any_error():
    assert www_authenticate("api", "required", ["ES256"]) == 'DPoP algs="ES256"'
    assert www_authenticate("api", "required", ["ES256"], "Bearer", "invalid_request",
                            'say "x"') == (
        'DPoP error="invalid_request", error_description="say \\"x\\"", algs="ES256"')
