"""Which crypto code a serving process runs: evidence for SECURITY.md's dependency findings.

python-jose depends on ``ecdsa``, ``rsa`` and ``pyasn1`` unconditionally, so scanners report
their advisories (e.g. ecdsa's Minerva timing side channel, CVE-2024-23342, with no fix).
python-jose picks its backend at import time; with ``cryptography`` installed (the
``python-jose[cryptography]`` extra we require) it uses ``CryptographyRSAKey``. A fresh
interpreter loads the whole project, fetches a JWKS and verifies a token, then reports what
was imported.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.urls import resolve
resolve("/api/private")  # loads the URLconf, the views and the authentication class
from auth0_jwt._core.jwks import JWKSClient
from auth0_jwt._core.verification import TokenVerifier
from tests.hostile import FaultyJWKSServer
from tests.keys import AUDIENCE, ISSUER, SigningKey, mint
key = SigningKey("probe")
server = FaultyJWKSServer().start()
server.serve_keys(key.jwk())
client = JWKSClient(server.url, timeout=2)
verified = TokenVerifier(issuer=ISSUER, audiences=[AUDIENCE], key_source=client).verify(mint(key))
jose_key = client.get_key("probe", "RS256")
server.stop()
print(json.dumps({
    "sub": verified.sub,
    "key_class": f"{type(jose_key).__module__}.{type(jose_key).__name__}",
    "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"ecdsa", "rsa", "pyasn1"}),
    "jose_backends": sorted(m for m in sys.modules if m.startswith("jose.backends.")),
    "jose_modules": sorted(m for m in sys.modules if m.startswith("jose.")
                           and not m.startswith("jose.backends.")),
}))
"""


def probe():
    completed = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                               text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_serving_process_verifies_with_cryptography_and_never_imports_ecdsa_rsa_or_pyasn1():
    result = probe()
    assert result["sub"] == "auth0|user-1"  # the probe really verified a token
    assert result["key_class"] == "jose.backends.cryptography_backend.CryptographyRSAKey"
    assert result["loaded"] == []
    assert "jose.backends.ecdsa_backend" not in result["jose_backends"]
    assert "jose.backends.rsa_backend" not in result["jose_backends"]
    # Neither jwt.decode (unsafe defaults) nor the JWE code (CVE-2024-33664) is ever loaded.
    assert not {"jose.jwt", "jose.jws", "jose.jwe"} & set(result["jose_modules"])
