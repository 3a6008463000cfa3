"""ProofVerifier on its own, with a frozen clock: the exact edges of the iat window, the replay
ttl, and jti values scoped to their key."""
import pytest

from auth0_jwt._core.dpop import ProofVerifier
from auth0_jwt._core.errors import InvalidDPoPProof, ReplayedDPoPProof
from auth0_jwt._core.replay import InProcessReplayStore
from tests.clock import FrozenClock
from tests.dpop_client import DPoPKey

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
