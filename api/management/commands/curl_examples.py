"""``manage.py curl_examples``: what ``make run`` prints before serving.

On the local issuer: ready-to-paste curl lines with freshly minted tokens, each followed by
the status it gets. With a tenant: where tokens come from.
"""
import shlex
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from auth0_jwt._ops import runtime
from auth0_jwt._settings import auth0_settings

LIFETIME = 3600


class Command(BaseCommand):
    help = "Print curl lines (with fresh local-issuer tokens) for the demo routes."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="where the server listens (default: http://127.0.0.1:8000)")

    def handle(self, *args, url, **options):
        url = url.rstrip("/")
        if not auth0_settings.uses_local_issuer or not settings.DEBUG:
            self.stdout.write(f"Tokens come from your Auth0 tenant ({auth0_settings.issuer}); "
                              f"audience {', '.join(auth0_settings.audiences)}.")
            self.stdout.write(f"  curl -s {url}/api/public   # -> 200")
            return
        self.stdout.write("\n".join(self.local_lines(url)))

    def local_lines(self, url):
        issuer = runtime.get_local_issuer(auth0_settings)
        audience = auth0_settings.audiences[0]

        def token(scope):
            return issuer.mint(sub="local|developer", audience=audience, scope=scope,
                               expires_in=LIFETIME)

        plain, scoped = token(""), token("read:messages")
        return [
            "",
            "No Auth0 tenant: the API trusts the local issuer "
            f"(key {shown_path(auth0_settings.LOCAL_ISSUER_KEY_FILE)}).",
            f"  issuer   {issuer.issuer}",
            f"  audience {audience}",
            "",
            "Try it (tokens valid for 1 hour, sub local|developer):",
            "",
            curl(url, "/api/public", None, "200"),
            curl(url, "/api/private", None, "401 unauthorized"),
            curl(url, "/api/private", plain, "200"),
            curl(url, "/api/private-scoped", plain, "403 insufficient_scope"),
            curl(url, "/api/private-scoped", scoped, "200"),
            "",
            "More tokens:  DJANGO_DEBUG=true .venv/bin/python manage.py mint_token "
            "--sub 'auth0|alice' --scope \"read:messages admin:access\" --claim org_id=org_123",
            f"In a browser: {url}/ lists the routes; {url}/auth/token takes a pasted token, "
            f"then {url}/api/private; API docs: {url}/api/docs",
            "",
        ]


def curl(url, path, token, expected):
    line = f"curl -s {shlex.quote(url + path)}"
    if token is not None:
        line += f' -H "Authorization: Bearer {token}"'
    return f"{line}   # -> {expected}"


def shown_path(path):
    """``path`` relative to the current directory when it lies inside it (a checkout's
    ``.local/issuer-key.pem``), else as it is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
