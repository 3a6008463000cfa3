"""How ``make test`` runs and reports: every test file in one of its two suites, and a skipped
test says why, on a machine that lacks a binary."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_test_prints_why_each_test_was_skipped(tmp_path):
    # A machine without chromium: PATH holds nothing, CI is unset (under CI it would fail).
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path)
    test = "tests/demo/test_browser_token_page.py::test_paste_an_expired_token_see_the_error"
    result = subprocess.run([sys.executable, "-m", "pytest", "--ds=config.settings", test],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"SKIPPED \[1\] tests/demo/test_browser_token_page\.py:\d+: browser test: "
                     r"chromium and chromium-driver are not installed \(apt-get install "
                     r"chromium chromium-driver; \.ci/run does it\)", result.stdout)


def test_every_test_file_belongs_to_one_of_the_two_suites():
    # make test runs tests/app and tests/demo: a test file anywhere else would never run.
    tests = ROOT / "tests"
    stray = sorted(str(path.relative_to(ROOT)) for path in tests.rglob("test_*.py")
                   if path.parent not in (tests / "app", tests / "demo")
                   and "node_modules" not in path.parts)
    assert stray == []
