"""Certificate-bound tokens end to end: a client presents its certificate to nginx (TLS on
127.0.0.1), nginx passes it to gunicorn in Client-Cert, the API compares it with the token's
cnf x5t#S256 (RFC 8705). The thumbprints are computed in tests/certs.py, not by the code."""
import pytest
import requests

from tests.certs import Certificate
from tests.gunicorn_server import GunicornServer, production_environ
from tests.keys import AUDIENCE, ISSUER, mint
from tests.tls_proxy import TLSProxy, nginx_binary
from tests.expected import and_dpop

NO_CERTIFICATE = "Certificate-bound token requires the client certificate it is bound to"
MISMATCH = "Token is not bound to the presented client certificate"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = Certificate("test CA", ca=True)
    server = Certificate("127.0.0.1", issuer=ca, server=True)
    client, other = Certificate("client-app"), Certificate("other-app")
    return {"dir": directory, "ca": ca.write(directory, "ca")[0],
            "server": server.write(directory, "server"),
            "client": client, "client_files": client.write(directory, "client"),
            "other_files": other.write(directory, "other")}


@pytest.fixture(scope="module")
def proxy(pki, tmp_path_factory, signing_key):
    nginx_binary()  # skip (or fail under CI) before starting anything
    from tests.jwks_server import JWKSServer

    jwks = JWKSServer().start()
    jwks.serve_keys(signing_key.jwk())
    log_dir = tmp_path_factory.mktemp("mtls-gunicorn")
    app = GunicornServer(production_environ(
        log_dir / "static", WEB_CONCURRENCY="1", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=jwks.url, DJANGO_BEHIND_PROXY="true", AUTH0_MTLS_MODE="allowed",
        AUTH0_MTLS_CLIENT_CERT_HEADER="Client-Cert"), log_dir).start(timeout=60)
    nginx = None
    try:
        nginx = TLSProxy(tmp_path_factory.mktemp("nginx"), app.port, *pki["server"])
        yield nginx
    finally:
        if nginx is not None:
            nginx.stop()
        app.stop()
        jwks.stop()


def call(proxy, pki, token, cert=None, headers=None):
    headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    return requests.get(proxy.url("/api/private"), headers=headers, verify=str(pki["ca"]),
                        cert=tuple(map(str, pki[cert])) if cert else None, timeout=10)


@pytest.fixture
def bound_token(pki, signing_key):
    return mint(signing_key, sub="client-app@clients",
                cnf={"x5t#S256": pki["client"].thumbprint})


def test_bound_token_with_its_certificate_is_200(proxy, pki, bound_token):
    response = call(proxy, pki, bound_token, "client_files")
    assert response.status_code == 200, response.text
    assert response.json()["user"] == "client-app@clients"


def test_bound_token_without_a_client_certificate_is_401(proxy, pki, bound_token):
    response = call(proxy, pki, bound_token)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": NO_CERTIFICATE}
    assert response.headers["WWW-Authenticate"] == (
        and_dpop(f'Bearer realm="api", error="invalid_token", error_description="{NO_CERTIFICATE}"'))


def test_bound_token_with_another_certificate_is_401(proxy, pki, bound_token):
    response = call(proxy, pki, bound_token, "other_files")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": MISMATCH}


def test_unbound_token_is_a_bearer_token_in_allowed_mode(proxy, pki, signing_key):
    assert call(proxy, pki, mint(signing_key)).status_code == 200
    assert call(proxy, pki, mint(signing_key), "other_files").status_code == 200


def test_a_client_sent_client_cert_header_never_reaches_the_api(proxy, pki, bound_token):
    # The stolen token plus the certificate it is bound to, as a header: the proxy drops it
    # (no certificate in the handshake) or replaces it (another certificate).
    spoofed = {"Client-Cert": pki["client"].rfc9440}
    assert call(proxy, pki, bound_token, headers=spoofed).json()["message"] == NO_CERTIFICATE
    assert call(proxy, pki, bound_token, "other_files",
                headers=spoofed).json()["message"] == MISMATCH
