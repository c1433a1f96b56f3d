from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Managers' dashboards: pages under /dashboard/ and the same figures under /api/v1/dashboard/. The top of
    the code: it reads the selectors of warranty, tickets (and dealer claims once they are in), and nothing
    imports it."""

    name = "dashboards"
    verbose_name = _("Dashboards")
