"""Strict decoding of JWS compact segments: one valid spelling per token. No Django imports."""
import base64
import binascii
import json
import re

from auth0_jwt._core.errors import MalformedToken

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# base64url -> standard base64 for the C decoder. '+', '/' and '=' are not base64url (RFC 4648
# section 5; JWS segments carry no padding, RFC 7515 section 2), so they become '*', which the
# strict decoder refuses like any other character outside the alphabet.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/***")
# Unused low bits of the last character must be zero (RFC 4648 section 3.5), else two
# spellings decode to the same bytes.
_SPARE_BITS_MASK = {2: 0b1111, 3: 0b11}
# A JSON escape of a UTF-16 surrogate, \uD800 to \uDFFF: the only way a string that is not
# valid Unicode (a lone surrogate) gets into a JSON text that is valid UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def b64url_decode(segment):
    """Decode unpadded, canonical base64url; anything else is ``MalformedToken``."""
    remainder = len(segment) % 4
    if remainder == 1:
        raise MalformedToken("Malformed token: segment is not base64url")
    try:
        data = segment.encode("ascii").translate(_TO_STANDARD) + b"=" * (-remainder % 4)
        # strict_mode: no character outside the alphabet is skipped, no stray padding.
        decoded = binascii.a2b_base64(data, strict_mode=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise MalformedToken("Malformed token: segment is not base64url") from exc
    if remainder and _ALPHABET.index(segment[-1]) & _SPARE_BITS_MASK[remainder]:
        raise MalformedToken("Malformed token: segment is not canonical base64url")
    return decoded


def json_object(segment, what):
    """Decode a segment holding a JSON object; duplicate names, NaN/Infinity and strings that
    are not valid Unicode are refused."""
    raw = b64url_decode(segment)
    try:
        text = raw.decode("utf-8")
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedToken(f"Malformed token: {what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise MalformedToken(f"Malformed token: {what} is not a JSON object")
    # RFC 8259 section 8.2 / RFC 7493 section 2.1: a lone surrogate ("\ud800") decodes to a
    # str that cannot be encoded again, so it would break whatever renders the claim. Only an
    # escape can produce one; the regular expression keeps the walk off the usual path.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and not _all_unicode(value):
        raise MalformedToken(f"Malformed token: {what} contains a string that is not valid "
                             "Unicode")
    return value


def _all_unicode(value):
    try:
        return _is_unicode(value)
    except RecursionError:  # nesting the decoder just managed: refuse rather than guess
        return False


def _is_unicode(value):
    """True when every string in ``value`` (keys included) is valid Unicode (no lone surrogate)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_is_unicode(key) and _is_unicode(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_unicode(item) for item in value)
    return True


def _no_duplicates(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def b64url_encode(data):
    """Unpadded base64url of ``data`` (bytes), as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# Built once: json.loads(..., object_pairs_hook=...) builds a new decoder and scanner on every
# call, which cost as much as the decoding itself.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
