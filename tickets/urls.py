from django.urls import path

from tickets import search_views, views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("mine/", views.my_cases, name="mine"),
    path("views/", search_views.queue_views, name="queue-views"),
    path("today/", views.today, name="today"),
    path("inbox/", views.inbox, name="inbox"),
    path("followups/", views.followups, name="followups"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup-done"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox-read"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/action/<slug:action>/", views.act, name="act"),
    path("<int:pk>/add/<slug:what>/", views.add_work, name="add"),
    path("<int:pk>/loaners/<int:loaner_pk>/return/", views.loaner_return, name="loaner-return"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/order/", views.order, name="order"),
    path("<int:pk>/signature.png", views.signature, name="signature"),
]
