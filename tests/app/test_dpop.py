"""ProofVerifier on its own, with a frozen clock: the exact edges of the iat window, the replay
ttl, and jti values scoped to their key."""
import pytest

from auth0_jwt._core.dpop import ProofVerifier
from auth0_jwt._core.encoding import b64url_decode
from auth0_jwt._core.errors import InvalidDPoPProof, ReplayedDPoPProof
from auth0_jwt._core.replay import InProcessReplayStore
from tests.clock import FrozenClock
from tests.dpop_client import DPoPKey, b64url

NOW = 1_700_000_000
URI = "https://api.example.com/api/private"
TOKEN = "header.payload.signature"


@pytest.fixture(scope="module")
def key():
    return DPoPKey()


@pytest.fixture
def verifier():
    return ProofVerifier(algorithms=["ES256"], replay_store=InProcessReplayStore(),
                         iat_window=60, iat_leeway=5, clock=FrozenClock(NOW))


def verify(verifier, key, proof):
    return verifier.verify(proof, method="GET", uri=URI, access_token=TOKEN, jkt=key.thumbprint())


@pytest.mark.parametrize("offset, accepted", [(-65, True), (-66, False), (5, True), (6, False)])
def test_iat_window_edges(verifier, key, offset, accepted):
    proof = key.proof(htu=URI, access_token=TOKEN, iat=NOW + offset)
    if accepted:
        assert verify(verifier, key, proof).thumbprint == key.thumbprint()
    else:
        with pytest.raises(InvalidDPoPProof):
            verify(verifier, key, proof)


def test_jti_is_remembered_for_the_whole_acceptance_window(verifier):
    assert verifier.replay_ttl == 71  # 60 s window + 5 s leeway each way, rounded up, +1


def test_same_jti_from_two_keys_is_two_proofs(verifier, key):
    other = DPoPKey()
    verifier.verify(key.proof(htu=URI, access_token=TOKEN, iat=NOW, jti="j"), method="GET",
                    uri=URI, access_token=TOKEN, jkt=key.thumbprint())
    verifier.verify(other.proof(htu=URI, access_token=TOKEN, iat=NOW, jti="j"), method="GET",
                    uri=URI, access_token=TOKEN, jkt=other.thumbprint())
    with pytest.raises(ReplayedDPoPProof):
        verifier.verify(key.proof(htu=URI, access_token=TOKEN, iat=NOW, jti="j"), method="GET",
                        uri=URI, access_token=TOKEN, jkt=key.thumbprint())


def test_oversized_proof_is_refused_before_any_decoding(verifier, key):
    with pytest.raises(InvalidDPoPProof, match="Malformed DPoP proof"):
        verify(verifier, key, "a" * 9000)


# -- the proof keys a verifier keeps --------------------------------------------------------------


def flipped(proof):
    head, payload, signature = proof.split(".")
    raw = b64url_decode(signature)
    return f"{head}.{payload}.{b64url(bytes([raw[0] ^ 1]) + raw[1:])}"


def test_a_key_is_kept_only_after_a_proof_signed_with_it_verified(verifier, key):
    with pytest.raises(InvalidDPoPProof, match="signature"):
        verify(verifier, key, flipped(key.proof(htu=URI, access_token=TOKEN, iat=NOW)))
    assert len(verifier.proof_keys._keys) == 0
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    assert len(verifier.proof_keys._keys) == 1


def test_a_kept_key_still_checks_every_signature(verifier, key):
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    kept = verifier.proof_keys.get(key.jwk(), "ES256")
    assert verifier.proof_keys.get(key.jwk(), "ES256") is kept  # served from the cache
    with pytest.raises(InvalidDPoPProof, match="signature"):
        verify(verifier, key, flipped(key.proof(htu=URI, access_token=TOKEN, iat=NOW)))
    assert verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))


@pytest.mark.parametrize("change, message", [
    (lambda jwk: {**jwk, "d": "AAAA"}, "private key"),
    (lambda jwk: {**jwk, "kty": "RSA"}, "key type"),
    (lambda jwk: {**jwk, "x": 5}, "'x'"),
])
def test_a_kept_key_does_not_excuse_a_bad_jwk_with_the_same_public_members(
        verifier, key, change, message):
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": change(key.jwk())}
    with pytest.raises(InvalidDPoPProof, match=message):
        verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW, header=header))


