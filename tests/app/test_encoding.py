"""Strict base64url and JSON segment decoding: one spelling per value, nothing skipped."""
import base64
import random
import re

import pytest

from auth0_jwt._core.encoding import b64url_decode, json_object
from auth0_jwt._core.errors import MalformedToken
from tests.keys import b64url

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def reference_decode(segment):
    """The rules written plainly (RFC 4648 sections 3.5 and 5, RFC 7515 section 2)."""
    if len(segment) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        raise MalformedToken()
    decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if b64url(decoded) != segment:  # non-zero spare bits: a second spelling
        raise MalformedToken()
    return decoded


def outcome(decode, segment):
    try:
        return decode(segment)
    except MalformedToken:
        return "refused"


@pytest.mark.parametrize("segment", ["eyJhIjoxfQ+", "eyJhIjoxfQ/", "eyJhIjoxfQ==", "eyJh IjoxfQ",
                                     "eyJhIjoxfQ\n", "eyJhIjoxfé", "a", "eyJhIjoxfR", "ab=c",
                                     "====", "*abc"])
def test_anything_but_canonical_unpadded_base64url_is_refused(segment):
    with pytest.raises(MalformedToken):
        b64url_decode(segment)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xfb\xff", b"\xfb\xff\xbf", b'{"a":1}'])
def test_canonical_segments_decode(data):
    assert b64url_decode(b64url(data)) == data


def test_decoder_agrees_with_the_plain_rules_on_random_input():
    rng = random.Random(7)
    pool = ALPHABET + "+/= \n.é*"
    for _ in range(20_000):
        chars = ALPHABET if rng.random() < 0.7 else pool
        segment = "".join(rng.choice(chars) for _ in range(rng.randint(0, 10)))
        assert outcome(b64url_decode, segment) == outcome(reference_decode, segment), segment


@pytest.mark.parametrize("raw", [b'{"a":1,"a":2}', b'{"a":NaN}', b'{"a":Infinity}', b"[1]",
                                 b'{"a":1} x', b"\xff"])
def test_json_segment_must_be_one_object_without_duplicates_or_constants(raw):
    with pytest.raises(MalformedToken):
        json_object(b64url(raw), "payload")


def test_json_segment_decodes_nested_objects():
    assert json_object(b64url(b'{"a":{"b":[1,2.5,"c"]}}'), "payload") == {"a": {"b": [1, 2.5, "c"]}}


@pytest.mark.parametrize("raw", [b'{"sub":"\\ud800"}', b'{"sub":"a\\udfffb"}',
                                 b'{"scope":["x","\\uDBFF"]}', b'{"\\ud800":1}',
                                 b'{"a":{"b":[{"c":"\\ud83d"}]}}'])
def test_json_segment_with_a_lone_surrogate_is_refused(raw):
    # Such a string cannot be encoded again: it would break whatever renders the claim.
    with pytest.raises(MalformedToken, match="not valid Unicode"):
        json_object(b64url(raw), "payload")


@pytest.mark.parametrize("raw, value", [
    (b'{"sub":"\\ud83d\\ude00"}', "\U0001F600"),  # a surrogate pair is one character
    (b'{"sub":"\\\\ud800"}', "\\ud800"),  # an escaped backslash, then text
    (b'{"sub":"Jos\\u00e9"}', "Jos\u00e9"),
])
def test_json_segment_with_valid_escapes_decodes(raw, value):
    assert json_object(b64url(raw), "payload") == {"sub": value}
