"""The peers' own virtualenv, ``bench/.venv-peers`` (git-ignored), created on first use.

It sees the project's environment through a ``.pth`` file (Django, DRF, gunicorn,
``cryptography``: the very same installed copies) and adds only the peers of
``requirements.txt``, so the project's dependencies never change and the servers differ in
their authentication alone. Rebuilt when ``requirements.txt`` or the project's environment
changes.
"""
import hashlib
import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
VENV = HERE.parent / ".venv-peers"


def python():
    return VENV / "bin" / "python"


def ensure(out=print):
    """Return the peers' python, creating or updating the virtualenv when needed."""
    project_site = sysconfig.get_paths()["purelib"]
    stamp = hashlib.sha256(REQUIREMENTS.read_bytes() + project_site.encode()).hexdigest()
    stamp_file = VENV / ".installed"
    if stamp_file.is_file() and stamp_file.read_text() == stamp and python().is_file():
        return python()
    out(f"installing the peers into {VENV.relative_to(HERE.parent.parent)} "
        "(authlib, simplejwt, PyJWT) ...")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True,
                   timeout=300)
    site = subprocess.run([str(python()), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True, timeout=60).stdout.strip()
    # After the venv's own site-packages: the peers' packages come first, the rest is shared.
    Path(site, "project-environment.pth").write_text(project_site + "\n")
    subprocess.run([str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(REQUIREMENTS)], check=True, timeout=600)
    stamp_file.write_text(stamp)
    return python()
