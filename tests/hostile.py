"""Crafting hostile input byte by byte, and a JWKS server with more faults.

Independent of the code under test: tokens are assembled here from raw segments and signed
with ``cryptography`` directly, so a header or payload can be anything (not even JSON).
"""
import gzip
import hashlib
import hmac
import json
import select
import socket
import threading
import time
from http.server import ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.jwks_server import JWKSServer, _Handler
from tests.keys import b64url, claims, int_b64

HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class Verbatim(str):
    """A segment used exactly as written (already encoded, or deliberately not base64url)."""


def segment(value):
    """Encode one segment: ``Verbatim`` as is, bytes as base64url, anything else as JSON."""
    if isinstance(value, Verbatim):
        return str(value)
    if isinstance(value, bytes):
        return b64url(value)
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unsigned(header, payload, signature=b""):
    return ".".join((segment(header), segment(payload), segment(signature)))


def rs_signed(key, header, payload, alg="RS256"):
    """Signed with the RSA private key of a ``tests.keys.SigningKey`` (any header, any bytes)."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode(), alg))}"


def hmac_signed(secret, header, payload, alg="HS256"):
    """HS* keyed with ``secret``: the algorithm-confusion attack when the secret is a public key."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    digest = hmac.new(secret, signing_input.encode(), HMAC_HASHES[alg]).digest()
    return f"{signing_input}.{b64url(digest)}"


def ps256_signed(key, header, payload):
    signing_input = f"{segment(header)}.{segment(payload)}".encode()
    signature = key.private.sign(signing_input, padding.PSS(
        mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    return f"{signing_input.decode()}.{b64url(signature)}"


def es256_signed(header, payload):
    """A genuine ES256 signature by a fresh P-256 key (RFC 7518 3.4 r||s form)."""
    private = ec.generate_private_key(ec.SECP256R1())
    signing_input = f"{segment(header)}.{segment(payload)}".encode()
    r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{signing_input.decode()}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def eddsa_signed(header, payload):
    private = ed25519.Ed25519PrivateKey.generate()
    signing_input = f"{segment(header)}.{segment(payload)}".encode()
    return f"{signing_input.decode()}.{b64url(private.sign(signing_input))}"


PUBLIC_KEY_FORMS = ("pem-spki", "pem-spki-no-newline", "pem-pkcs1", "der-spki", "der-pkcs1",
                    "jwk-json", "jwk-json-compact-sorted", "jwk-n")


def public_key_forms(key):
    """The real public key as an attacker would feed it to HMAC: PEM (SPKI, PKCS#1), DER, JWK."""
    public = key.private.public_key()
    spki_pem = public.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "pem-spki": spki_pem,
        "pem-spki-no-newline": spki_pem.rstrip(b"\n"),
        "pem-pkcs1": public.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.PKCS1),
        "der-spki": public.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo),
        "der-pkcs1": public.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.PKCS1),
        "jwk-json": json.dumps(key.jwk()).encode(),
        "jwk-json-compact-sorted": json.dumps(key.jwk(), separators=(",", ":"),
                                              sort_keys=True).encode(),
        "jwk-n": key.jwk()["n"].encode(),
    }


def respell(encoded):
    """Another spelling of the same bytes: set the unused low bits of the last character.

    Only possible when the length is 2 or 3 mod 4 (RFC 4648 3.5); a lenient decoder maps
    both spellings to the same bytes, which is exactly what a strict one must refuse.
    """
    assert len(encoded) % 4 in (2, 3), "no spare bits in this segment"
    return encoded[:-1] + ALPHABET[ALPHABET.index(encoded[-1]) | 1]


def nested(depth, opener="[", closer="]"):
    return (opener * depth + closer * depth).encode()


def standard_claims(**overrides):
    return claims(**overrides)


def small_rsa_jwk(kid, bits=1024):
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key(
    ).public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": int_b64(numbers.n), "e": int_b64(numbers.e)}


def ec_jwk(kid):
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}


def gzip_bomb(size=20_000_000):
    """A few kilobytes that inflate to ``size`` bytes of JSON-ish whitespace."""
    return gzip.compress(b'{"keys": [' + b" " * size + b"]}", compresslevel=9)


class FaultyJWKSServer(JWKSServer):
    """``JWKSServer`` plus a chosen port, hit timestamps, a dribbling body, dribbled headers
    and a hang.

    ``dribble = (chunk_bytes, interval_seconds)`` sends the body a few bytes at a time, each
    chunk well within any per-read timeout: only a bound on the whole fetch stops it.
    ``dribble_headers = interval_seconds`` sends the status line and headers one byte at a
    time (with a long padding header). ``hang = True`` accepts and reads the request, then
    never answers (until ``hang`` is cleared: then it answers as usual). For both, the time
    from the request to the client giving up the connection is appended to ``abandoned``.
    """

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.reset()
        handler = type("Handler", (_FaultyHandler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reset(self):
        super().reset()
        with self.lock:
            self.dribble = None
            self.dribble_headers = None
            self.hang = False
            self.hit_times = []
            self.abandoned = []

    def stop(self):
        self.hang = False  # let hanging handlers end
        super().stop()

    def response(self):
        with self.lock:
            self.hit_times.append(time.monotonic())
        return super().response()

    def record_abandoned(self, seconds):
        with self.lock:
            self.abandoned.append(seconds)


class _FaultyHandler(_Handler):
    def do_GET(self):
        if self.server_state.hang and not self._hang():
            return
        if self.server_state.dribble_headers is not None:
            return self._dribble_headers(self.server_state.dribble_headers)
        if self.server_state.dribble is None:
            return super().do_GET()
        chunk, interval = self.server_state.dribble
        status, body, content_type, _, _ = self.server_state.response()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), chunk):
                self.wfile.write(body[start:start + chunk])
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _hang(self):
        """Say nothing while ``hang`` holds; False if the client gave up meanwhile."""
        state, started = self.server_state, time.monotonic()
        with state.lock:
            state.hit_times.append(started)
        while state.hang:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self._peer_open():
                state.record_abandoned(time.monotonic() - started)
                return False
        return True

    def _peer_open(self):
        try:
            return self.connection.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def _dribble_headers(self, interval):
        status, body, content_type, _, _ = self.server_state.response()
        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nX-Padding: {'x' * 4000}\r\n\r\n").encode()
        started = time.monotonic()
        try:
            for index in range(len(head)):
                self.wfile.write(head[index:index + 1])
                self.wfile.flush()
                time.sleep(interval)
            self.wfile.write(body)
        except OSError:
            self.server_state.record_abandoned(time.monotonic() - started)
