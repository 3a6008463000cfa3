"""The README and docs/ hold what a user needs, and only what a checkout holds.

Links point at files that exist; nothing names a file outside the repository or a path of
one machine; docs/api.md lists the whole public API and every setting with its default; the
README stays an index, and what it says ``make run`` prints is what it prints.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import auth0_jwt
from auth0_jwt._settings import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MARKDOWN_NAME = re.compile(r"\b[\w.-]+\.md\b")
# Where this checkout and its user live: paths a reader on another machine does not have.
MACHINE_PATHS = [f"{path}/" for path in {ROOT.parent, Path.home()} if len(path.parts) > 1]


def repository_markdown():
    return {path.name for path in ROOT.rglob("*.md")
            if not {".venv", "node_modules", ".local"} & set(path.relative_to(ROOT).parts)}


def relative_links(page):
    return [target for target in LINK.findall(page.read_text())
            if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_points_at_a_file_of_the_repository(page):
    missing = [t for t in relative_links(page) if not (page.parent / t).resolve().exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_names_a_file_outside_the_repository_or_a_machine_path(page):
    text = page.read_text()
    assert set(MARKDOWN_NAME.findall(text)) - repository_markdown() == set()
    assert [path for path in MACHINE_PATHS if path in text] == []


def test_the_readme_stays_an_index_of_under_200_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) < 200


def test_the_readme_links_every_docs_page():
    linked = {Path(t).name for t in relative_links(ROOT / "README.md") if t.startswith("docs/")}
    assert linked == {p.name for p in (ROOT / "docs").glob("*.md")}


def api_page():
    return (ROOT / "docs" / "api.md").read_text()


def test_api_page_lists_every_public_name_once():
    listed = re.findall(r"^\| `(\w+)[(`]", api_page(), re.MULTILINE)
    assert sorted(n for n in listed if n not in DEFAULTS) == sorted(auth0_jwt.__all__)
    assert f"the {len(auth0_jwt.__all__)} names of" in api_page()


def test_api_page_gives_every_setting_with_its_default():
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| [^|]*(?:\\\|[^|]*)* \| `([^`]*)` \|", api_page(),
                      re.MULTILINE)
    assert {key: ast.literal_eval(default) for key, default in rows} == DEFAULTS


def test_what_the_readme_says_make_run_prints_is_what_it_prints(tmp_path):
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("ready-to-paste requests with fresh tokens:\n\n```\n", 1)[1]
    shown = shown.split("```", 1)[0].splitlines()
    env = {"DJANGO_DEBUG": "true", "AUTH0_DOMAIN": "", "AUTH0_ISSUER": "", "AUTH0_AUDIENCE": "",
           "AUTH0_LOCAL_ISSUER_KEY_FILE": str(tmp_path / "issuer-key.pem"),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "curl_examples"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    printed = [re.sub(r"Bearer eyJ[\w.-]+", "Bearer eyJhbGciOi...", line)
               .replace(str(tmp_path / "issuer-key.pem"), ".local/issuer-key.pem")
               for line in result.stdout.splitlines()[1:]]
    assert printed[:len(shown)] == shown
