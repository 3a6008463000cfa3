"""X.509 certificates made at test time with ``cryptography`` (never shipped): client
certificates for mTLS, a CA and a server certificate for a TLS proxy on 127.0.0.1."""
import base64
import datetime
import hashlib
import ipaddress
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.keys import b64url


class Certificate:
    """A key pair and its certificate (self-signed unless ``issuer`` is given)."""

    def __init__(self, common_name, issuer=None, key=None, server=False, ca=False):
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder()
                   .subject_name(name)
                   .issuer_name(issuer.cert.subject if issuer else name)
                   .public_key(self.key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        signer = issuer.key if issuer else self.key
        self.cert = builder.sign(signer, hashes.SHA256())

    @property
    def der(self):
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode("ascii")

    @property
    def thumbprint(self):
        """RFC 8705 section 3.1 ``x5t#S256``, computed here independently of the code."""
        return b64url(hashlib.sha256(self.der).digest())

    @property
    def rfc9440(self):
        """The ``Client-Cert`` header value of RFC 9440 section 2.2: ``:<base64 DER>:``."""
        return ":" + base64.b64encode(self.der).decode("ascii") + ":"

    @property
    def nginx_escaped(self):
        """What nginx's ``$ssl_client_escaped_cert`` sends: the PEM, URL-encoded."""
        return quote(self.pem, safe="")

    def write(self, directory, name):
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        cert_path.write_text(self.pem)
        key_path.write_text(self.key_pem)
        key_path.chmod(0o600)
        return cert_path, key_path
