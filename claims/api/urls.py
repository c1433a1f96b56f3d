from rest_framework.routers import SimpleRouter

from claims.api import views

router = SimpleRouter()
router.register("dealers", views.DealerViewSet, basename="dealer")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("part-returns", views.PartReturnViewSet, basename="part-return")
router.register("settlements", views.SettlementViewSet, basename="settlement")
router.register("claim-types", views.ClaimTypeViewSet, basename="claim-type")
router.register("reason-codes", views.ReasonCodeViewSet, basename="reason-code")
router.register("labour-operations", views.LabourOperationViewSet, basename="labour-operation")

urlpatterns = router.urls
