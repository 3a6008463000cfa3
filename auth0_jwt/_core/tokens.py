"""The verified access token handed to views as ``request.auth``."""


class VerifiedToken:
    """A token whose signature and claims have been checked.

    ``payload`` and ``header`` are the decoded JSON objects, ``token`` the raw string, and
    ``scopes`` a frozenset of the space-separated ``scope`` claim (split on spaces only, RFC
    6749 section 3.3) plus Auth0's RBAC
    ``permissions`` array. ``payload`` and ``header`` are read-only (``ReadOnlyDict``, with
    ``ReadOnlyList`` arrays): with the token cache, requests presenting the same token share
    them, and a change made for one request would change what the checks of the next see.
    """

    __slots__ = ("token", "header", "payload", "scopes")

    def __init__(self, token, header, payload):
        self.token = token
        self.header = read_only(header)
        self.payload = read_only(payload)
        self.scopes = scopes_of(payload)

    def presented_as(self, token):
        """This verified token, carrying ``token``: an equal string, presented anew.

        Each request gets its own ``VerifiedToken`` whose ``token`` is what that request sent
        (the authenticator's string, with its scheme), also when the cache verified it once.
        """
        copy = object.__new__(VerifiedToken)
        copy.token, copy.header, copy.payload, copy.scopes = (
            token, self.header, self.payload, self.scopes)
        return copy

    @property
    def sub(self):
        return self.payload.get("sub")

    def __repr__(self):
        # Never the raw token: reprs end up in logs and error reports.
        return f"<VerifiedToken sub={self.sub!r} kid={self.header.get('kid')!r}>"


def scopes_of(payload):
    """Scopes granted by verified claims; types were checked by the verifier."""
    scope = payload.get("scope")
    # RFC 6749 section 3.3: scope tokens are separated by spaces (%x20) only; a tab or a line
    # break is part of a (then unknown) scope, never a separator.
    scopes = [s for s in scope.split(" ") if s] if isinstance(scope, str) else []
    permissions = payload.get("permissions")
    if isinstance(permissions, list):
        for permission in permissions:
            if isinstance(permission, str):
                scopes.append(permission)
    return frozenset(scopes)


def _refuse_change(self, *args, **kwargs):
    raise TypeError("A verified token's claims are read-only: change a copy (dict(payload))")


class ReadOnlyDict(dict):
    """A JSON object of a verified token: a dict for every reader (``json.dumps``,
    ``isinstance``, ``==``) that refuses changes. A copy (``dict(...)``, ``copy``, a pickle
    round trip) is a plain, changeable dict."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse_change
    clear = pop = popitem = setdefault = update = _refuse_change

    def __reduce__(self):
        return dict, (dict(self),)

    def copy(self):
        return dict(self)


class ReadOnlyList(list):
    """A JSON array of a verified token, read-only like ``ReadOnlyDict``."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse_change
    append = extend = insert = pop = remove = reverse = sort = clear = _refuse_change

    def __reduce__(self):
        return list, (list(self),)

    def copy(self):
        return list(self)


def read_only(value):
    """``value`` (decoded JSON) with every object and array made read-only."""
    kind = type(value)
    if kind is dict:
        return ReadOnlyDict({key: _read_only_item(item) for key, item in value.items()})
    if kind is list:
        return ReadOnlyList([_read_only_item(item) for item in value])
    return value  # a string, a number, a boolean, None, or already read-only


def _read_only_item(item):
    # Most claims are strings and numbers: no call for them.
    kind = type(item)
    return read_only(item) if kind is dict or kind is list else item
