from django.urls import path, re_path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("warnings/", views.warnings, name="warnings"),
    re_path(r"^warnings/(?P<pk>[0-9]{1,18})/$", views.warning, name="warning"),
    re_path(r"^(?P<key>[a-z_]{1,32})/export\.(?P<extension>csv|xlsx)$", views.export, name="export"),
    re_path(r"^(?P<key>[a-z_]{1,32})/$", views.section, name="section"),
]
