"""``{% session_token_links %}``: the navbar entries of the browsable API."""
from django import template
from django.urls import NoReverseMatch, reverse

from auth0_jwt._settings import auth0_settings
from auth0_jwt._core.tokens import VerifiedToken

register = template.Library()


@register.inclusion_tag("auth0_jwt/navbar_links.html", takes_context=True)
def session_token_links(context):
    request = context.get("request")
    token = getattr(request, "auth", None)
    try:
        page = reverse("auth0_jwt:token") if auth0_settings.SESSION_TOKEN else None
    except NoReverseMatch:  # the token page is not wired in this project
        page = None
    verified = isinstance(token, VerifiedToken)
    return {
        "token_page": page,
        "forget_url": reverse("auth0_jwt:forget-token") if page else None,
        "sub": token.sub if verified else None,
        "scopes": sorted(token.scopes) if verified else [],
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
