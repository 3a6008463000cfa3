"""DRF glue: find the access token (RFC 6750 section 2; RFC 9449 section 7 for DPoP), run it
through the credential pipeline (``pipeline.py``), return the principal."""
from rest_framework.authentication import BaseAuthentication

from auth0_jwt._core import errors
from auth0_jwt._drf import credentials
from auth0_jwt._drf.challenges import challenge
# B64TOKEN, is_b64token lived here before credentials.py (tests/app/test_authentication.py).
from auth0_jwt._drf.credentials import B64TOKEN, PresentedToken, is_b64token  # noqa: F401
from auth0_jwt._drf.exceptions import api_error
from auth0_jwt._drf.pipeline import pipeline


class Auth0JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <access token>`` against the Auth0 tenant.

    - no token, or another scheme (``Basic ...``): returns ``None`` (anonymous; a protected
      route then answers 401 ``unauthorized``);
    - malformed header, or a token sent by more than one method: 400 ``invalid_request``;
    - a token that fails any check: 401 ``invalid_token``;
    - a sender-constrained token (``cnf``) presented as a bearer token: 401 ``invalid_token``,
      whatever ``DPOP_MODE`` says;
    - no signing key can be fetched: 503 ``temporarily_unavailable``;
    - otherwise ``(user, VerifiedToken)``: ``request.user`` (``AUTH0_JWT["USER_CLASS"]``,
      default ``TokenUser``), ``request.auth.payload``.

    With ``DPOP_MODE`` "allowed" or "required" (RFC 9449), ``Authorization: DPoP <token>`` plus
    one ``DPoP`` proof header is accepted too: a bad proof is 401 ``invalid_dpop_proof``, a
    token not bound to the proof key 401 ``invalid_token``; in "required" mode bearer tokens
    are refused (401). "allowed" is the default; with "off" ``DPoP ...`` is another scheme, "not
    ours".
    ``access_token`` in the query string or a form body is read when ``ALLOW_QUERY_TOKEN`` /
    ``ALLOW_FORM_TOKEN`` say so; it is a bearer token and gets the same checks. A
    certificate-bound token (RFC 8705) needs the client certificate it is bound to (401
    ``invalid_token`` otherwise), whatever ``MTLS_MODE`` says.
    """

    pipeline = pipeline

    #: This class's own ``AUTH0_JWT``-style settings (whom to trust, how to check tokens),
    #: merged over the project's, e.g. ``{"AUDIENCE": "https://partner-api.example.com"}``.
    #: Each settings set gets its verifier; JWKS clients are shared per URL.
    auth0_jwt_settings = None

    def authenticate(self, request):
        credential = self.get_credential(getattr(request, "_request", request))
        if credential is None:
            return None
        try:
            return self.pipeline.authenticate(credential, request, self.auth0_jwt_settings)
        except errors.AuthFailure as failure:
            raise api_error(failure, credential.scheme) from failure

    def authenticate_header(self, request):
        """The 401 challenge; returning a value is what makes DRF answer 401, not 403."""
        return challenge()

    def get_credential(self, django_request):
        """The one credential sent by the enabled methods, or None; several are a 400.

        Read from the Django request: DRF's ``Request`` forwards attribute reads through
        ``__getattr__``, which costs as much as the rest of a cached verification.
        """
        try:
            found = [credential for credential in (
                credentials.header_credential(django_request),
                credentials.query_credential(django_request),
                credentials.form_credential(django_request)) if credential is not None]
            # RFC 6750 section 2: a client must not use more than one method, also when the
            # other method is one this server has switched off (fail closed: which was meant?).
            if len(found) > 1 or (found and credentials.carries_switched_off_parameter(
                    django_request)):
                raise errors.InvalidRequest("Token sent by more than one method")
        except errors.InvalidRequest as failure:
            raise api_error(failure) from failure
        return found[0] if found else None

