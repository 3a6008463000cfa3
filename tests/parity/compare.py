"""What is compared between the two answers to one request, and the differences.

An answer is reduced to the aspects a client acts on (``aspects``):

- ``status``;
- ``code``: the ``error`` of the ``WWW-Authenticate`` challenges (``-`` when none carries one),
  which is where the SDK tells its code; ours is in the JSON body too;
- ``challenges``: the schemes offered, in order; ``error on``: the scheme carrying the error;
- ``<scheme> params``: the parameter names of each challenge, and the values of ``realm`` and
  ``scope``;
- ``DPoP-Nonce``, ``Retry-After``: whether the header is sent;
- ``body``: for a 2xx, the JSON body without ``timestamp`` (the quickstart's bodies).

Left out, and said once in docs/from-express.md: the text of ``error_description`` (each side
names the failed check its own way), the value of the DPoP ``algs`` parameter (each lists the
proof algorithms it accepts), the body of an error (ours JSON by design, the SDK's the HTML
of Express's default handler) and the headers each framework adds (``X-Powered-By``,
``ETag``, ``X-Frame-Options``...).
"""
import json

NONE = "-"
COMPARED_VALUES = ("realm", "scope")


def aspects(answer):
    """``{aspect: text}`` of an ``Answer``; see the module docstring."""
    found = {"status": str(answer.status), "code": answer.code or NONE,
             "challenges": " ".join(scheme for scheme, _ in answer.challenges) or NONE,
             "error on": answer.error_scheme or NONE}
    for scheme, params in answer.challenges:
        found[f"{scheme} params"] = " ".join(sorted(params)) or NONE
        for name in COMPARED_VALUES:
            if name in params:
                found[f"{scheme} {name}"] = params[name]
    for header in ("DPoP-Nonce", "Retry-After"):
        found[header] = "sent" if header.lower() in answer.headers else NONE
    if is_success(answer):
        found["body"] = success_body(answer)
    return found


def is_success(answer):
    return 200 <= answer.status < 300


def success_body(answer):
    if not isinstance(answer.body, dict):
        return f"not JSON ({answer.media_type})"
    body = {k: v for k, v in answer.body.items() if k != "timestamp"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def differences(ours, sdk):
    """``{aspect: (ours, sdk)}`` for each aspect whose text differs between two answers.

    When one side succeeds and the other refuses, the status and code say it all: the
    challenges and body that differ with them are left out.
    """
    mine, theirs = aspects(ours), aspects(sdk)
    if is_success(ours) != is_success(sdk):
        mine, theirs = ({k: found[k] for k in ("status", "code")} for found in (mine, theirs))
    return {name: (mine.get(name, NONE), theirs.get(name, NONE))
            for name in sorted(mine.keys() | theirs.keys(), key=aspect_order)
            if mine.get(name, NONE) != theirs.get(name, NONE)}


def aspect_order(name):
    order = ("status", "code", "challenges", "error on")
    return (order.index(name), "") if name in order else (len(order), name)


def render(diff):
    """One line: ``status 403 / 401; code - / invalid_token`` (ours / the SDK's)."""
    return "; ".join(f"{name} {ours} / {sdk}" for name, (ours, sdk) in diff.items())
