"""Certificate-bound access tokens (RFC 8705 section 3; the Express SDK's ``mtls``). No Django
imports.

A token whose ``cnf`` claim holds ``x5t#S256`` is bound to one client certificate: it is
accepted only from a client that presented that certificate in the TLS handshake. TLS ends at
a trusted proxy in front of the API, which passes the certificate on in a request header (RFC
9440 ``Client-Cert``); the header is read only when the settings name it, because a client
could send it too (the proxy must set it and drop any copy sent by the client).

Modes, as for DPoP: ``off`` (no certificate is read; a bound token is refused: it must never
pass as a bearer token), ``allowed`` (bound tokens need their certificate, unbound tokens are
bearer tokens), ``required`` (every token must be bound and match). Every failure is
``CertificateBindingError``: 401 ``invalid_token`` (RFC 8705 section 3).
"""
import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import unquote_to_bytes

from cryptography import x509

from auth0_jwt._core.encoding import b64url_encode
from auth0_jwt._core.errors import SenderConstrainedToken, TokenError

MODES = ("off", "allowed", "required")
CONFIRMATION = "x5t#S256"
MAX_HEADER_LENGTH = 16384  # a certificate chain of a few kB; anything larger is refused
_PEM_BODY = re.compile(rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----")
_SF_BINARY = re.compile(r":([A-Za-z0-9+/]*={0,2}):")  # RFC 8941 section 3.3.5


class CertificateBindingError(SenderConstrainedToken):
    """The token's certificate binding does not hold (401 invalid_token)."""

    reason = "certificate_binding_error"
    default_message = "Token is not bound to the presented client certificate"


class MutualTLSRequired(TokenError):
    """``MTLS_MODE`` is "required" and the token is not certificate-bound (401 invalid_token)."""

    reason = "certificate_binding_error"
    default_message = ("Token is not certificate-bound (no 'cnf.x5t#S256' claim) and mutual "
                       "TLS is required")


def check_certificate_binding(mode, payload, client_cert):
    """Enforce ``mode`` for a verified token's ``payload``; ``client_cert`` is the header value
    set by the trusted proxy (None when absent or not trusted).

    Returns the matched thumbprint, or None for an unbound token that may pass as a bearer
    token; raises ``CertificateBindingError`` otherwise.
    """
    expected = confirmation_thumbprint(payload)
    if expected is None:
        check_unbound_allowed(mode)
        return None
    return check_bound_certificate(mode, expected, client_cert)


def check_unbound_allowed(mode):
    """An unbound token is a bearer token: refused only when mutual TLS is required."""
    if mode == "required":
        raise MutualTLSRequired()


def check_bound_certificate(mode, expected, client_cert):
    """The certificate from the proxy matches the token's ``cnf["x5t#S256"]`` (``expected``);
    returns its thumbprint or raises ``CertificateBindingError``."""
    if mode not in ("allowed", "required"):
        raise CertificateBindingError("Certificate-bound token cannot be used: this API does "
                                      "not accept mutual TLS")
    if not client_cert:
        raise CertificateBindingError("Certificate-bound token requires the client "
                                      "certificate it is bound to")
    actual = certificate_thumbprint(parse_client_cert(client_cert))
    if not hmac.compare_digest(actual.encode("ascii"), expected.encode("ascii", "replace")):
        # RFC 8705 section 3: a mismatch is invalid_token.
        raise CertificateBindingError()
    return actual


def confirmation_thumbprint(payload):
    """The token's ``cnf["x5t#S256"]``, or None when it has none (``cnf.jkt`` is DPoP's)."""
    cnf = payload.get("cnf")
    if cnf is None or (isinstance(cnf, dict) and CONFIRMATION not in cnf):
        return None
    if not isinstance(cnf, dict):
        raise CertificateBindingError("Claim 'cnf' must be a JSON object")
    thumbprint = cnf[CONFIRMATION]
    if not isinstance(thumbprint, str) or not thumbprint:
        raise CertificateBindingError("Claim 'cnf.x5t#S256' must be a non-empty string")
    return thumbprint


def certificate_thumbprint(der):
    """RFC 8705 section 3.1: base64url(SHA-256(DER certificate)), unpadded."""
    return b64url_encode(hashlib.sha256(der).digest())


def parse_client_cert(value):
    """The DER certificate in a ``Client-Cert`` header value, or ``CertificateBindingError``.

    Accepts RFC 9440 section 2.2 (a structured-field byte sequence, ``:<base64 DER>:``) and the
    URL-encoded PEM that nginx (``$ssl_client_escaped_cert``) and several load balancers send.
    The bytes must parse as an X.509 certificate: a proxy bug is refused, not hashed.
    """
    if not isinstance(value, str) or len(value) > MAX_HEADER_LENGTH:
        raise CertificateBindingError("Client certificate header is malformed")
    der = _sf_binary(value.strip()) or _escaped_pem(value.strip())
    if der is None:
        raise CertificateBindingError("Client certificate header is malformed")
    try:
        x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CertificateBindingError("Client certificate header is not a certificate") from exc
    return der


def _sf_binary(value):
    match = _SF_BINARY.fullmatch(value)
    if match is None:
        return None
    try:
        return base64.b64decode(match.group(1), validate=True) or None
    except binascii.Error:
        return None


def _escaped_pem(value):
    match = _PEM_BODY.search(unquote_to_bytes(value))
    if match is None:
        return None
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True) or None
    except binascii.Error:
        return None


def client_cert_from_environ(environ, header):
    """The value of request header ``header`` (e.g. "Client-Cert") in a WSGI environ, or None."""
    if not header:
        return None
    return environ.get("HTTP_" + header.upper().replace("-", "_")) or None
