from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from auth0_jwt import health
from auth0_jwt.views import page_not_found

urlpatterns = [
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("api.urls")),
    # Probes: unauthenticated, JSON (auth0_jwt/health.py).
    re_path(r"^healthz/?$", health.healthz, name="healthz"),
    re_path(r"^readyz/?$", health.readyz, name="readyz"),
    path("auth/", include("auth0_jwt.urls")),
    # Last: any other path is a JSON 404, also with DEBUG on.
    re_path(r"", page_not_found),
]

handler400 = "auth0_jwt.views.bad_request"
handler403 = "auth0_jwt.views.permission_denied"
handler404 = "auth0_jwt.views.page_not_found"
handler500 = "auth0_jwt.views.server_error"
