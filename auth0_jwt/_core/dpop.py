"""DPoP proof verification for a resource server (RFC 9449 sections 4.3 and 7). No Django imports.

``ProofVerifier.verify(proof, method=..., uri=..., access_token=..., jkt=...)`` runs the checks
of RFC 9449 section 4.3 in order, cheapest and key-independent first, the replay store last
(so only a fully valid proof uses up its ``jti``):

- exactly one well-formed JWS whose header has ``typ`` ``dpop+jwt``, an allowlisted
  asymmetric ``alg`` and a public ``jwk``; the signature verifies with that ``jwk``;
- claims ``jti``, ``htm`` (the request method), ``htu`` (the request URI, query and fragment
  ignored, both sides normalised per RFC 3986 section 6), ``iat`` (within the window),
  ``ath`` (hash of the access token), and ``nonce`` when server nonces are on;
- the RFC 7638 thumbprint of the ``jwk`` equals the token's ``cnf.jkt``;
- the ``jti`` was not seen before (``replay_store.seen_before(key, ttl)``).

Failures raise ``InvalidDPoPProof`` (and subclasses) or ``InvalidDPoPBinding``, each with a
fixed message that is safe to send.
"""
import functools
import hashlib
import hmac
import math
import time

from auth0_jwt._core import uris
from auth0_jwt._core.encoding import b64url_decode, b64url_encode, json_object
from auth0_jwt._core.errors import (DPoPNonceRequired, InvalidDPoPBinding, InvalidDPoPProof, MalformedToken,
                     ReplayedDPoPProof)
from auth0_jwt._core.proof_keys import PROOF_KEY_CACHE_SIZE, ProofKeyError, ProofKeys
from auth0_jwt._core.token_cache import TokenCache
from auth0_jwt._core.tokens import read_only

# RFC 9449 section 4.2; media types compare case-insensitively (RFC 7515 section 4.1.9).
PROOF_TYPES = frozenset({"dpop+jwt", "application/dpop+jwt"})
MAX_PROOF_LENGTH = 8192  # an RSA-4096 proof is about 1.5 kB; bound the work before any crypto
MAX_JTI_LENGTH = 256
URI_CACHE_SIZE = 1024  # normal forms kept: the request URIs and htu values seen most
MAX_CACHED_URI = 512  # longer ones are normalised each time (the cache stays under 1 MB)


def normalized_uri(uri):
    """``uris.normalize(uri)``, kept for the URIs seen most: a client sends the same ``htu``
    for the same route, and parsing both sides on each request cost more than the replay
    store's write. ``normalize`` is a pure function of its string, so a kept answer is the
    answer."""
    if len(uri) > MAX_CACHED_URI:
        return uris.normalize(uri)
    return _normalized_uri(uri)


@functools.lru_cache(maxsize=URI_CACHE_SIZE)
def _normalized_uri(uri):
    return uris.normalize(uri)


class VerifiedProof:
    """A proof that passed every check: ``header`` (read-only: one object serves every proof
    with the same header), ``payload`` and the key ``thumbprint``."""

    __slots__ = ("header", "payload", "thumbprint")

    def __init__(self, header, payload, thumbprint):
        self.header = header
        self.payload = payload
        self.thumbprint = thumbprint


