"""One line of defence for every credential: the checks, in one place and one order.

Sources (``credentials.py``) only find a credential; ``CredentialPipeline.authenticate`` then
applies, whatever the source (header, query, form body, session):

1. syntax: the RFC 6750 ``b64token``;
2. DPoP mode: in "required", a credential that is not DPoP is refused (RFC 9449 section 7.1);
3. the ``DPoP`` header of a DPoP credential: exactly one (RFC 9449 section 4.3 check 1);
4. verification: the token's signature and claims, by the verifier of the authentication
   class's settings for this request (``runtime.verifier_for``: per-class settings, issuers
   allowed by ``ISSUER_RESOLVER``);
5. sender constraint: a token bound to a key (``cnf``, RFC 7800) is accepted only with the
   proof of that key, in every mode, "off" included: never as a bearer token; a DPoP-bound
   token needs its DPoP proof (RFC 9449), a certificate-bound one the client certificate the
   trusted TLS proxy passed on (RFC 8705, ``MTLS_MODE``); a bound token never comes from the
   session, even with its proof; and, with DPoP on, a bearer credential must not come with a
   ``DPoP`` proof header;
6. the user: ``AUTH0_JWT["USER_CLASS"]`` built from the verified token.

A refusal raises the failure (``auth0_jwt._core.errors``) with ``log_context`` (reason, kid,
sub) for the security log; the DRF classes translate it once (``exceptions.api_error``), so the
same token gets the same status, body, challenge and log line on every path.
"""
import logging

from django.core.exceptions import DisallowedHost

from auth0_jwt._core import confirmation, errors, mtls, uris
from auth0_jwt._drf.credentials import SESSION, check_token_syntax
from auth0_jwt._ops import audit
from auth0_jwt._ops.runtime import get_proof_verifier, get_user_class, verifier_for
from auth0_jwt._settings import auth0_settings

logger = logging.getLogger("auth0_jwt.authentication")

DPOP_BOUND_AS_BEARER = "DPoP-bound token must be sent with the DPoP scheme and a DPoP proof"
PROOF_WITH_BEARER = "DPoP proof requires the DPoP authentication scheme, not Bearer"
BOUND_IN_SESSION = "Sender-constrained token cannot be used from a session"


