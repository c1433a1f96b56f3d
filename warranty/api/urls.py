from django.db import transaction
from django.urls import path

from aftersales.api.routers import Router
from warranty.api import views

router = Router()
router.register("units", views.UnitViewSet, basename="unit")
router.register("unit-imports", views.UnitImportViewSet, basename="unit-import")
router.register("policies", views.PolicyViewSet, basename="policy")

urlpatterns = [
    path("entitlement/evaluate/", views.EntitlementView.as_view(), name="entitlement-evaluate"),
    path(
        "units/<str:serial>/coverage/",
        transaction.non_atomic_requests(views.UnitCoverageView.as_view()),
        name="unit-coverage",
    ),
    *router.urls,
]
