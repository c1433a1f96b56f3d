from django.urls import path, register_converter

from dashboards import views
from dashboards.converters import ExportFormat

register_converter(ExportFormat, "export_format")

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/<int:pk>/", views.warning, name="warning"),
    path("<slug:key>/export.<export_format:extension>", views.export, name="export"),
    path("<slug:key>/", views.section, name="section"),
]
