"""DPoP end to end through Django: real JWKS server, real RSA token keys, real client DPoP keys,
proofs crafted byte by byte for each failure (RFC 9449 sections 4.3 and 7)."""
import logging
import time
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.dpop_client import DPoPKey, ath
from tests.keys import claims, mint

URL = "http://testserver/private"
ALGS = 'algs="ES256 PS256 RS256"'
BOTH = f'Bearer realm="api", DPoP {ALGS}'


@pytest.fixture(scope="session")
def dpop_key():
    return DPoPKey()


@pytest.fixture
def dpop_mode(configure):
    """Set the DPoP mode for one test: ``dpop_mode("required", DPOP_IAT_WINDOW=30)``
    ("allowed" is the default; "off" must be asked for)."""

    def apply(mode="allowed", **options):
        configure(DPOP_MODE=mode, **options)

    return apply


@pytest.fixture
def bound_token(signing_key, dpop_key):
    def make(key=None, **claims):
        return mint(signing_key, cnf={"jkt": (key or dpop_key).thumbprint()}, **claims)

    return make


@pytest.fixture
def call(client, auth0_settings):
    """Request ``path`` with ``Authorization: <scheme> <token>`` and an optional DPoP proof."""

    def request(path="/private", token=None, proof=None, scheme="DPoP", method="get",
                **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"{scheme} {token}"
        if proof is not None:
            headers["HTTP_DPOP"] = proof
        return getattr(client, method)(path, **headers)

    return request


def assert_error(response, status, error, message, challenge):
    assert response.status_code == status, response.content
    assert response.json() == {"error": error, "message": message}
    assert response["WWW-Authenticate"] == challenge


def dpop_error(error, message):
    return f'Bearer realm="api", DPoP error="{error}", error_description="{message}", {ALGS}'


# -- modes ------------------------------------------------------------------------------------


def test_dpop_token_with_valid_proof_is_200(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "auth0|user-1"


def test_dpop_token_with_valid_proof_is_200_in_required_mode(dpop_mode, call, dpop_key,
                                                              bound_token):
    dpop_mode("required")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert response.status_code == 200, response.content


def test_bearer_token_is_200_in_allowed_mode(dpop_mode, call, token):
    dpop_mode("allowed")
    assert call(token=token(), scheme="Bearer").status_code == 200


def test_bearer_token_in_required_mode_is_401_with_dpop_challenge_only(dpop_mode, call, token):
    dpop_mode("required")
    message = "DPoP is required: send a DPoP-bound token with the DPoP scheme and a DPoP proof"
    assert_error(call(token=token(), scheme="Bearer"), 401, "invalid_token", message,
                 f'DPoP error="invalid_token", error_description="{message}", {ALGS}')


def test_dpop_bound_token_sent_as_bearer_is_401(dpop_mode, call, bound_token):
    dpop_mode("allowed")
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    assert_error(call(token=bound_token(), scheme="Bearer"), 401, "invalid_token", message,
                 f'Bearer realm="api", error="invalid_token", error_description="{message}", '
                 f"DPoP {ALGS}")


def test_no_credentials_in_allowed_mode_offers_both_challenges(dpop_mode, call):
    dpop_mode("allowed")
    assert_error(call(), 401, "unauthorized", "Authentication required", BOTH)


def test_no_credentials_in_required_mode_offers_only_dpop(dpop_mode, call):
    dpop_mode("required", DPOP_ALGORITHMS=["ES256"])
    assert_error(call(), 401, "unauthorized", "Authentication required", 'DPoP algs="ES256"')


def test_off_mode_treats_the_dpop_scheme_as_not_ours(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("off")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert_error(response, 401, "unauthorized", "Authentication required", 'Bearer realm="api"')


def test_off_mode_refuses_a_bound_token_as_bearer_with_the_message_of_the_other_modes(
        dpop_mode, call, bound_token):
    dpop_mode("off")
    # A stolen DPoP-bound token must not become a bearer token because this API has DPoP off.
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    assert_error(call(token=bound_token(), scheme="Bearer"), 401, "invalid_token", message,
                 f'Bearer realm="api", error="invalid_token", error_description="{message}"')


PROOF_WITH_BEARER = "DPoP proof requires the DPoP authentication scheme, not Bearer"


@pytest.mark.parametrize("mode", ["allowed", "required"])
def test_dpop_proof_beside_a_valid_bearer_token_is_never_200(dpop_mode, call, dpop_key, token,
                                                             mode):
    dpop_mode(mode)
    bearer = token()
    response = call(token=bearer, scheme="Bearer",
                    proof=dpop_key.proof(htu=URL, access_token=bearer))
    if mode == "allowed":  # as express-oauth2-jwt-bearer 1.10 answers it
        assert_error(response, 400, "invalid_request", PROOF_WITH_BEARER,
                     f'Bearer realm="api", error="invalid_request", error_description='
                     f'"{PROOF_WITH_BEARER}", DPoP {ALGS}')
    else:
        assert response.status_code == 401  # a bearer token, refused before any proof check


def test_empty_dpop_header_beside_a_bearer_token_is_400(dpop_mode, call, token):
    dpop_mode("allowed")
    response = call(token=token(), scheme="Bearer", proof="")
    assert response.status_code == 400
    assert response.json()["message"] == PROOF_WITH_BEARER


def test_dpop_proof_beside_an_expired_bearer_token_keeps_the_tokens_401(dpop_mode, call,
                                                                        dpop_key, token):
    dpop_mode("allowed")
    bearer = token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    response = call(token=bearer, scheme="Bearer",
                    proof=dpop_key.proof(htu=URL, access_token=bearer))
    assert_error(response, 401, "invalid_token", "Token expired",
                 f'Bearer realm="api", error="invalid_token", error_description='
                 f'"Token expired", DPoP {ALGS}')


def test_dpop_proof_beside_a_bound_bearer_token_keeps_the_bound_tokens_401(dpop_mode, call,
                                                                           dpop_key,
                                                                           bound_token):
    dpop_mode("allowed")
    bound = bound_token()
    response = call(token=bound, scheme="Bearer", proof=dpop_key.proof(htu=URL,
                                                                       access_token=bound))
    message = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
    assert_error(response, 401, "invalid_token", message,
                 f'Bearer realm="api", error="invalid_token", error_description="{message}", '
                 f"DPoP {ALGS}")


def test_dpop_header_beside_a_bearer_token_is_not_read_when_dpop_is_off(dpop_mode, call,
                                                                        dpop_key, token):
    dpop_mode("off")
    bearer = token()
    response = call(token=bearer, scheme="Bearer",
                    proof=dpop_key.proof(htu=URL, access_token=bearer))
    assert response.status_code == 200, response.content


def test_dpop_token_lacking_scope_is_403_on_the_dpop_challenge(dpop_mode, call, dpop_key,
                                                                bound_token):
    dpop_mode("allowed")
    token = bound_token(scope="openid")
    response = call("/private-scoped", token=token,
                    proof=dpop_key.proof(htu="http://testserver/private-scoped",
                                         access_token=token))
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", DPoP error="insufficient_scope", '
        f'error_description="{response.json()["message"]}", scope="read:messages", {ALGS}')


# -- the request around the proof ---------------------------------------------------------------


def test_missing_dpop_header_is_400(dpop_mode, call, bound_token):
    dpop_mode("allowed")
    assert_error(call(token=bound_token()), 400, "invalid_request", "DPoP proof header is missing",
                 dpop_error("invalid_request", "DPoP proof header is missing"))


def test_two_dpop_headers_are_401(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed")
    token = bound_token()
    proof = dpop_key.proof(htu=URL, access_token=token)
    # WSGI servers (gunicorn, runserver) join repeated headers with ","; see the gunicorn test.
    assert_error(call(token=token, proof=f"{proof},{proof}"), 401, "invalid_dpop_proof",
                 "More than one DPoP proof",
                 dpop_error("invalid_dpop_proof", "More than one DPoP proof"))


def test_token_without_cnf_sent_as_dpop_is_401(dpop_mode, call, dpop_key, token):
    dpop_mode("allowed")
    access_token = token()
    message = "Token is not DPoP-bound (no 'cnf.jkt' claim)"
    assert_error(call(token=access_token, proof=dpop_key.proof(htu=URL, access_token=access_token)),
                 401, "invalid_token", message, dpop_error("invalid_token", message))


def test_token_bound_to_another_key_is_401(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed")
    token = bound_token(key=DPoPKey())
    assert_error(call(token=token, proof=dpop_key.proof(htu=URL, access_token=token)),
                 401, "invalid_token", "Invalid DPoP key binding",
                 dpop_error("invalid_token", "Invalid DPoP key binding"))


def test_malformed_cnf_claim_is_401(dpop_mode, call, signing_key, dpop_key):
    dpop_mode("allowed")
    token = mint(signing_key, cnf={"jkt": 42})
    message = "Claim 'cnf.jkt' must be a non-empty string"
    assert_error(call(token=token, proof=dpop_key.proof(htu=URL, access_token=token)),
                 401, "invalid_token", message, dpop_error("invalid_token", message))


def test_invalid_access_token_on_dpop_is_401_on_the_dpop_challenge(dpop_mode, call, dpop_key,
                                                                    bound_token):
    dpop_mode("allowed")
    token = bound_token(exp=int(time.time()) - 10)
    assert_error(call(token=token, proof=dpop_key.proof(htu=URL, access_token=token)),
                 401, "invalid_token", "Token expired", dpop_error("invalid_token", "Token expired"))


# -- each proof check (RFC 9449 section 4.3) ----------------------------------------------------

OTHER_EC = ec.generate_private_key(ec.SECP256R1())


def proof_cases():
    """(name, proof builder(key, token), expected message)."""
    return [
        ("not a JWS", lambda k, t: "not-a-jwt", "Malformed DPoP proof: expected a signed JWT"),
        ("typ JWT", lambda k, t: k.proof(htu=URL, access_token=t, header={
            "typ": "JWT", "alg": "ES256", "jwk": k.jwk()}), "DPoP proof 'typ' must be 'dpop+jwt'"),
        ("alg none", lambda k, t: k.proof(htu=URL, access_token=t, signature=b"", header={
            "typ": "dpop+jwt", "alg": "none", "jwk": k.jwk()}), "DPoP proof algorithm is not allowed"),
        ("alg HS256", lambda k, t: k.proof(htu=URL, access_token=t, signature=b"x" * 32, header={
            "typ": "dpop+jwt", "alg": "HS256", "jwk": k.jwk()}), "DPoP proof algorithm is not allowed"),
        ("private jwk", lambda k, t: k.proof(htu=URL, access_token=t, header={
            "typ": "dpop+jwt", "alg": "ES256", "jwk": {**k.jwk(), "d": "AAAA"}}),
         "DPoP proof 'jwk' must not contain a private key"),
        ("no jwk", lambda k, t: k.proof(htu=URL, access_token=t, header={
            "typ": "dpop+jwt", "alg": "ES256"}), "DPoP proof header has no 'jwk'"),
        ("jwk of another type", lambda k, t: k.proof(htu=URL, access_token=t, header={
            "typ": "dpop+jwt", "alg": "RS256", "jwk": k.jwk()}),
         "DPoP proof key type does not match its algorithm"),
        ("crit", lambda k, t: k.proof(htu=URL, access_token=t, header={
            "typ": "dpop+jwt", "alg": "ES256", "jwk": k.jwk(), "crit": ["exp"]}),
         "DPoP proof header has a 'crit' parameter that is not supported"),
        ("signed by another key", lambda k, t: DPoPKey(OTHER_EC).proof(
            htu=URL, access_token=t, header={"typ": "dpop+jwt", "alg": "ES256", "jwk": k.jwk()}),
         "Invalid DPoP proof signature"),
        ("htm POST", lambda k, t: k.proof(htm="POST", htu=URL, access_token=t),
         "DPoP proof 'htm' does not match the request method"),
        ("htm lower case", lambda k, t: k.proof(htm="get", htu=URL, access_token=t),
         "DPoP proof 'htm' does not match the request method"),
        ("htu other path", lambda k, t: k.proof(htu="http://testserver/admin", access_token=t),
         "DPoP proof 'htu' does not match the request URI"),
        ("htu other host", lambda k, t: k.proof(htu="http://evil.example/private",
                                                access_token=t),
         "DPoP proof 'htu' does not match the request URI"),
        ("htu https", lambda k, t: k.proof(htu="https://testserver/private", access_token=t),
         "DPoP proof 'htu' does not match the request URI"),
        ("htu missing", lambda k, t: k.proof(htu=None, access_token=t),
         "DPoP proof 'htu' is missing or invalid"),
        ("iat too old", lambda k, t: k.proof(htu=URL, access_token=t, iat=int(time.time()) - 70),
         "DPoP proof is too old"),
        ("iat in the future", lambda k, t: k.proof(htu=URL, access_token=t,
                                                   iat=int(time.time()) + 10),
         "DPoP proof is issued in the future"),
        ("iat a string", lambda k, t: k.proof(htu=URL, access_token=t, iat="now"),
         "DPoP proof 'iat' is missing or invalid"),
        ("ath missing", lambda k, t: k.proof(htu=URL), "DPoP proof 'ath' is missing or invalid"),
        ("ath of another token", lambda k, t: k.proof(htu=URL, ath=ath(t + "x")),
         "DPoP proof 'ath' does not match the access token"),
        ("jti missing", lambda k, t: k.proof(htu=URL, access_token=t, jti=None),
         "DPoP proof 'jti' is missing or invalid"),
        ("jti empty", lambda k, t: k.proof(htu=URL, access_token=t, jti=""),
         "DPoP proof 'jti' is missing or invalid"),
    ]


@pytest.mark.parametrize("name, build, message", proof_cases(), ids=[c[0] for c in proof_cases()])
def test_each_bad_proof_is_401_invalid_dpop_proof(dpop_mode, call, dpop_key, bound_token,
                                                  name, build, message):
    dpop_mode("allowed")
    token = bound_token()
    assert_error(call(token=token, proof=build(dpop_key, token)), 401, "invalid_dpop_proof",
                 message, dpop_error("invalid_dpop_proof", message))


def test_proof_algorithm_outside_the_configured_list_is_401(dpop_mode, call, dpop_key,
                                                             bound_token):
    dpop_mode("allowed", DPOP_ALGORITHMS=["PS256"])
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert_error(response, 401, "invalid_dpop_proof", "DPoP proof algorithm is not allowed",
                 'Bearer realm="api", DPoP error="invalid_dpop_proof", error_description='
                 '"DPoP proof algorithm is not allowed", algs="PS256"')


def test_htu_is_compared_after_normalisation_without_query(dpop_mode, call, dpop_key,
                                                           bound_token):
    dpop_mode("allowed")
    token = bound_token()
    htu = "HTTP://TestServer:80/./%70rivate?x=1#frag"
    response = call("/private?y=2", token=token, proof=dpop_key.proof(htu=htu,
                                                                          access_token=token))
    assert response.status_code == 200, response.content


def test_htu_follows_the_forwarded_scheme_when_the_proxy_is_trusted(dpop_mode, call, dpop_key,
                                                                    bound_token, settings):
    dpop_mode("allowed")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    token = bound_token()
    proof = dpop_key.proof(htu="https://testserver/private", access_token=token)
    response = call(token=token, proof=proof, HTTP_X_FORWARDED_PROTO="https",
                    HTTP_HOST="testserver")
    assert response.status_code == 200, response.content


def test_proof_from_iat_window_edge_is_accepted_with_leeway(dpop_mode, call, dpop_key,
                                                            bound_token):
    dpop_mode("allowed", DPOP_IAT_WINDOW=60, DPOP_IAT_LEEWAY=5)
    token = bound_token()
    proof = dpop_key.proof(htu=URL, access_token=token, iat=int(time.time()) - 62)
    assert call(token=token, proof=proof).status_code == 200


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
def test_rsa_proofs_are_accepted(dpop_mode, call, other_key, signing_key, alg):
    dpop_mode("allowed")
    rsa_key = DPoPKey(other_key.private, alg=alg)
    token = mint(signing_key, cnf={"jkt": rsa_key.thumbprint()})
    response = call(token=token, proof=rsa_key.proof(htu=URL, access_token=token))
    assert response.status_code == 200, response.content


def test_eddsa_proof_is_accepted_when_allowed(dpop_mode, call, signing_key):
    dpop_mode("allowed", DPOP_ALGORITHMS=["ES256", "EdDSA"])
    ed_key = DPoPKey(ed25519.Ed25519PrivateKey.generate(), alg="EdDSA")
    token = mint(signing_key, cnf={"jkt": ed_key.thumbprint()})
    response = call(token=token, proof=ed_key.proof(htu=URL, access_token=token))
    assert response.status_code == 200, response.content


# -- replay and nonces ---------------------------------------------------------------------------


@pytest.mark.parametrize("replay_store", ["file", "cache", "memory"])
def test_replayed_proof_is_401(dpop_mode, call, dpop_key, bound_token, replay_store):
    dpop_mode("allowed", DPOP_REPLAY_STORE=replay_store)
    token = bound_token()
    proof = dpop_key.proof(htu=URL, access_token=token)
    assert call(token=token, proof=proof).status_code == 200
    assert_error(call(token=token, proof=proof), 401, "invalid_dpop_proof",
                 "DPoP proof has already been used",
                 dpop_error("invalid_dpop_proof", "DPoP proof has already been used"))


def test_failed_proof_does_not_use_up_its_jti(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed")
    token = bound_token()
    proof = dpop_key.proof(htu=URL, access_token=token, jti="fixed-jti-1")
    assert call("/private-scoped", token=token, proof=proof).status_code == 401  # htu
    assert call(token=token, proof=proof).status_code == 200


def test_unreachable_replay_store_is_503(dpop_mode, call, dpop_key, bound_token, settings):
    from tests.processes import free_port

    settings.CACHES = {**settings.CACHES, "down": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    dpop_mode("allowed", DPOP_REPLAY_STORE="cache", DPOP_REPLAY_CACHE="down")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert response.status_code == 503, response.content
    assert response.json() == {"error": "temporarily_unavailable",
                               "message": "Replay protection is temporarily unavailable"}
    assert response["Retry-After"] == "5"
    assert not response.has_header("WWW-Authenticate")


def test_unwritable_file_store_is_503_for_dpop_and_bearer_is_untouched(
        dpop_mode, call, dpop_key, bound_token, token, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    dpop_mode("allowed", STATE_DIR=str(blocker / "state"))  # a folder that cannot exist
    dpop_token = bound_token()
    response = call(token=dpop_token, proof=dpop_key.proof(htu=URL, access_token=dpop_token))
    assert response.status_code == 503, response.content
    assert response.json() == {"error": "temporarily_unavailable",
                               "message": "Replay protection is temporarily unavailable"}
    assert response["Retry-After"] == "1"  # the file store is probed again after 1 s
    assert call(token=token(), scheme="Bearer").status_code == 200


def test_proof_without_nonce_gets_use_dpop_nonce_then_succeeds(dpop_mode, call, dpop_key,
                                                               bound_token):
    dpop_mode("allowed", DPOP_NONCE_LIFETIME=300)
    token = bound_token()
    message = "Resource server requires a fresh nonce in the DPoP proof"
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token))
    assert_error(response, 401, "use_dpop_nonce", message, dpop_error("use_dpop_nonce", message))
    nonce = response["DPoP-Nonce"]
    retry = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token, nonce=nonce))
    assert retry.status_code == 200, retry.content


def test_forged_nonce_is_refused(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed", DPOP_NONCE_LIFETIME=300)
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token,
                                                      nonce="AAAAAGdJ4gAAAAAAAAAAAAAAAAAAAAAA"))
    assert response.status_code == 401
    assert response.json()["error"] == "use_dpop_nonce"


def test_dpop_scheme_name_is_case_insensitive(dpop_mode, call, dpop_key, bound_token):
    dpop_mode("allowed")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token), scheme="dpop")
    assert response.status_code == 200, response.content


