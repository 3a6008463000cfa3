"""The app's suite stands on its own: the demo project is never imported, nor what only the
demo depends on (its ``demo`` dependency group)."""
import sys

from django.conf import settings

DEMO_ONLY = ("corsheaders", "environ", "whitenoise", "drf_spectacular_sidecar", "gunicorn")


def imported(*packages):
    return sorted(name for name in sys.modules if name.split(".")[0] in packages)


def test_the_app_suite_runs_under_its_own_settings():
    assert settings.SETTINGS_MODULE == "tests.app.settings"
    assert settings.ROOT_URLCONF == "tests.app.urls"


def test_neither_config_nor_api_is_imported_by_the_app_suite():
    # Every module of the suite is imported at collection, before this test runs.
    assert imported("config", "api") == []


def test_the_app_suite_needs_none_of_the_demos_own_dependencies():
    assert imported(*DEMO_ONLY) == []
