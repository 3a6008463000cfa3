"""Headless Debian chromium driven by Selenium through the system chromedriver.

Selenium Manager is never used (it would try to download a browser): both binaries are
given explicitly. Missing binaries skip the browser tests on a developer machine, but fail
them under CI (``CI=true``), where ``.ci/run`` installs them.
"""
import os
import shutil
import tempfile

import pytest

CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
)


def find_binaries():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = ("browser test: chromium and chromium-driver are not installed "
               "(apt-get install chromium chromium-driver; .ci/run does it)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def start_chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = find_binaries()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    browser.set_page_load_timeout(30)
    return browser, profile