def test_query_token_is_bearer_and_refused_in_required_mode(dpop_mode, call, client, token):
    dpop_mode("required", ALLOW_QUERY_TOKEN=True)
    message = "DPoP is required: send a DPoP-bound token with the DPoP scheme and a DPoP proof"
    assert_error(client.get(f"/private?access_token={token()}"), 401, "invalid_token",
                 message, f'DPoP error="invalid_token", error_description="{message}", {ALGS}')


# -- htu: the request target as sent (RFC 9449 section 4.3 check 9) ------------------------------

ORG = "http://testserver/org/"


@pytest.fixture
def org_token(signing_key, dpop_key):
    return mint(signing_key, cnf={"jkt": dpop_key.thumbprint()}, org_id="org_123")


@pytest.mark.parametrize("raw_name", ["RAW_URI", "REQUEST_URI"])
@pytest.mark.parametrize("segment", ["org%3B123", "org%40123", "org%25123", "org%3b123"])
def test_proof_for_the_raw_path_as_sent_is_accepted(dpop_mode, call, dpop_key, org_token,
                                                    raw_name, segment):
    dpop_mode("allowed")
    proof = dpop_key.proof(htu=ORG + segment.upper().replace("ORG", "org"),
                           access_token=org_token)
    response = call(f"/org/{unquote(segment)}", token=org_token, proof=proof,
                    **{raw_name: f"/org/{segment}?q=1"})
    assert response.status_code == 200, response.content


