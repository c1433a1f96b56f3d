from django.urls import include, path

from aftersales.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("me/events/", views.MyEventsView.as_view(), name="api-me-events"),
    path("", include("warranty.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("claims.api.urls")),
    path("dashboard/", include("dashboards.api.urls")),
]
