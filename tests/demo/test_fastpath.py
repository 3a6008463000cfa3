"""The request fast paths (config/fastpath.py) answer exactly as the code they short-cut."""
import pytest
from corsheaders.middleware import CorsMiddleware as LibraryCorsMiddleware
from django.core import signals
from django.core.cache import close_caches
from django.db import close_old_connections, reset_queries
from django.http import JsonResponse
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

from config.fastpath import (CorsMiddleware, FastContentNegotiation, SessionMiddleware,
                             disconnect_idle_request_signals)
from tests.expected import and_dpop

ACCEPTS = [None, "*/*", " */* ", "", "application/json", "text/html", "application/*",
           "text/html, */*;q=0.1", "application/json; indent=4", "*/*; q=0.5", "image/png"]
QUERIES = ["", "format=json", "format=api", "format=xml", "x=1"]


def negotiate(negotiation, accept, query, renderers, suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(RequestFactory().get(f"/api/public?{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
        return type(renderer), media_type
    except (exceptions.NotAcceptable, exceptions.NotFound) as exc:
        return type(exc)
    except Exception as exc:  # noqa: BLE001  (Http404 and friends: compared by type)
        return type(exc)


@pytest.mark.parametrize("renderer_classes", [[JSONRenderer], [JSONRenderer, BrowsableAPIRenderer],
                                              [BrowsableAPIRenderer, JSONRenderer]])
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", QUERIES)
def test_negotiation_matches_drf_for_every_accept_and_format(renderer_classes, accept, query):
    renderers = [cls() for cls in renderer_classes]
    drf_answer = negotiate(DefaultContentNegotiation(), accept, query, renderers)
    if drf_answer is exceptions.NotAcceptable:
        # Where DRF would answer 406, the first renderer is used (RFC 9110 12.5.1).
        drf_answer = (type(renderers[0]), renderers[0].media_type)
    assert negotiate(FastContentNegotiation(), accept, query, renderers) == drf_answer


@pytest.mark.parametrize("suffix", ["json", "api", "xml"])
def test_negotiation_matches_drf_with_a_format_suffix(suffix):
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    assert (negotiate(FastContentNegotiation(), None, "", renderers, suffix)
            == negotiate(DefaultContentNegotiation(), None, "", renderers, suffix))


def test_an_unacceptable_accept_gets_json_not_406(api):
    response = api("/api/public", HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("accept", ["text/html", "image/png", "application/xml"])
def test_an_unacceptable_accept_does_not_hide_the_401(api, settings, accept):
    response = api("/api/private", HTTP_ACCEPT=accept)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": "Authentication required"}
    assert response["WWW-Authenticate"] == and_dpop('Bearer realm="api"') 


def cors_headers(middleware_class, settings, **request_headers):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    middleware = middleware_class(lambda request: JsonResponse({"ok": True}))
    request = RequestFactory().generic(request_headers.pop("method", "GET"), "/api/private",
                                       **request_headers)
    response = middleware(request)
    return response.status_code, dict(response.headers), getattr(request, "_cors_enabled", None)


@pytest.mark.parametrize("request_headers", [
    {},
    {"HTTP_ORIGIN": "https://app.example.com"},
    {"HTTP_ORIGIN": "https://evil.example.com"},
    {"method": "OPTIONS", "HTTP_ORIGIN": "https://app.example.com",
     "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"},
    {"method": "OPTIONS"},
    {"method": "POST"},
])
def test_cors_middleware_answers_as_django_cors_headers(settings, request_headers):
    ours = cors_headers(CorsMiddleware, settings, **dict(request_headers))
    theirs = cors_headers(LibraryCorsMiddleware, settings, **dict(request_headers))
    assert ours == theirs


def test_cors_short_path_still_varies_on_origin(settings):
    _, headers, _ = cors_headers(CorsMiddleware, settings)
    assert headers["Vary"] == "origin"


def receivers(signal):
    return {ref() for _, ref, _ in signal.receivers} - {None}


def test_without_database_or_shared_cache_the_idle_receivers_are_disconnected():
    disconnect_idle_request_signals()
    assert not {reset_queries, close_old_connections} & receivers(signals.request_started)
    assert not {close_old_connections, close_caches} & receivers(signals.request_finished)


def session_run(middleware_class, **request_headers):
    middleware = middleware_class(lambda request: JsonResponse({"ok": True}))
    request = RequestFactory().get("/api/private", **request_headers)
    response = middleware(request)
    return dict(response.headers), response.cookies.output(), hasattr(request, "session")


def test_session_middleware_stands_aside_while_no_session_token_is_used(settings):
    settings.AUTH0_JWT = {**(settings.AUTH0_JWT or {}), "SESSION_TOKEN": False}
    ours, theirs = session_run(SessionMiddleware), session_run(DjangoSessionMiddleware)
    assert ours[:2] == theirs[:2]
    assert ours[2] is False


def test_a_leftover_session_cookie_is_left_alone_while_no_session_token_is_used(settings):
    settings.AUTH0_JWT = {**(settings.AUTH0_JWT or {}), "SESSION_TOKEN": False}
    headers, cookies, has_session = session_run(SessionMiddleware, HTTP_COOKIE="sessionid=abc")
    assert (headers, cookies, has_session) == ({"Content-Type": "application/json"}, "", False)


def test_session_middleware_is_djangos_while_the_session_token_is_on(settings):
    settings.AUTH0_JWT = {**(settings.AUTH0_JWT or {}), "SESSION_TOKEN": True}
    assert session_run(SessionMiddleware) == session_run(DjangoSessionMiddleware)
    assert session_run(SessionMiddleware)[2] is True
