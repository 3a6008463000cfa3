"""``manage.py runserver`` that says how to start when DEBUG is off and no host is allowed.

DEBUG is off unless ``DJANGO_DEBUG`` turns it on: it must never turn on by itself in
production. So ``python manage.py runserver`` straight from a clone used to stop with
Django's "You must set settings.ALLOWED_HOSTS if DEBUG is False"; this names the ways on.
(This app is listed before ``django.contrib.staticfiles``, whose ``runserver`` it extends.)
"""
from django.conf import settings
from django.contrib.staticfiles.management.commands import runserver
from django.core.management.base import CommandError

DEBUG_OFF = (
    "DEBUG is off (DJANGO_DEBUG is not true) and DJANGO_ALLOWED_HOSTS is empty.\n"
    "  To develop: make run, or DJANGO_DEBUG=true python manage.py runserver "
    "(with no AUTH0_DOMAIN, tokens come from the built-in local issuer).\n"
    "  To serve in production: make serve, with the variables of docs/deployment.md.")


class Command(runserver.Command):
    def handle(self, *args, **options):
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            raise CommandError(DEBUG_OFF)
        super().handle(*args, **options)
