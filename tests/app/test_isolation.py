"""The app's suite stands on its own: the demo project is never imported."""
import sys

from django.conf import settings


def test_the_app_suite_runs_under_its_own_settings():
    assert settings.SETTINGS_MODULE == "tests.app.settings"
    assert settings.ROOT_URLCONF == "tests.app.urls"


def test_neither_config_nor_api_is_imported_by_the_app_suite():
    # Every module of the suite is imported at collection, before this test runs.
    demo_modules = sorted(name for name in sys.modules
                          if name.split(".")[0] in ("config", "api"))
    assert demo_modules == []
