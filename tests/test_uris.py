"""htu normalisation (RFC 9449 section 4.3 check 9; RFC 3986 sections 6.2.2 and 6.2.3)."""
import pytest

from auth0_jwt._core.uris import normalize


@pytest.mark.parametrize("uri, expected", [
    ("https://api.example.com/v1/items", "https://api.example.com/v1/items"),
    ("HTTPS://API.Example.COM/v1/items", "https://api.example.com/v1/items"),
    ("https://api.example.com:443/v1", "https://api.example.com/v1"),
    ("http://api.example.com:80/v1", "http://api.example.com/v1"),
    ("http://api.example.com:8080/v1", "http://api.example.com:8080/v1"),
    ("https://api.example.com", "https://api.example.com/"),
    ("https://api.example.com/v1?x=1#y", "https://api.example.com/v1"),
    ("https://api.example.com/a/./b/../c", "https://api.example.com/a/c"),
    ("https://api.example.com/a/b/..", "https://api.example.com/a/"),
    ("https://api.example.com/%7euser/%2fx%2F", "https://api.example.com/~user/%2Fx%2F"),
    ("https://api.example.com/%41", "https://api.example.com/A"),
    ("http://[::1]:8000/x", "http://[::1]:8000/x"),
])
def test_equivalent_spellings_normalise_to_one_form(uri, expected):
    assert normalize(uri) == expected


@pytest.mark.parametrize("uri", [
    "ftp://api.example.com/x", "https://user:pw@api.example.com/x", "https://api.example.com:99999/x",
    "https://api.example.com:abc/x", "/relative/path", "", "https:///x", "https://ex ample.com/",
])
def test_unusable_uris_normalise_to_none(uri):
    assert normalize(uri) is None


def test_path_case_and_reserved_escapes_stay_distinct():
    assert normalize("https://a.example/Items") != normalize("https://a.example/items")
    assert normalize("https://a.example/a%2Fb") != normalize("https://a.example/a/b")
