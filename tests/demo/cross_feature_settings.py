"""Settings for tests/test_cross_feature_gunicorn.py: the demo's settings, read from the
environment as a deployer sets them, plus a route whose refusal message holds a quote and a
backslash (tests/demo/cross_feature_urls.py)."""
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.demo.cross_feature_urls"
