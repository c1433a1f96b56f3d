from django.urls import path

from aftersales.api.routers import Router
from tickets.api import views

router = Router()
router.register("calendars", views.CalendarViewSet, basename="calendar")
router.register("sla-policies", views.SLAPolicyViewSet, basename="sla-policy")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("followups", views.FollowUpViewSet, basename="followup")

urlpatterns = [
    path("sla/preview/", views.SLAPreviewView.as_view(), name="sla-preview"),
    *router.urls,
]
