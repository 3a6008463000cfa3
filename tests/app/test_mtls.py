"""Certificate-bound tokens (RFC 8705), framework-free: the Client-Cert header (RFC 9440 and
nginx's escaped PEM), the x5t#S256 thumbprint, and the off/allowed/required rules. Real
certificates made with cryptography; thumbprints computed independently in tests/certs.py."""
import pytest

from auth0_jwt._core.mtls import (CertificateBindingError, MutualTLSRequired, certificate_thumbprint,
                                  check_certificate_binding, client_cert_from_environ,
                                  confirmation_thumbprint, parse_client_cert)
from tests.certs import Certificate


@pytest.fixture(scope="module")
def client_cert():
    return Certificate("client-app")


@pytest.fixture(scope="module")
def other_cert():
    return Certificate("another-client")


def bound(cert):
    return {"sub": "client@clients", "cnf": {"x5t#S256": cert.thumbprint}}


def test_thumbprint_is_base64url_sha256_of_the_der_certificate(client_cert):
    assert certificate_thumbprint(client_cert.der) == client_cert.thumbprint
    assert "=" not in client_cert.thumbprint and len(client_cert.thumbprint) == 43


@pytest.mark.parametrize("form", ["rfc9440", "nginx_escaped"])
def test_header_forms_give_the_der_certificate(client_cert, form):
    assert parse_client_cert(getattr(client_cert, form)) == client_cert.der


@pytest.mark.parametrize("value", [
    "", ":", "::", ":not base64!:", "MIIB...", ":" + "A" * 20 + ":", "-----BEGIN CERTIFICATE-----",
    "%2D%2D%2D%2D%2DBEGIN%20CERTIFICATE%2D%2D%2D%2D%2D%0Anope%0A%2D%2D%2D%2D%2DEND%20CERTIFICATE"
    "%2D%2D%2D%2D%2D", ":" + "QUFB" * 5000 + ":"])
def test_malformed_header_is_refused(value):
    with pytest.raises(CertificateBindingError, match="Client certificate header is"):
        parse_client_cert(value)


@pytest.mark.parametrize("mode", ["allowed", "required"])
@pytest.mark.parametrize("form", ["rfc9440", "nginx_escaped"])
def test_bound_token_with_its_certificate_passes(client_cert, mode, form):
    assert check_certificate_binding(mode, bound(client_cert),
                                     getattr(client_cert, form)) == client_cert.thumbprint


@pytest.mark.parametrize("mode", ["allowed", "required"])
def test_bound_token_with_another_certificate_is_refused(client_cert, other_cert, mode):
    with pytest.raises(CertificateBindingError,
                       match="Token is not bound to the presented client certificate"):
        check_certificate_binding(mode, bound(client_cert), other_cert.rfc9440)


@pytest.mark.parametrize("mode", ["allowed", "required"])
def test_bound_token_without_a_certificate_is_refused(client_cert, mode):
    with pytest.raises(CertificateBindingError, match="requires the client certificate"):
        check_certificate_binding(mode, bound(client_cert), None)


def test_bound_token_is_refused_when_mtls_is_off_even_with_its_certificate(client_cert):
    # A sender-constrained token is never a bearer token.
    with pytest.raises(CertificateBindingError, match="does not accept mutual TLS"):
        check_certificate_binding("off", bound(client_cert), client_cert.rfc9440)


@pytest.mark.parametrize("mode", ["off", "allowed"])
def test_unbound_token_passes_as_a_bearer_token_unless_required(mode, client_cert):
    assert check_certificate_binding(mode, {"sub": "x"}, None) is None
    assert check_certificate_binding(mode, {"sub": "x", "cnf": {"jkt": "abc"}},
                                     client_cert.rfc9440) is None  # DPoP's binding, not ours


def test_unbound_token_is_refused_when_mtls_is_required(client_cert):
    with pytest.raises(MutualTLSRequired, match="not certificate-bound"):
        check_certificate_binding("required", {"sub": "x"}, client_cert.rfc9440)


@pytest.mark.parametrize("cnf, message", [
    ("x5t", "Claim 'cnf' must be a JSON object"),
    ({"x5t#S256": ""}, "must be a non-empty string"),
    ({"x5t#S256": 42}, "must be a non-empty string"),
    ({"x5t#S256": None}, "must be a non-empty string"),
])
def test_malformed_confirmation_claim_is_refused(cnf, message):
    with pytest.raises(CertificateBindingError, match=message):
        confirmation_thumbprint({"cnf": cnf})


def test_thumbprint_comparison_is_exact(client_cert):
    payload = {"cnf": {"x5t#S256": client_cert.thumbprint + "="}}
    with pytest.raises(CertificateBindingError):
        check_certificate_binding("allowed", payload, client_cert.rfc9440)
    payload = {"cnf": {"x5t#S256": client_cert.thumbprint.upper()}}
    with pytest.raises(CertificateBindingError):
        check_certificate_binding("allowed", payload, client_cert.rfc9440)


def test_header_is_read_only_when_a_trusted_proxy_is_configured(client_cert):
    environ = {"HTTP_CLIENT_CERT": client_cert.rfc9440}
    assert client_cert_from_environ(environ, None) is None
    assert client_cert_from_environ(environ, "Client-Cert") == client_cert.rfc9440
    assert client_cert_from_environ({}, "Client-Cert") is None
