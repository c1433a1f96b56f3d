from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Repair cases")

    def ready(self):
        from tickets import admin_holidays, labels, scoping  # noqa: F401  (the holiday schedules' admin; labels; who may see what)

        labels.install()
