"""htu normalisation (RFC 9449 section 4.3 check 9; RFC 3986 sections 6.2.2 and 6.2.3)."""
import pytest

from auth0_jwt._core.uris import normalize, quote_path, target_path


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


@pytest.mark.parametrize("target, path", [
    ("/org/org%3B123?x=1", "/org/org%3B123"),  # never decoded
    ("/org/org_123%3Fevil", "/org/org_123%3Fevil"),  # an encoded "?" is no query
    ("/a#fragment", "/a"),
    ("http://api.example.com/a/b?q", "/a/b"),  # absolute-form (RFC 9112 section 3.2.2)
    ("HTTPS://api.example.com:8443/a", "/a"),
    ("https://api.example.com", "/"),
    ("*", None), ("api.example.com:443", None), ("", None),
])
def test_target_path_is_the_path_as_sent(target, path):
    assert target_path(target) == path


@pytest.mark.parametrize("decoded, quoted", [
    ("/org/org;123", "/org/org;123"),
    ("/a:b@c/!$&'()*+,=", "/a:b@c/!$&'()*+,="),
    ("/caf\u00e9 x/100%", "/caf%C3%A9%20x/100%25"),
    ("/a?b#c", "/a%3Fb%23c"),
])
def test_quote_path_encodes_only_what_a_path_cannot_hold(decoded, quoted):
    assert quote_path(decoded) == quoted
