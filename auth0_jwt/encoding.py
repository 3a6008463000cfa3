"""Strict decoding of JWS compact segments: one valid spelling per token. No Django imports."""
import base64
import binascii
import json
import re

from .errors import MalformedToken

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Unused low bits of the last character must be zero (RFC 4648 section 3.5), else two
# spellings decode to the same bytes.
_SPARE_BITS_MASK = {2: 0b1111, 3: 0b11}


def b64url_decode(segment):
    """Decode unpadded, canonical base64url; anything else is ``MalformedToken``."""
    remainder = len(segment) % 4
    if remainder == 1 or not _BASE64URL.fullmatch(segment):
        raise MalformedToken("Malformed token: segment is not base64url")
    if remainder and _ALPHABET.index(segment[-1]) & _SPARE_BITS_MASK[remainder]:
        raise MalformedToken("Malformed token: segment is not canonical base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-remainder % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken("Malformed token: segment is not base64url") from exc


def json_object(segment, what):
    """Decode a segment holding a JSON object; duplicate names and NaN/Infinity are refused."""
    raw = b64url_decode(segment)
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                           parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedToken(f"Malformed token: {what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise MalformedToken(f"Malformed token: {what} is not a JSON object")
    return value


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