class CredentialPipeline:
    """The checks every credential goes through; see the module docstring for the order.

    ``sender_constraints`` is the extension point for confirmation methods: it maps a
    ``cnf`` member to the method that checks it. Each is called as
    ``check(credential, value, proof, request)`` and raises a failure unless the credential
    proves possession of that key. A subclass adds a method (e.g. mutual TLS) there.
    """

    sender_constraints = {
        confirmation.DPOP: "check_dpop_binding",
        confirmation.MUTUAL_TLS: "check_certificate_binding",
    }

    def authenticate(self, credential, request, overrides=None):
        """``(user, VerifiedToken)`` for ``credential``; raises ``AuthFailure``.

        ``request`` is the Django (or DRF) request: the DPoP proof's ``htm`` and ``htu``, the
        client certificate and ``ISSUER_RESOLVER`` read it. ``overrides`` are the
        authentication class's own settings (``Auth0JWTAuthentication.auth0_jwt_settings``).
        """
        check_token_syntax(credential.token, credential.scheme)
        self.check_mode(credential)
        proof = self.get_proof(credential)
        token = self.verify(credential, request, overrides)
        try:
            self.check_sender_constraint(credential, token, proof, request)
            self.check_no_stray_proof(credential, request)
            return self.get_user(token), token
        except errors.AuthFailure as failure:
            failure.log_context = audit.verified_context(token)
            raise

    # -- steps ------------------------------------------------------------------------------

    def check_mode(self, credential):
        # RFC 9449 section 7.1: a server that requires DPoP refuses Bearer (query, form and
        # session tokens are bearer tokens too). Checked before any crypto.
        if auth0_settings.DPOP_MODE == "required" and credential.scheme != "DPoP":
            raise errors.DPoPRequired()

    def get_proof(self, credential):
        """The one ``DPoP`` proof of a DPoP credential (None for Bearer), before any crypto."""
        if credential.scheme != "DPoP":
            return None
        proof = (credential.proof or "").strip()
        if not proof:
            raise errors.InvalidRequest("DPoP proof header is missing")
        # WSGI servers join repeated headers with ","; a JWS never contains one.
        if "," in proof:
            raise errors.InvalidDPoPProof("More than one DPoP proof")
        return proof

    def verify(self, credential, request, overrides=None):
        """The ``VerifiedToken``; a failure carries ``log_context`` for the security log."""
        token = credential.token
        try:
            return verifier_for(request, overrides).verify(token)
        except errors.AuthFailure as failure:
            failure.log_context = audit.token_context(token, failure)
            raise
        except Exception as exc:
            # Fail closed: a verifier bug on crafted input is a rejected token, never a 200.
            logger.error("Token verification raised %s", type(exc).__name__, exc_info=exc)
            failure = errors.TokenError("Token could not be verified",
                                        reason="verification_error")
            failure.log_context = audit.token_context(token, failure)
            raise failure from exc

    def check_sender_constraint(self, credential, token, proof, request):
        """RFC 9449 section 7 and RFC 8705 section 3: a bound token needs its proof; a DPoP
        credential needs a DPoP-bound token."""
        methods = confirmation.confirmation_of(token.payload)
        if credential.scheme == "DPoP" and confirmation.DPOP not in methods:
            raise errors.TokenError("Token is not DPoP-bound (no 'cnf.jkt' claim)")
        if confirmation.MUTUAL_TLS not in methods:
            mtls.check_unbound_allowed(auth0_settings.MTLS_MODE)
        for method, value in methods.items():
            getattr(self, self.sender_constraints[method])(credential, value, proof, request)
        if methods and credential.source == SESSION:
            # Even with its proof at hand (a browser's client certificate through the TLS
            # proxy), a bound token is never an ambient credential: what proves possession for
            # one request must not turn a session cookie into the key.
            raise errors.SenderConstrainedToken(BOUND_IN_SESSION, reason="bound_token_in_session")

    def check_no_stray_proof(self, credential, request):
        """400 for a ``DPoP`` proof beside a bearer credential while DPoP is on: the client
        meant DPoP but sent the token as a bearer token, which would pass unproven. As
        ``express-oauth2-jwt-bearer`` 1.10 does, and after the token's checks, so that an
        invalid or DPoP-bound token keeps its 401 (RFC 9449 section 7.2)."""
        if (credential.scheme != "DPoP" and auth0_settings.DPOP_MODE != "off"
                and "HTTP_DPOP" in request.META):
            raise errors.InvalidRequest(PROOF_WITH_BEARER)

    def check_dpop_binding(self, credential, jkt, proof, request):
        if credential.scheme != "DPoP":
            # RFC 9449 section 7.2: a DPoP-bound token must not be accepted as Bearer, also
            # when DPoP is off here: the issuer bound it, so whoever holds it alone is no one.
            raise errors.SenderConstrainedToken(DPOP_BOUND_AS_BEARER)
        self.verify_dpop_proof(credential, proof, jkt, request)

    def check_certificate_binding(self, credential, thumbprint, proof, request):
        # RFC 8705 section 3: only the TLS client certificate (passed on by the trusted proxy)
        # proves possession; the token page never parks such a token in a session.
        meta = getattr(request, "_request", request).META
        mtls.check_bound_certificate(
            auth0_settings.MTLS_MODE, thumbprint,
            mtls.client_cert_from_environ(meta, auth0_settings.MTLS_CLIENT_CERT_HEADER))

    def verify_dpop_proof(self, credential, proof, jkt, request):
        # The Django request: DRF's Request forwards each attribute read through
        # __getattr__ (a failed lookup first), about a microsecond each.
        request = getattr(request, "_request", request)
        try:
            return get_proof_verifier().verify(
                proof, method=request.method, uri=request_uri(request),
                access_token=str(credential.token), jkt=jkt)
        except errors.ReplayStoreUnavailable as exc:
            logger.error("DPoP replay store unavailable: %s", type(exc.__cause__).__name__)
            raise
        except errors.AuthFailure:
            raise
        except Exception as exc:
            # Fail closed, as for tokens: a verifier bug on a crafted proof is never a 200.
            logger.error("DPoP proof verification raised %s", type(exc).__name__, exc_info=exc)
            raise errors.InvalidDPoPProof("DPoP proof could not be verified",
                                          reason="verification_error") from exc

    def get_user(self, token):
        """``request.user``: ``AUTH0_JWT["USER_CLASS"]`` (default ``TokenUser``) of the token."""
        return get_user_class()(token)


def request_uri(request):
    """The ``htu`` expected: this request's target as the client sent it (RFC 9449 section 4.3
    check 9), ``scheme://host/raw-path``, without query or fragment.

    - path: the raw request-target the WSGI server received: ``RAW_URI`` (gunicorn) or
      ``REQUEST_URI`` (uWSGI, mod_wsgi, nginx unit), never decoded, so ``/org%3B123`` and
      ``/org;123`` stay different. Without either (``runserver``, Django's test client), the
      decoded path is percent-encoded again, leaving RFC 3986 ``pchar`` characters as they are
      (``;`` then matches a proof for ``;``, not for ``%3B``);
    - scheme: Django's ``request.scheme`` (``SECURE_PROXY_SSL_HEADER`` behind a TLS proxy);
    - host: ``request.get_host()`` (``ALLOWED_HOSTS``; ``USE_X_FORWARDED_HOST``).

    Both sides are then normalised only as RFC 3986 sections 6.2.2 and 6.2.3 allow
    (``uris.normalize``).
    """
    meta = request.META
    raw_target = meta.get("RAW_URI") or meta.get("REQUEST_URI")
    path = uris.target_path(raw_target) if raw_target else None
    if path is None:
        path = uris.quote_path(request.path)
    try:
        host = request.get_host()
    except DisallowedHost as exc:
        raise errors.InvalidRequest("Request host is not allowed") from exc
    return f"{request.scheme}://{host}{path}"


pipeline = CredentialPipeline()
