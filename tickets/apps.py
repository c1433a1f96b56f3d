from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Repair cases")

    def ready(self):
        from tickets import admin_holidays, labels, scoping  # noqa: F401  (the holiday schedules' admin; labels; who may see what)

        labels.install()
        from warranty.services.policies import register_version_user

        register_version_user(_cases_decided_under)


def _cases_decided_under(version) -> bool:
    """A case's coverage at intake was decided under this warranty policy version."""
    from tickets.models import Ticket

    return Ticket.objects.filter(coverage_policy_version=version).exists()
