"""Custom claim validators (the Express SDK's ``validators`` option). No Django imports.

``VALIDATORS`` maps a claim name to one of:

- a function ``(value, claims, header) -> bool``: the claim passes when it returns exactly
  ``True`` (``value`` is None when the claim is absent); a function that raises, or returns an
  awaitable, fails the token (fail closed) and is logged;
- a string: the claim must be exactly that string;
- ``False``: switch the standard check of that claim off.

For ``iss``, ``aud``, ``typ`` (read from the header), ``jti`` and ``client_id`` a function or
string *replaces* the standard check (e.g. an ``iss`` that differs per tenant); ``aud`` cannot
be switched off with ``False``, only replaced (RFC 8725 section 3.9: a token for another API
must not pass). Any other claim name *adds* a check; the standard rules for ``exp``, ``nbf``,
``iat``, ``sub``, ``scope``, ``permissions`` and ``cnf`` always run as well. ``alg`` and the
key parameters of the header cannot be given at all: the algorithm is pinned by ``ALGORITHMS``
and the signature is always checked.

Each failure is ``RejectedClaim`` ("Unexpected '<name>' value"): a 401 ``invalid_token``.
A configuration that cannot work raises ``ValidatorConfigurationError`` at startup.
"""
import inspect
import logging
import re

from auth0_jwt._core.errors import InvalidClaim

logger = logging.getLogger("auth0_jwt.validators")

REPLACEABLE = frozenset({"iss", "aud", "typ", "jti", "client_id"})
NOT_SWITCHABLE = frozenset({"aud"})
# The algorithm pin and the key: never the business of a validator (RFC 8725 sections 3.1, 3.10).
FORBIDDEN = frozenset({"alg", "kid", "jku", "jwk", "x5u", "x5c", "crit"})
HEADER_PARAMETERS = frozenset({"typ"})
_CLAIM_NAME = re.compile(r"[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,64}")  # printable, no quotes


class ValidatorConfigurationError(ValueError):
    """``VALIDATORS`` cannot work as given; the message names the claim."""


class RejectedClaim(InvalidClaim):
    """A custom validator refused the token (401 invalid_token)."""

    reason = "rejected_claim"
    default_message = "Unexpected claim value"


class ClaimValidators:
    """The checks of one ``VALIDATORS`` mapping.

    ``replaced``: standard checks the verifier must skip (replaced or switched off).
    ``check(payload, header)``: run every custom check; raise ``RejectedClaim`` on the first
    failure.
    """

    def __init__(self, validators):
        if not isinstance(validators, dict):
            raise ValidatorConfigurationError("must be a dict of claim name -> validator")
        checks, replaced = [], set()
        for name, validator in validators.items():
            check = build_check(name, validator)
            if name in REPLACEABLE:
                replaced.add(name)
            if check is not None:
                checks.append(check)
        self.replaced = frozenset(replaced)
        self._checks = tuple(checks)

    def check(self, payload, header):
        for name, test, message in self._checks:
            source = header if name in HEADER_PARAMETERS else payload
            if not test(source.get(name), payload, header):
                raise RejectedClaim(message)

    def __bool__(self):
        return bool(self._checks or self.replaced)

    def __repr__(self):
        return f"<ClaimValidators {sorted(name for name, _, _ in self._checks)}>"


def build_check(name, validator):
    """``(name, test, message)`` for one entry, None for ``False``; raise on a bad entry."""
    if not isinstance(name, str) or not _CLAIM_NAME.fullmatch(name):
        raise ValidatorConfigurationError(
            f"{name!r} is not a claim name (printable, without quotes, at most 64 characters)")
    if name in FORBIDDEN:
        raise ValidatorConfigurationError(
            f"'{name}' cannot be validated here: the algorithm is pinned by ALGORITHMS and the "
            "signing key comes only from the configured key source")
    if validator is False:
        if name not in REPLACEABLE:
            raise ValidatorConfigurationError(
                f"'{name}': False only switches off a standard check ("
                + ", ".join(sorted(REPLACEABLE - NOT_SWITCHABLE)) + ")")
        if name in NOT_SWITCHABLE:
            raise ValidatorConfigurationError(
                f"'{name}' cannot be switched off, only replaced by a function")
        return None
    message = f"Unexpected '{name}' value"
    if isinstance(validator, str):
        return name, _equals(validator), message
    if callable(validator) and not isinstance(validator, (bool, type)):
        if is_async(validator):
            raise ValidatorConfigurationError(
                f"'{name}': the function must be synchronous (it runs inside verification)")
        return name, _calls(name, validator), message
    raise ValidatorConfigurationError(
        f"'{name}' must map to a function (value, claims, header) -> bool, a string, or False")


def _equals(expected):
    def test(value, claims, header):
        return type(value) is str and value == expected

    return test


def _calls(name, function):
    def test(value, claims, header):
        try:
            result = function(value, claims, header)
        except Exception as exc:  # fail closed: a broken validator never lets a token through
            logger.error("Validator for '%s' raised %s; token refused", name,
                         type(exc).__name__, exc_info=exc)
            return False
        if inspect.isawaitable(result):
            getattr(result, "close", lambda: None)()
            logger.error("Validator for '%s' returned an awaitable; it must be synchronous",
                         name)
            return False
        return result is True

    return test


def is_async(function):
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None))