def test_proof_for_a_decoded_reserved_character_is_refused_on_its_encoding(
        dpop_mode, call, dpop_key, org_token):
    dpop_mode("allowed")
    proof = dpop_key.proof(htu=ORG + "org;123", access_token=org_token)
    response = call("/org/org;123", token=org_token, proof=proof,
                    RAW_URI="/org/org%3B123")
    message = "DPoP proof 'htu' does not match the request URI"
    assert_error(response, 401, "invalid_dpop_proof", message,
                 dpop_error("invalid_dpop_proof", message))


def test_proof_for_a_path_is_refused_on_that_path_with_an_encoded_question_mark(
        dpop_mode, call, dpop_key, org_token):
    dpop_mode("allowed")
    proof = dpop_key.proof(htu=ORG + "org_123", access_token=org_token)
    response = call("/org/org_123?evil", token=org_token, proof=proof,
                    RAW_URI="/org/org_123%3Fevil")
    assert response.status_code == 401
    assert response.json()["message"] == "DPoP proof 'htu' does not match the request URI"


def test_absolute_form_request_target_gives_its_path(dpop_mode, call, dpop_key, org_token):
    dpop_mode("allowed")
    proof = dpop_key.proof(htu=ORG + "org%3B123", access_token=org_token)
    response = call("/org/org;123", token=org_token, proof=proof,
                    RAW_URI="http://testserver/org/org%3B123?x=1")
    assert response.status_code == 200, response.content