def test_a_kept_key_serves_only_its_own_algorithm(key):
    verifier = ProofVerifier(algorithms=["ES256", "ES384"], replay_store=InProcessReplayStore(),
                             clock=FrozenClock(NOW))
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    header = {"typ": "dpop+jwt", "alg": "ES384", "jwk": key.jwk()}
    with pytest.raises(InvalidDPoPProof, match="curve does not match"):
        verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW, header=header,
                                        signature=b"x" * 96))


def test_a_header_is_kept_only_after_a_proof_with_it_verified(verifier, key):
    with pytest.raises(InvalidDPoPProof, match="signature"):
        verify(verifier, key, flipped(key.proof(htu=URI, access_token=TOKEN, iat=NOW)))
    assert len(verifier._headers) == 0
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    assert len(verifier._headers) == 1


def test_a_kept_header_still_checks_every_signature_and_claim(verifier, key):
    first = verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    second = verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    assert second.header is first.header  # served from the cache
    with pytest.raises(InvalidDPoPProof, match="signature"):
        verify(verifier, key, flipped(key.proof(htu=URI, access_token=TOKEN, iat=NOW)))
    with pytest.raises(InvalidDPoPProof, match="htu"):
        verify(verifier, key, key.proof(htu=URI + "x", access_token=TOKEN, iat=NOW))
    with pytest.raises(InvalidDPoPProof, match="ath"):
        verify(verifier, key, key.proof(htu=URI, access_token=TOKEN + "x", iat=NOW))
    with pytest.raises(InvalidDPoPProof, match="too old"):
        verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW - 100))


def test_a_kept_header_is_read_only(verifier, key):
    header = verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW)).header
    with pytest.raises(TypeError):
        header["jwk"]["x"] = "AAAA"
    with pytest.raises(TypeError):
        header.pop("typ")
    assert verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW)).header == {
        "typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk()}


def test_a_header_with_other_text_is_checked_on_its_own(verifier, key):
    """A kept header excuses no other spelling: a changed typ is refused though the same key
    signed it."""
    verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW))
    header = {"typ": "JWT", "alg": "ES256", "jwk": key.jwk()}
    with pytest.raises(InvalidDPoPProof, match="typ"):
        verify(verifier, key, key.proof(htu=URI, access_token=TOKEN, iat=NOW, header=header))


def test_the_key_cache_is_bounded(key):
    from auth0_jwt._core.proof_keys import ProofKeys

    keys = ProofKeys(maxsize=2)
    made = [DPoPKey() for _ in range(3)]
    for each in made:
        keys.keep(keys.get(each.jwk(), "ES256"))
    assert len(keys._keys) == 2
    assert keys.get(made[0].jwk(), "ES256") is not keys.get(made[0].jwk(), "ES256")  # evicted
    assert keys.get(made[2].jwk(), "ES256") is keys.get(made[2].jwk(), "ES256")


def test_htu_normal_forms_are_kept_only_for_short_uris(verifier, key):
    from auth0_jwt._core import dpop

    dpop._normalized_uri.cache_clear()
    long_uri = URI + "/" + "a" * dpop.MAX_CACHED_URI
    verifier.verify(key.proof(htu=long_uri, access_token=TOKEN, iat=NOW), method="GET",
                    uri=long_uri, access_token=TOKEN, jkt=key.thumbprint())
    assert dpop._normalized_uri.cache_info().currsize == 0
    verify(verifier, key, key.proof(htu=URI.upper().replace("/API/PRIVATE", "/api/private"),
                                    access_token=TOKEN, iat=NOW))
    assert dpop._normalized_uri.cache_info().currsize == 2  # the request URI and the htu
    with pytest.raises(InvalidDPoPProof, match="htu"):
        verify(verifier, key, key.proof(htu=URI + "x", access_token=TOKEN, iat=NOW))
