"""RFC 6750 section 3 ``WWW-Authenticate: Bearer`` challenges."""
import re

_NOT_QDTEXT_SAFE = re.compile(r"[^\x20-\x7e]")


def quote(value):
    """An RFC 7230 quoted-string body: escape backslash and quote, drop control characters."""
    return _NOT_QDTEXT_SAFE.sub("", str(value)).replace("\\", "\\\\").replace('"', '\\"')


def bearer_challenge(realm, error=None, description=None, scope=None):
    # RFC 6750 section 3.1: no error attributes when the request carried no credentials.
    params = [f'realm="{quote(realm)}"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{quote(description)}"')
    if scope:
        params.append(f'scope="{quote(scope)}"')
    return "Bearer " + ", ".join(params)