def test_without_the_raw_target_the_path_is_encoded_minimally(dpop_mode, call, dpop_key,
                                                              org_token):
    """The documented fallback (runserver, test client): reserved characters stay literal."""
    dpop_mode("allowed")
    proof = dpop_key.proof(htu=ORG + "org;123", access_token=org_token)
    assert call("/org/org;123", token=org_token, proof=proof).status_code == 200
    proof = dpop_key.proof(htu=ORG + "caf%C3%A9%20x", access_token=org_token)
    assert call("/org/café x", token=org_token, proof=proof).status_code == 200


def test_non_text_dpop_header_is_an_ordinary_invalid_proof(dpop_mode, call, dpop_key,
                                                           bound_token, caplog):
    """WSGI hands header bytes over as latin-1: a proof with such bytes is no JWS."""
    dpop_mode("allowed")
    token = bound_token()
    proof = dpop_key.proof(htu=URL, access_token=token)
    head, body, signature = proof.split(".")
    for hostile in (f"{head}.{body}\u00ff.{signature}", f"{head}.\u00e9{body}.{signature}",
                    "\u00ff" * 40, f"{head}\x00.{body}.{signature}"):
        response = call(token=token, proof=hostile)
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "invalid_dpop_proof"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_proof_with_a_lone_surrogate_is_an_ordinary_invalid_proof(dpop_mode, call, dpop_key,
                                                                  bound_token, caplog):
    dpop_mode("allowed")
    token = bound_token()
    response = call(token=token, proof=dpop_key.proof(htu=URL, access_token=token,
                                                      jti="\ud800"))
    assert_error(response, 401, "invalid_dpop_proof",
                 "Malformed DPoP proof: payload is not a JSON object",
                 dpop_error("invalid_dpop_proof",
                            "Malformed DPoP proof: payload is not a JSON object"))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- sender constraint on every path, in every mode --------------------------------------------


