"""auth0_jwt/_ops/health.py (/healthz, /readyz) and runtime.warm_up: unauthenticated JSON probes
and the opt-in JWKS fetch at worker start."""
import logging
import time

from auth0_jwt._ops import runtime

UNAVAILABLE = {"error": "temporarily_unavailable",
               "message": "Signing keys are temporarily unavailable"}


def test_healthz_is_200_without_credentials(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_ignores_a_bad_token(client):
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer not a token")
    assert response.status_code == 200


def test_readyz_fetches_keys_and_is_200(client, auth0_settings, jwks_server):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert jwks_server.hits == 1
    client.get("/readyz")
    assert jwks_server.hits == 1  # keys held: no new fetch


def test_readyz_is_503_with_retry_after_when_no_key_can_be_fetched(client, configure,
                                                                  jwks_server):
    configure(JWKS_RETRY_AFTER=7)
    jwks_server.status = 500
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "7"
    assert "WWW-Authenticate" not in response


def test_readyz_probes_obey_the_refetch_cooldown(client, auth0_settings, jwks_server):
    jwks_server.status = 500
    for _ in range(5):
        assert client.get("/readyz").status_code == 503
    assert jwks_server.hits == 1


def test_readyz_stays_200_on_cached_keys_during_an_outage(client, configure, jwks_server):
    configure(JWKS_CACHE_LIFETIME=0, JWKS_REFETCH_COOLDOWN=0)
    assert client.get("/readyz").status_code == 200
    jwks_server.status = 503
    assert client.get("/readyz").status_code == 200


def test_probes_answer_405_in_the_json_shape_to_other_methods(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed",
                               "message": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET, HEAD"


def test_readyz_without_a_tenant_is_503_not_500(client, settings):
    settings.AUTH0_JWT = {}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


def test_warm_up_is_off_by_default(auth0_settings, jwks_server):
    assert runtime.warm_up() is False
    assert jwks_server.hits == 0


def test_warm_up_fetches_the_keys_once_so_requests_do_not(api, token, configure, jwks_server):
    configure(JWKS_WARMUP=True)
    assert runtime.warm_up() is True
    assert jwks_server.hits == 1
    assert api("/private", token()).status_code == 200
    assert jwks_server.hits == 1


def test_warm_up_with_an_unreachable_tenant_logs_and_does_not_raise(configure, jwks_server,
                                                                    caplog):
    configure(JWKS_WARMUP=True)
    jwks_server.status = 502
    with caplog.at_level(logging.INFO, logger="auth0_jwt.jwks"):
        assert runtime.warm_up() is False
    messages = [r.getMessage() for r in caplog.records if r.name == "auth0_jwt.jwks"]
    assert messages == ["JWKS fetch failed: HTTP status 502; no signing key known",
                        "JWKS warm-up found no signing key; serving anyway, keys are fetched "
                        "on demand"]


def test_warm_up_survives_a_broken_configuration(settings):
    settings.AUTH0_JWT = {"JWKS_WARMUP": True}  # no tenant at all
    assert runtime.warm_up() is False


def test_readyz_with_the_local_issuer_is_200(client, local_settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_waits_on_a_hanging_tenant_at_most_the_bounded_wait(client, configure,
                                                                  jwks_server):
    configure(JWKS_TIMEOUT=10, JWKS_WAIT=0.6)
    jwks_server.delay = 5  # accepts, then says nothing for 5 s
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert time.monotonic() - started < 2.0  # the 0.6 s bound, not 5 s
    started = time.monotonic()
    assert client.get("/readyz").status_code == 503  # the fetch goes on: no second wait
    assert time.monotonic() - started < 0.4


def test_warm_up_with_the_local_issuer_reports_its_key_ready(local_settings):
    assert runtime.warm_up(force=True) is True
