"""The token principal: ``request.user`` for a verified token, with no database row."""


class TokenUser:
    """Who the token speaks for. ``str(user)`` and ``user.pk`` are the ``sub`` claim.

    Mirrors the attributes DRF and Django code commonly read from ``request.user``
    (``is_authenticated``, ``pk``, ``username``), so throttles and templates work.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token):
        self.token = token
        self.sub = token.payload["sub"]

    @property
    def pk(self):
        return self.sub

    id = pk
    username = pk

    @property
    def scopes(self):
        return self.token.scopes

    def get_username(self):
        return self.sub

    def has_perm(self, perm, obj=None):
        return False

    def has_perms(self, perms, obj=None):
        return False

    def has_module_perms(self, app_label):
        return False

    def __str__(self):
        return self.sub

    def __repr__(self):
        return f"<TokenUser sub={self.sub!r}>"

    def __eq__(self, other):
        return isinstance(other, TokenUser) and other.sub == self.sub

    def __hash__(self):
        return hash(self.sub)
