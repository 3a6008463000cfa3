from django.urls import re_path

from . import views

# Each route also accepts a trailing slash, as Express's default (non-strict) routing does.
urlpatterns = [
    re_path(r"^public/?$", views.PublicView.as_view(), name="public"),
    re_path(r"^private/?$", views.PrivateView.as_view(), name="private"),
    re_path(r"^private-scoped/?$", views.PrivateScopedView.as_view(), name="private-scoped"),
    re_path(r"^messages/?$", views.MessagesView.as_view(), name="messages"),
    re_path(r"^admin/?$", views.AdminView.as_view(), name="admin"),
    re_path(r"^org/(?P<org_id>[^/]+)/?$", views.OrganizationView.as_view(), name="org"),
    re_path(r"^roles/?$", views.RolesView.as_view(), name="roles"),
    re_path(r"^premium/?$", views.PremiumView.as_view(), name="premium"),
    re_path(r"^feed/?$", views.FeedView.as_view(), name="feed"),
]
