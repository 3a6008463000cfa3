from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.views import ApiRootView
from auth0_jwt import healthz, page_not_found, readyz

urlpatterns = [
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("api.urls")),
    # Probes: unauthenticated, JSON (auth0_jwt.healthz, auth0_jwt.readyz).
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    path("auth/", include("auth0_jwt.urls")),
    # "/" and "/api/": the routes, with what each asks of the caller (JSON, or a browsable page).
    re_path(r"^(?:api/?)?$", ApiRootView.as_view(), name="root"),
    # Last: any other path is a JSON 404, also with DEBUG on.
    re_path(r"", page_not_found),
]

handler400 = "auth0_jwt.bad_request"
handler403 = "auth0_jwt.permission_denied"
handler404 = "auth0_jwt.page_not_found"
handler500 = "auth0_jwt.server_error"
