"""auth0_jwt/_ops/draining.py: once the process is told to stop, /readyz answers 503 (so a
load balancer stops sending) while everything else is still served."""
import pytest

from auth0_jwt._ops import draining

SHUTTING_DOWN = {"error": "temporarily_unavailable", "message": "The server is shutting down"}


@pytest.fixture
def drain(monkeypatch):
    """Start draining; the flag is restored after the test (a real process never comes back)."""
    monkeypatch.setitem(draining._state, "draining", False)
    return draining.start


def test_readyz_is_503_once_draining_although_keys_are_held(client, auth0_settings, drain):
    assert client.get("/readyz").status_code == 200
    drain()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == SHUTTING_DOWN
    assert "Retry-After" not in response  # this process will not be ready again
    assert "no-cache" in response["Cache-Control"]


def test_healthz_and_the_api_are_still_served_while_draining(client, auth0_settings, drain,
                                                            token):
    drain()
    assert client.get("/healthz").status_code == 200
    assert client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token()}").status_code == 200


def test_a_process_that_was_never_told_to_stop_is_not_draining(drain):
    assert draining.is_draining() is False
    drain()
    assert draining.is_draining() is True
