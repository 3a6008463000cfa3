"""The demo's tests run under the demo project's settings (``config.settings``)."""
import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    if settings.SETTINGS_MODULE != "config.settings":
        raise pytest.UsageError("the demo's tests run under the demo project's settings: "
                                "pytest --ds=config.settings tests/demo")
