"""A DPoP client for the tests, independent of the code under test (RFC 9449 section 4).

Proofs are assembled byte by byte and signed with ``cryptography`` directly; the RFC 7638
thumbprint is computed here too, so a bug in ``auth0_jwt`` cannot hide behind a shared helper.
"""
import hashlib
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.keys import b64url, encode_segment, int_b64

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


class DPoPKey:
    """A client's DPoP key pair: EC P-256 (ES256) by default, or an RSA / Ed25519 private key."""

    def __init__(self, private=None, alg="ES256"):
        self.private = private or ec.generate_private_key(ec.SECP256R1())
        self.alg = alg

    def jwk(self):
        public = self.private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
                    "y": b64url(numbers.y.to_bytes(32, "big"))}
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": int_b64(numbers.n), "e": int_b64(numbers.e)}

    def thumbprint(self):
        """RFC 7638: required members, lexicographic order, no whitespace, SHA-256."""
        jwk = self.jwk()
        required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"),
                    "OKP": ("crv", "kty", "x")}[jwk["kty"]]
        canonical = "{" + ",".join(f'"{k}":"{jwk[k]}"' for k in required) + "}"
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def sign(self, signing_input, alg=None):
        alg = alg or self.alg
        if alg.startswith("ES"):
            der = self.private.sign(signing_input, ec.ECDSA(HASHES[alg[2:]]()))
            r, s = decode_dss_signature(der)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if alg == "EdDSA":
            return self.private.sign(signing_input)
        digest = HASHES[alg[2:]]()
        if alg.startswith("PS"):
            pad = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            return self.private.sign(signing_input, pad, digest)
        return self.private.sign(signing_input, padding.PKCS1v15(), digest)

    def proof(self, htm="GET", htu="http://testserver/api/private", access_token=None,
              header=None, alg=None, signature=None, **claim_overrides):
        """A signed DPoP proof; ``claim_overrides`` set claims (None removes one)."""
        alg = alg or self.alg
        if header is None:
            header = {"typ": "dpop+jwt", "alg": alg, "jwk": self.jwk()}
        payload = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time())}
        if access_token is not None:
            payload["ath"] = ath(access_token)
        payload.update(claim_overrides)
        payload = {k: v for k, v in payload.items() if v is not None}
        signing_input = f"{encode_segment(header)}.{encode_segment(payload)}"
        if signature is None:
            signature = self.sign(signing_input.encode(), alg)
        return f"{signing_input}.{b64url(signature)}"


def ath(access_token):
    return b64url(hashlib.sha256(access_token.encode()).digest())
