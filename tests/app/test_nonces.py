"""Stateless DPoP nonces: valid on every server sharing the secret, until they expire."""
from auth0_jwt._core.nonces import NonceSource
from tests.clock import FrozenClock



def test_nonce_is_valid_on_another_server_with_the_same_secret_until_it_expires():
    clock = FrozenClock(1_700_000_000)
    nonce = NonceSource(b"s" * 32, lifetime=300, clock=clock).issue()
    other_server = NonceSource(b"s" * 32, lifetime=300, clock=clock)
    assert other_server.is_valid(nonce)
    clock.now += 300
    assert other_server.is_valid(nonce)
    clock.now += 1
    assert not other_server.is_valid(nonce)


def test_nonce_from_another_secret_or_tampered_is_invalid():
    clock = FrozenClock(1_700_000_000)
    nonce = NonceSource(b"s" * 32, clock=clock).issue()
    assert not NonceSource(b"t" * 32, clock=clock).is_valid(nonce)
    tampered = ("B" if nonce[0] != "B" else "C") + nonce[1:]
    assert not NonceSource(b"s" * 32, clock=clock).is_valid(tampered)
    assert not NonceSource(b"s" * 32, clock=clock).is_valid("not base64url!")
    assert not NonceSource(b"s" * 32, clock=clock).is_valid("")
