from django.urls import path

from aftersales.api.routers import Router
from dashboards.api import views

router = Router()
router.register("warnings", views.WarningViewSet, basename="dashboard-warning")

urlpatterns = [
    path("sla/", views.SLADashboardView.as_view(), name="dashboard-sla"),
    path("quality/", views.QualityDashboardView.as_view(), name="dashboard-quality"),
    path("claims/", views.ClaimsDashboardView.as_view(), name="dashboard-claims"),
    path("scorecard/", views.ScorecardDashboardView.as_view(), name="dashboard-scorecard"),
    *router.urls,
]
