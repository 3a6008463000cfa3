"""Scope and claim permissions, read from the verified token only.

Configured instances go straight into ``permission_classes`` and compose with DRF's ``&``,
``|`` and ``~``::

    permission_classes = [HasScope("read:messages")]
    permission_classes = [HasScope("admin:access") | ClaimEquals("org_id", "org_123")]

An anonymous request on such a route is a 401 (DRF asks for credentials first); a valid token
that fails the rule is a 403: ``insufficient_scope`` for scopes, ``forbidden`` for claims.
A rule that cannot work (no scopes, an async predicate) is a configuration error at once.

``has_permission`` only answers yes or no, as DRF's composition needs (an ``|`` evaluates its
second operand when the first says no; a ``~`` turns a no into a yes). The 403 itself is each
permission's ``denial(request, view)``, an exception: ``InsufficientScopeError`` or DRF's
``PermissionDenied``. ``explain_denial`` finds the permission that denied the request and
asks it, walking DRF's ``AND``/``OR``/``NOT`` as DRF evaluated them: a composed rule answers
``insufficient_scope`` when scopes alone decide it (``A & B`` failing on a scope;
``HasScope("a") | HasScope("b")``: one of them), ``forbidden`` otherwise (a ``~`` never blames
a scope).
"""
import inspect
import logging

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions as drf
from rest_framework.permissions import AND, OR, BasePermission, OperationHolderMixin

from auth0_jwt._core.tokens import VerifiedToken
from auth0_jwt._drf.exceptions import InsufficientScopeError

logger = logging.getLogger("auth0_jwt.permissions")
CLAIM_VALUE_TYPES = (str, int, float, bool)
ALL_SCOPES = "Insufficient scope"
ANY_SCOPE = "Insufficient scope: one of the listed scopes is required"


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

    def denial(self, request, view):
        """The exception answering a request this permission denies (403)."""
        return drf.PermissionDenied(self.message, self.code)


class HasScope(ConfiguredPermission):
    """Grants access when the token has every one of ``scopes`` (``scope`` or ``permissions``)."""

    code = "insufficient_scope"
    message = ALL_SCOPES

    def __init__(self, *scopes):
        self.required_scopes = _scope_list(type(self).__name__, scopes)

    def has_permission(self, request, view):
        return verified_scopes(request).issuperset(self.required_scopes)

    def denial(self, request, view):
        return InsufficientScopeError(self.required_scopes, self.message)


class HasAnyScope(HasScope):
    """Grants access when the token has at least one of ``scopes``."""

    message = ANY_SCOPE

    def has_permission(self, request, view):
        return not verified_scopes(request).isdisjoint(self.required_scopes)

    def denial(self, request, view):
        return InsufficientScopeError(self.required_scopes, self.message, any_of=True)


class HasRequiredScopes(BasePermission):
    """The view-attribute form (as django-oauth-toolkit's ``TokenHasScope``)::

        class MessagesView(APIView):
            permission_classes = [HasRequiredScopes]
            required_scopes = ["read:messages"]
    """

    code = "insufficient_scope"
    message = ALL_SCOPES

    def has_permission(self, request, view):
        return verified_scopes(request).issuperset(self.scopes_of(view))

    def denial(self, request, view):
        return InsufficientScopeError(self.scopes_of(view), self.message)

    def scopes_of(self, view):
        return _scope_list(f"{type(view).__name__}.required_scopes",
                           getattr(view, "required_scopes", None) or ())


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


def explain_denial(exc, request, view):
    """The 403 to answer for ``exc``, DRF's plain ``PermissionDenied`` raised by the view's
    permission check: the denial of the permission that said no (see the module docstring).

    ``exc`` is returned unchanged when it came from elsewhere (a view raising it, a CSRF
    failure, an object permission): then no permission of the view says no, or it is not the
    one whose message ``exc`` carries. Only runs on a 403 of an authenticated request.
    """
    if request is None or view is None or getattr(request, "_authenticator", None) is None:
        return exc
    for permission in view.get_permissions():
        if not permission.has_permission(request, view):
            expected = getattr(permission, "message", None) or drf.PermissionDenied.default_detail
            return denial_of(permission, request, view) if str(exc.detail) == str(
                expected) else exc
    return exc


def denial_of(permission, request, view):
    """Why ``permission``, which denies the request, denies it: the exception to answer with."""
    denial = getattr(permission, "denial", None)
    if callable(denial):
        return denial(request, view)
    if isinstance(permission, AND):  # DRF evaluated op1, and op2 only if op1 said yes
        first = permission.op1
        failing = first if not first.has_permission(request, view) else permission.op2
        return denial_of(failing, request, view)
    if isinstance(permission, OR):  # both said no
        return either(denial_of(permission.op1, request, view),
                      denial_of(permission.op2, request, view))
    # NOT (its operand said yes: no scope is missing), or another permission class.
    return drf.PermissionDenied(getattr(permission, "message", None),
                                getattr(permission, "code", None))


def either(first, second):
    """The denial of ``first | second``: one of their scopes, when each needs one scope of a
    list; anything else (a claim rule on either side, all of several scopes) is ambiguous."""
    denials = (first, second)
    if all(isinstance(d, InsufficientScopeError) and (
            d.failure.any_of or len(d.required_scopes) == 1) for d in denials):
        scopes = list(dict.fromkeys(first.required_scopes + second.required_scopes))
        return InsufficientScopeError(scopes, ANY_SCOPE, any_of=True)
    return drf.PermissionDenied()


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
