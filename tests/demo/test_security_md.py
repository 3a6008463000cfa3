"""SECURITY.md stays true: every threat row names a proof, and every named test exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_NAME = re.compile(r"\btest_[a-z0-9_]+\b(?!\.py)")


def section(text, start, end):
    return text[text.index(start):text.index(end)]


def defined_tests():
    names = set()
    # Both suites (tests/app, tests/demo) and any file not yet placed in one.
    for path in [*(ROOT / "tests").glob("test_*.py"), *(ROOT / "tests").glob("*/test_*.py")]:
        names.update(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.M))
    return names


def threat_rows():
    text = (ROOT / "SECURITY.md").read_text()
    rows = section(text, "## Threats, defences, proofs", "## Dependency findings").splitlines()
    return [row for row in rows if row.startswith("| ") and not row.startswith(("| threat",
                                                                             "| python-jose"))]


def test_every_threat_row_names_a_test_or_the_load_script():
    rows = threat_rows()
    assert len(rows) > 30
    unproved = [row[:80] for row in rows if not (TEST_NAME.search(row) or " L " in row)]
    assert unproved == []


def test_every_test_named_in_security_md_exists():
    named = set(TEST_NAME.findall((ROOT / "SECURITY.md").read_text()))
    named = {name for name in named if not name.endswith("_")}
    assert named, "SECURITY.md names no test"
    assert sorted(named - defined_tests()) == []