class ProofVerifier:
    """Verify DPoP proofs presented with DPoP-bound access tokens.

    ``algorithms``: allowlisted asymmetric JWS algorithms. ``iat_window``: seconds a proof
    stays acceptable after its ``iat``; ``iat_leeway``: clock skew in both directions.
    ``replay_store``: ``seen_before(key, ttl) -> bool``, atomic (see ``replay.py``).
    ``nonces``: None, or an object with ``is_valid(nonce) -> bool`` (see ``nonces.py``).
    """

    def __init__(self, *, algorithms, replay_store, iat_window=60, iat_leeway=5, nonces=None,
                 clock=time.time):
        self.algorithms = frozenset(algorithms)
        self.replay_store = replay_store
        self.iat_window = iat_window
        self.iat_leeway = iat_leeway
        self.nonces = nonces
        self.clock = clock
        self.proof_keys = ProofKeys()
        # A client sends the same header (typ, alg, jwk) in every proof: the header segments
        # of verified proofs are kept with their parsed header and key. The parse and the
        # checks are pure functions of the segment's text and ``algorithms``, and a hit is a
        # full string match, so a kept answer is the answer; only segments whose proof
        # verified are kept, so made-up headers never fill it.
        self._headers = TokenCache(PROOF_KEY_CACHE_SIZE)

    @property
    def replay_ttl(self):
        """Seconds a ``jti`` is remembered: as long as any clock could still accept the proof."""
        return int(math.ceil(self.iat_window + 2 * self.iat_leeway)) + 1

    def verify(self, proof, *, method, uri, access_token, jkt):
        header_segment, payload_segment, signature_segment = split(proof)
        kept = self._headers.get(header_segment)
        header, key = kept if kept is not None else self.read_header(header_segment)
        self.check_signature(key, proof[: len(header_segment) + 1 + len(payload_segment)],
                             signature_segment)
        if kept is None:  # its signature verified: the next proof skips the parse and build
            header = read_only(header)
            self._headers.put(header_segment, (header, key))
            self.proof_keys.keep(key)
        payload = parse_segment(payload_segment, "payload")
        self.check_claims(payload, method, uri, access_token)
        thumbprint = key.thumbprint()
        check_binding(thumbprint, jkt)
        self.check_nonce(payload)
        self.check_replay(thumbprint, payload["jti"])
        return VerifiedProof(header, payload, thumbprint)

    # -- header and signature ---------------------------------------------------------------

    def read_header(self, header_segment):
        """``(header, key)`` of a header segment not seen in a verified proof yet."""
        header = parse_segment(header_segment, "header")
        return header, self.check_header(header)

    def check_header(self, header):
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in PROOF_TYPES:
            raise InvalidDPoPProof("DPoP proof 'typ' must be 'dpop+jwt'")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise InvalidDPoPProof("DPoP proof algorithm is not allowed")
        if "crit" in header:
            # RFC 7515 section 4.1.11: we understand no extension, so none may be critical.
            raise InvalidDPoPProof("DPoP proof header has a 'crit' parameter that is not supported")
        if "jwk" not in header:
            raise InvalidDPoPProof("DPoP proof header has no 'jwk'")
        try:
            return self.proof_keys.get(header["jwk"], alg)
        except ProofKeyError as exc:
            raise InvalidDPoPProof(exc.message) from exc

    def check_signature(self, key, signing_input, signature_segment):
        try:
            signature = b64url_decode(signature_segment)
        except MalformedToken as exc:
            raise InvalidDPoPProof("Malformed DPoP proof: signature is not base64url") from exc
        if not key.verify(signing_input.encode("ascii"), signature):
            raise InvalidDPoPProof("Invalid DPoP proof signature")

    # -- claims -----------------------------------------------------------------------------

    def check_claims(self, payload, method, uri, access_token):
        jti = payload.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
            raise InvalidDPoPProof("DPoP proof 'jti' is missing or invalid")
        if payload.get("htm") != method:  # RFC 9110 section 9.1: methods are case-sensitive
            raise InvalidDPoPProof("DPoP proof 'htm' does not match the request method")
        self.check_htu(payload.get("htu"), uri)
        self.check_iat(payload.get("iat"))
        self.check_ath(payload.get("ath"), access_token)

    def check_htu(self, htu, uri):
        if not isinstance(htu, str):
            raise InvalidDPoPProof("DPoP proof 'htu' is missing or invalid")
        expected = normalized_uri(uri)
        if expected is None or normalized_uri(htu) != expected:
            raise InvalidDPoPProof("DPoP proof 'htu' does not match the request URI")

    def check_iat(self, iat):
        if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
            raise InvalidDPoPProof("DPoP proof 'iat' is missing or invalid")
        now = self.clock()
        if iat > now + self.iat_leeway:
            raise InvalidDPoPProof("DPoP proof is issued in the future")
        if iat < now - self.iat_window - self.iat_leeway:
            raise InvalidDPoPProof("DPoP proof is too old")

    def check_ath(self, ath, access_token):
        if not isinstance(ath, str) or not ath:
            raise InvalidDPoPProof("DPoP proof 'ath' is missing or invalid")
        if not hmac.compare_digest(ath.encode("ascii", "replace"),
                                   access_token_hash(access_token).encode("ascii")):
            raise InvalidDPoPProof("DPoP proof 'ath' does not match the access token")

    def check_nonce(self, payload):
        if self.nonces is None:
            return
        nonce = payload.get("nonce")
        if not isinstance(nonce, str) or not self.nonces.is_valid(nonce):
            raise DPoPNonceRequired()

    def check_replay(self, thumbprint, jti):
        # Keyed by key and jti: a client cannot use up the jti values of another key.
        key = hashlib.sha256(f"{thumbprint}:{jti}".encode("utf-8")).hexdigest()
        if self.replay_store.seen_before(key, self.replay_ttl):
            raise ReplayedDPoPProof()


def split(proof):
    # A header value that is not ASCII text (WSGI hands bytes over as latin-1) is no JWS.
    if not isinstance(proof, str) or len(proof) > MAX_PROOF_LENGTH or not proof.isascii():
        raise InvalidDPoPProof("Malformed DPoP proof")
    segments = proof.split(".")
    if len(segments) != 3 or not all(segments[:2]):
        raise InvalidDPoPProof("Malformed DPoP proof: expected a signed JWT")
    return segments


def parse_segment(segment, what):
    try:
        return json_object(segment, what)
    except MalformedToken as exc:
        raise InvalidDPoPProof(f"Malformed DPoP proof: {what} is not a JSON object") from exc


def check_binding(thumbprint, jkt):
    """RFC 9449 section 6.1: the token's ``cnf.jkt`` is the thumbprint of the proof key."""
    if not hmac.compare_digest(thumbprint.encode("ascii"), jkt.encode("ascii", "replace")):
        raise InvalidDPoPBinding()


def access_token_hash(access_token):
    """RFC 9449 section 4.2 ``ath``: base64url(SHA-256(ASCII access token)), no padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url_encode(digest)
