"""``manage.py mint_token``: print an access token signed by the local issuer.

    python manage.py mint_token --sub auth0|alice --scope "read:messages admin:access" \\
        --claim org_id=org_123 --claim roles='["editor","viewer"]' --expires-in 15m

The token goes alone to stdout (``TOKEN=$(python manage.py mint_token)``); what it holds goes
to stderr. Bad arguments are a ``CommandError``: one line, exit status 1, no traceback.
"""
import json
import re
from datetime import datetime, timezone

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from auth0_jwt._ops import runtime
from auth0_jwt._dev.local_issuer import LocalKeyError
from auth0_jwt._settings import auth0_settings

DURATION = re.compile(r"(\d+)([smhd]?)")
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_LIFETIME = 365 * 86400  # a development token should not outlive a year
# Claims set by their own option, so a --claim cannot silently contradict it.
OPTION_CLAIMS = {"sub": "--sub", "scope": "--scope", "exp": "--expires-in"}
CLAIM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_:.\-/]*")


def parse_duration(text):
    """``30s``, ``15m``, ``2h``, ``1d`` or plain seconds -> seconds (1 s to 365 d)."""
    match = DURATION.fullmatch(text.strip().lower())
    if not match:
        raise CommandError(f"--expires-in {text!r} is not a duration; use e.g. 30s, 15m, 2h, 1d")
    seconds = int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if not 1 <= seconds <= MAX_LIFETIME:
        raise CommandError(f"--expires-in {text!r} must be between 1s and 365d")
    return seconds


def parse_claim(text):
    """``name=value``: the value is JSON when it parses as JSON, else the plain string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not CLAIM_NAME.fullmatch(name):
        raise CommandError(f"--claim {text!r} must look like name=value, e.g. org_id=org_123 "
                           """or roles='["editor","viewer"]'""")
    if name in OPTION_CLAIMS:
        raise CommandError(f"--claim {name}=... is not allowed: use {OPTION_CLAIMS[name]}")
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        if raw.lstrip()[:1] in ("[", "{", '"'):
            raise CommandError(f"--claim {name}: {raw!r} looks like JSON but does not parse")
        value = raw
    return name, value


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_claims(items):
    claims = {}
    for item in items:
        name, value = parse_claim(item)
        if name in claims:
            raise CommandError(f"--claim {name} is given more than once")
        claims[name] = value
    return claims


def parse_scope(values):
    scopes = " ".join(values).split()
    return " ".join(dict.fromkeys(scopes))  # de-duplicated, order kept


class Command(BaseCommand):
    help = ("Print an access token signed by the local issuer (DEBUG on, no AUTH0_DOMAIN). "
            "The token is printed alone on stdout.")

    def add_arguments(self, parser):
        parser.add_argument("--sub", default="local|developer",
                            help="the 'sub' claim (default: local|developer)")
        parser.add_argument("--scope", action="append", default=[],
                            help='space-separated scopes, e.g. "read:messages admin:access" '
                                 "(repeatable)")
        parser.add_argument("--claim", action="append", default=[], metavar="NAME=VALUE",
                            help="an extra claim; VALUE is JSON when it parses, else a string "
                                 """(repeatable), e.g. org_id=org_123, roles='["editor"]'""")
        parser.add_argument("--expires-in", default="1h",
                            help="lifetime: 30s, 15m, 2h, 1d or seconds (default: 1h)")
        parser.add_argument("--audience", default=None,
                            help="the 'aud' claim (default: the API's first audience)")

    def handle(self, *args, **options):
        issuer = self.local_issuer()
        expires_in = parse_duration(options["expires_in"])
        claims = parse_claims(options["claim"])
        scope = parse_scope(options["scope"])
        sub = options["sub"].strip()
        if not sub:
            raise CommandError("--sub must not be empty")
        audience = options["audience"] or auth0_settings.audiences[0]
        try:
            token = issuer.mint(sub=sub, audience=audience, scope=scope, claims=claims,
                                expires_in=expires_in)
        except (OSError, LocalKeyError) as exc:
            raise CommandError(f"Local issuer key unavailable: {exc}") from exc
        self.stdout.write(token)
        if options["verbosity"] >= 1:
            expires = datetime.fromtimestamp(issuer.clock() + expires_in, timezone.utc)
            summary = [f"issuer:   {issuer.issuer}", f"audience: {audience}", f"sub:      {sub}",
                       f"scope:    {scope}", f"expires:  {expires:%Y-%m-%d %H:%M:%S} UTC "
                       f"(in {options['expires_in']})", f"kid:      {issuer.kid}"]
            if claims:
                summary.append(f"claims:   {json.dumps(claims)}")
            self.stderr.write("\n".join(summary), style_func=lambda text: text)

    def local_issuer(self):
        if not settings.DEBUG:
            raise CommandError("The local issuer only runs with DEBUG on; set DJANGO_DEBUG=true "
                               "(tokens for a real tenant come from Auth0)")
        if auth0_settings.DOMAIN or auth0_settings.ISSUER or auth0_settings.ISSUERS:
            raise CommandError("The local issuer is off because a tenant is configured "
                               "(AUTH0_DOMAIN or AUTH0_ISSUER); unset it to mint local tokens")
        if not auth0_settings.uses_local_issuer:
            raise CommandError("The local issuer is off: set AUTH0_JWT['LOCAL_ISSUER'] = True "
                               "(DEBUG only, no tenant) to mint local tokens")
        return runtime.get_local_issuer(auth0_settings)
