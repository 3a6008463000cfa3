"""``manage.py runserver`` whose first words, when it cannot start, say why and what to do.

- DEBUG is off unless ``DJANGO_DEBUG`` turns it on: it must never turn on by itself in
  production. So ``python manage.py runserver`` straight from a clone used to stop with
  Django's "You must set settings.ALLOWED_HOSTS if DEBUG is False"; this names the ways on.
- Django runs the system checks inside the autoreloader's server thread, where an error (a
  placeholder tenant from ``.env.example``, ``AUTH0_DOMAIN=bogus``) prints as a traceback;
  they run here first, so a bad setting prints as its message and example alone.

(This app is listed before ``django.contrib.staticfiles``, whose ``runserver`` it extends.)
"""
import os

from django.conf import settings
from django.contrib.staticfiles.management.commands import runserver
from django.core import checks
from django.core.management.base import CommandError
from django.utils import autoreload

DEBUG_OFF = (
    "DEBUG is off (DJANGO_DEBUG is not true) and DJANGO_ALLOWED_HOSTS is empty.\n"
    "  To develop: make run, or DJANGO_DEBUG=true python manage.py runserver "
    "(with no AUTH0_DOMAIN, tokens come from the built-in local issuer).\n"
    "  To serve in production: make serve, with the variables of docs/deployment.md.")


class Command(runserver.Command):
    def handle(self, *args, **options):
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            raise CommandError(DEBUG_OFF)
        if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) != "true":
            self.check_before_serving()
        super().handle(*args, **options)

    def check_before_serving(self):
        """Stop on a serious check message, printed by Django's own ``check`` (which raises
        ``SystemCheckError``); warnings are left to the server, which prints them once.

        Only in the process the user started: after a code change, the autoreloader's
        child keeps Django's behaviour and waits for the fix.
        """
        if any(m.is_serious() and not m.is_silenced() for m in checks.run_checks()):
            self.check(display_num_errors=True)
