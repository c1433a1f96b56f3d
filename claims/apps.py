from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Dealer claims")

    def ready(self):
        from claims import scoping  # noqa: F401  (the app's part of who may see what)
