from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from aftersales import health, views
from aftersales.api.errors import api_not_found, api_server_error
from tickets import search_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/me/", views.account, name="account"),
    path("i18n/language/", views.set_language, name="set_language"),
    path("search/", search_views.search, name="search"),
    path("units/", include("warranty.urls")),
    path("cases/", include("tickets.urls")),
    path("claims/", include("claims.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("aftersales.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.BENCH_URLS:
    from aftersales import bench_views

    urlpatterns += bench_views.urlpatterns


def handler404(request, exception):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
