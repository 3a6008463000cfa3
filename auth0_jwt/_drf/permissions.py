"""Scope and claim permissions, read from the verified token only.

Configured instances go straight into ``permission_classes`` and compose with DRF's ``&``,
``|`` and ``~``::

    permission_classes = [HasScope("read:messages")]
    permission_classes = [HasScope("admin:access") | ClaimEquals("org_id", "org_123")]

An anonymous request on such a route is a 401 (DRF asks for credentials first); a valid token
that fails the rule is a 403: ``insufficient_scope`` for scopes, ``forbidden`` for claims.
A rule that cannot work (no scopes, an async predicate) is a configuration error at once.
"""
import inspect
import logging

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission, OperationHolderMixin

from auth0_jwt._core.tokens import VerifiedToken

logger = logging.getLogger("auth0_jwt.permissions")
CLAIM_VALUE_TYPES = (str, int, float, bool)


def verified_claims(request):
    """The verified token's claims, or None: scopes and claims never come from elsewhere."""
    token = getattr(request, "auth", None)
    return token.payload if isinstance(token, VerifiedToken) else None


def verified_scopes(request):
    token = getattr(request, "auth", None)
    return token.scopes if isinstance(token, VerifiedToken) else frozenset()


class ConfiguredPermission(OperationHolderMixin, BasePermission):
    """A permission configured by its constructor and used as its own "class".

    DRF instantiates each entry of ``permission_classes``; calling an instance returns it, so
    it must hold no per-request state.
    """

    code = "forbidden"

    def __call__(self):
        return self


def scope_denial(message, scopes):
    """The 403 detail for a missing scope; ``handlers.py`` turns it into the RFC 6750 shape."""
    return {"message": message, "required_scopes": list(scopes)}


class HasScope(ConfiguredPermission):
    """Grants access when the token has every one of ``scopes`` (``scope`` or ``permissions``)."""

    code = "insufficient_scope"

    def __init__(self, *scopes):
        self.required_scopes = _scope_list(type(self).__name__, scopes)
        self.message = scope_denial("Insufficient scope", self.required_scopes)

    def has_permission(self, request, view):
        return verified_scopes(request).issuperset(self.required_scopes)


class HasAnyScope(HasScope):
    """Grants access when the token has at least one of ``scopes``."""

    def __init__(self, *scopes):
        super().__init__(*scopes)
        self.message = scope_denial("Insufficient scope: one of the listed scopes is required",
                                    self.required_scopes)

    def has_permission(self, request, view):
        return not verified_scopes(request).isdisjoint(self.required_scopes)


class HasRequiredScopes(BasePermission):
    """The view-attribute form (as django-oauth-toolkit's ``TokenHasScope``)::

        class MessagesView(APIView):
            permission_classes = [HasRequiredScopes]
            required_scopes = ["read:messages"]
    """

    code = "insufficient_scope"

    def has_permission(self, request, view):
        scopes = _scope_list(f"{type(view).__name__}.required_scopes",
                             getattr(view, "required_scopes", None) or ())
        self.message = scope_denial("Insufficient scope", scopes)
        return verified_scopes(request).issuperset(scopes)


class ClaimEquals(ConfiguredPermission):
    """Grants access when claim ``name`` equals ``expected`` (same JSON type, too)."""

    def __init__(self, name, expected):
        self.name = _claim_name(name)
        if expected is not None and not isinstance(expected, CLAIM_VALUE_TYPES):
            raise ImproperlyConfigured("ClaimEquals: expected value must be a JSON primitive, "
                                       "e.g. ClaimEquals('org_id', 'org_123')")
        self.expected = expected
        self.message = f"Claim '{self.name}' does not have the required value"

    def has_permission(self, request, view):
        claims = verified_claims(request)
        return claims is not None and self.name in claims and _same(claims[self.name], self.expected)


class ClaimIncludes(ConfiguredPermission):
    """Grants access when claim ``name`` (an array or a space-separated string) holds all values."""

    def __init__(self, name, *values):
        self.name = _claim_name(name)
        if not values or not all(isinstance(v, CLAIM_VALUE_TYPES) for v in values):
            raise ImproperlyConfigured("ClaimIncludes needs at least one JSON primitive value, "
                                       "e.g. ClaimIncludes('roles', 'editor', 'viewer')")
        self.values = values
        self.message = f"Claim '{self.name}' does not include the required values"

    def has_permission(self, request, view):
        claims = verified_claims(request)
        actual = claims.get(self.name) if claims is not None else None
        if isinstance(actual, str):
            actual = actual.split(" ")
        if not isinstance(actual, list):
            return False
        return all(any(_same(item, value) for item in actual) for value in self.values)


class ClaimCheck(ConfiguredPermission):
    """Grants access when ``predicate(claims)`` returns ``True`` (exactly; truthy is not enough).

    A predicate that raises denies access (fail closed) and is logged.
    """

    def __init__(self, predicate, message="Token claims do not meet this route's requirements"):
        if not callable(predicate) or _is_async(predicate):
            raise ImproperlyConfigured("ClaimCheck needs a synchronous function of the claims, "
                                       "e.g. ClaimCheck(lambda claims: claims.get('verified') is True)")
        self.predicate = predicate
        self.message = message

    def has_permission(self, request, view):
        claims = verified_claims(request)
        if claims is None:
            return False
        try:
            result = self.predicate(claims)
        except Exception:
            logger.exception("ClaimCheck predicate raised; access denied")
            return False
        if inspect.isawaitable(result):
            getattr(result, "close", lambda: None)()
            raise ImproperlyConfigured("ClaimCheck predicate returned an awaitable; "
                                       "it must be a synchronous function")
        return result is True


def _scope_list(owner, scopes):
    scopes = list(scopes)
    if not scopes or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        raise ImproperlyConfigured(f"{owner} needs one or more scope names without spaces, "
                                   "e.g. HasScope('read:messages')")
    return scopes


def _claim_name(name):
    if not isinstance(name, str) or not name:
        raise ImproperlyConfigured("A claim name must be a non-empty string, e.g. 'org_id'")
    return name


def _same(actual, expected):
    # JSON has no "1 == true": compare types as well as values (bool is an int in Python).
    return type(actual) is type(expected) and actual == expected


def _is_async(predicate):
    return inspect.iscoroutinefunction(predicate) or inspect.iscoroutinefunction(
        getattr(predicate, "__call__", None))
