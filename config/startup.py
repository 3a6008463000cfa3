"""Fail fast when the configuration is wrong: a clear message at boot, not a 500 later.

gunicorn (unlike ``manage.py runserver``) runs no system checks, so ``wsgi.py`` calls this.
"""
import sys

from django.core import checks
from django.core.management.color import no_style


def exit_on_configuration_errors():
    messages = [m for m in checks.run_checks() if m.is_serious() and not m.is_silenced()]
    if not messages:
        return
    style = no_style()
    lines = ["Configuration errors; the server will not start:"]
    lines += [f"  {style.ERROR(str(message))}" for message in messages]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    sys.exit(4)
