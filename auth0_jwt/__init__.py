"""Protect Django REST framework views with Auth0 (or any OIDC) RS256 access tokens."""
