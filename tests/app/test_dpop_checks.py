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
    ({"DPOP_REPLAY_STORE": "redis"}, "auth0_jwt.E034"),
    ({"DPOP_REPLAY_STORE": "cache", "DPOP_REPLAY_CACHE": "missing"}, "auth0_jwt.E014"),
    ({"DPOP_REPLAY_STORE": "cache", "DPOP_REPLAY_CACHE": None}, "auth0_jwt.E014"),
    ({"JWKS_SHARED_CACHE": "missing"}, "auth0_jwt.E014"),
    ({"STATE_DIR": 42}, "auth0_jwt.E035"),
])
def test_bad_dpop_setting_is_an_error(configure, options, expected):
    configure(**options)
    assert expected in ids()


def test_defaults_pass(configure):
    assert ids() == []


def test_default_file_store_with_dpop_on_passes_and_creates_a_private_file(configure, tmp_path):
    state = tmp_path / "state"
    configure(DPOP_MODE="allowed", STATE_DIR=str(state))
    assert ids() == []
    assert (state / "dpop-replay.sqlite3").stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700


def test_file_store_in_a_folder_others_can_write_is_an_error_at_startup(configure, tmp_path):
    state = tmp_path / "shared"
    state.mkdir(mode=0o777)
    state.chmod(0o777)
    configure(DPOP_MODE="allowed", STATE_DIR=str(state))
    messages = check_settings()
    assert [m.id for m in messages] == ["auth0_jwt.E036"]
    assert "writable by other users" in messages[0].msg
    assert str(state) in messages[0].msg


def test_file_store_that_cannot_be_created_is_an_error_at_startup(configure, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    configure(DPOP_MODE="required", STATE_DIR=str(blocker / "state"))
    messages = check_settings()
    assert [m.id for m in messages] == ["auth0_jwt.E036"]
    assert "STATE_DIR" in messages[0].hint


def test_file_store_is_not_opened_while_dpop_is_off(configure, tmp_path):
    configure(DPOP_MODE="off", STATE_DIR=str(tmp_path / "never"))
    assert ids() == []
    assert not (tmp_path / "never").exists()


def test_memory_store_with_dpop_on_is_a_warning(configure):
    configure(DPOP_MODE="required", DPOP_REPLAY_STORE="memory")
    messages = check_settings()
    assert [m.id for m in messages] == ["auth0_jwt.W003"]
    assert "'file'" in messages[0].hint and "CACHE_URL=redis://" in messages[0].hint


def test_per_process_cache_as_replay_store_with_dpop_on_is_a_warning(configure):
    configure(DPOP_MODE="allowed", DPOP_REPLAY_STORE="cache")  # the test cache is LocMemCache
    assert ids() == ["auth0_jwt.W003"]


def redis_cache(**options):
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0", "OPTIONS": options}


def test_redis_replay_store_with_short_timeouts_passes(configure, settings):
    settings.CACHES = {**settings.CACHES, "shared": redis_cache(socket_timeout=0.25)}
    configure(DPOP_MODE="allowed", DPOP_REPLAY_STORE="cache", DPOP_REPLAY_CACHE="shared")
    assert ids() == []


@pytest.mark.parametrize("options", [{}, {"socket_timeout": 5}, {"socket_connect_timeout": 0.25}])
def test_redis_replay_store_without_a_short_socket_timeout_is_a_warning(configure, settings,
                                                                       options):
    settings.CACHES = {**settings.CACHES, "shared": redis_cache(**options)}
    configure(DPOP_MODE="allowed", DPOP_REPLAY_STORE="cache", DPOP_REPLAY_CACHE="shared")
    messages = check_settings()
    assert [m.id for m in messages] == ["auth0_jwt.W004"]
    assert "'socket_timeout': 0.25" in messages[0].hint


def test_dummy_cache_as_replay_store_is_an_error(configure, settings):
    settings.CACHES = {**settings.CACHES, "dummy": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    configure(DPOP_MODE="allowed", DPOP_REPLAY_STORE="cache", DPOP_REPLAY_CACHE="dummy")
    assert ids() == ["auth0_jwt.E015"]
