from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Repair cases")

    def ready(self):
        from tickets import labels, scoping  # noqa: F401  (the app's part of who may see what)

        labels.install()
