"""System checks for the DPoP and shared-cache settings: each bad value names itself."""
import pytest

from auth0_jwt._ops.checks import check_settings


def ids():
    return [message.id for message in check_settings()]


@pytest.mark.parametrize("options, expected", [
    ({"DPOP_MODE": "on"}, "auth0_jwt.E012"),
    ({"DPOP_ALGORITHMS": ["HS256"]}, "auth0_jwt.E013"),
    ({"DPOP_ALGORITHMS": []}, "auth0_jwt.E013"),
    ({"DPOP_IAT_WINDOW": 0}, "auth0_jwt.E009"),
    ({"DPOP_IAT_LEEWAY": -1}, "auth0_jwt.E009"),
    ({"DPOP_NONCE_LIFETIME": "300"}, "auth0_jwt.E009"),
    ({"DPOP_REPLAY_CACHE": "missing"}, "auth0_jwt.E014"),
    ({"JWKS_SHARED_CACHE": "missing"}, "auth0_jwt.E014"),
])
def test_bad_dpop_setting_is_an_error(configure, options, expected):
    configure(**options)
    assert expected in ids()


def test_defaults_pass(configure):
    assert ids() == []


def test_per_process_replay_store_with_dpop_on_is_a_warning(configure):
    configure(DPOP_MODE="allowed")
    messages = check_settings()
    assert [m.id for m in messages] == ["auth0_jwt.W003"]
    assert "CACHE_URL=redis://" in messages[0].hint


def test_in_process_replay_store_with_dpop_on_is_a_warning(configure):
    configure(DPOP_MODE="required", DPOP_REPLAY_CACHE=None)
    assert ids() == ["auth0_jwt.W003"]


def test_shared_replay_store_passes(configure, settings):
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0"}}
    configure(DPOP_MODE="allowed", DPOP_REPLAY_CACHE="shared")
    assert ids() == []


def test_dummy_cache_as_replay_store_is_an_error(configure, settings):
    settings.CACHES = {**settings.CACHES, "dummy": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    configure(DPOP_MODE="allowed", DPOP_REPLAY_CACHE="dummy")
    assert ids() == ["auth0_jwt.E015"]