@pytest.mark.parametrize("mode", ["off", "allowed", "required"])
def test_certificate_bound_token_is_refused_whatever_the_scheme(dpop_mode, call, signing_key,
                                                                dpop_key, mode):
    dpop_mode(mode)
    token = mint(signing_key, cnf={"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"})
    # MTLS_MODE is off: no certificate is read, so a certificate-bound token cannot be used.
    message = "Certificate-bound token cannot be used: this API does not accept mutual TLS"
    if mode != "required":
        response = call(token=token, scheme="Bearer")
        assert (response.status_code, response.json()["message"]) == (401, message)
    if mode != "off":
        both = mint(signing_key, cnf={"jkt": dpop_key.thumbprint(), "x5t#S256": "x"})
        response = call(token=both, proof=dpop_key.proof(htu=URL, access_token=both))
        assert (response.status_code, response.json()["message"]) == (401, message)


@pytest.mark.parametrize("cnf, message", [
    ({}, "Claim 'cnf' names no confirmation method this API supports"),
    ({"jwk": {"kty": "EC"}}, "Claim 'cnf' names no confirmation method this API supports"),
    ("bound", "Claim 'cnf' must be a JSON object"),
    (None, "Claim 'cnf' must be a JSON object"),
    ({"x5t#S256": 1}, "Claim 'cnf.x5t#S256' must be a non-empty string"),
])
@pytest.mark.parametrize("mode", ["off", "allowed"])
def test_unusable_cnf_is_refused_as_bearer_in_every_mode(dpop_mode, call, signing_key, cnf,
                                                         message, mode):
    dpop_mode(mode)
    payload = {**claims(), "cnf": cnf}
    response = call(token=mint(signing_key, payload=payload), scheme="Bearer")
    assert (response.status_code, response.json()) == (
        401, {"error": "invalid_token", "message": message})
