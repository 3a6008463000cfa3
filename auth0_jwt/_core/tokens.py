"""The verified access token handed to views as ``request.auth``."""


class VerifiedToken:
    """A token whose signature and claims have been checked.

    ``payload`` and ``header`` are the decoded JSON objects, ``token`` the raw string, and
    ``scopes`` a frozenset of the space-separated ``scope`` claim (split on spaces only, RFC
    6749 section 3.3) plus Auth0's RBAC
    ``permissions`` array. Treat ``payload`` and ``header`` as read-only: with the token
    cache, requests presenting the same token share them.
    """

    __slots__ = ("token", "header", "payload", "scopes")

    def __init__(self, token, header, payload):
        self.token = token
        self.header = header
        self.payload = payload
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
