"""DisregardUnsatisfiableAccept: JSON where DRF would answer 406, DRF's answer elsewhere."""
import pytest
from django.http import Http404
from django.test import RequestFactory
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from auth0_jwt._drf.negotiation import DisregardUnsatisfiableAccept


def select(accept, path="/public", renderers=(JSONRenderer(), BrowsableAPIRenderer())):
    request = Request(RequestFactory().get(path, HTTP_ACCEPT=accept))
    renderer, media_type = DisregardUnsatisfiableAccept().select_renderer(request, list(renderers))
    return type(renderer), media_type


def test_unsatisfiable_accept_gets_the_first_renderer():
    assert select("image/png", renderers=[JSONRenderer()]) == (JSONRenderer, "application/json")


def test_a_satisfiable_accept_is_negotiated_as_drf_does():
    assert select("text/html") == (BrowsableAPIRenderer, "text/html")


def test_an_unknown_format_override_is_still_a_404():
    with pytest.raises(Http404):
        select("*/*", path="/public?format=xml")
