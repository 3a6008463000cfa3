"""URLs of the token page: ``path("auth/", include("auth0_jwt.urls"))``."""
from django.urls import re_path

from auth0_jwt._dev import token_page

app_name = "auth0_jwt"

urlpatterns = [
    re_path(r"^token/?$", token_page.token_page, name="token"),
    re_path(r"^token/forget/?$", token_page.forget_token, name="forget-token"),
]
