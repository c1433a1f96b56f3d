from django.urls import path

from warranty import views

app_name = "warranty"

urlpatterns = [
    path("", views.unit_list, name="unit-list"),
    path("register/", views.unit_register, name="unit-register"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("<str:serial>/", views.unit_detail, name="unit-detail"),
]
