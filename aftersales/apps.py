from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    default = True
    name = "aftersales"
    verbose_name = _("Accounts and shared base")

    def ready(self):
        import aftersales.api.schema  # noqa: F401 - registers the schema extensions
        from aftersales.roles import sync_role_groups

        # Role groups need every app's permissions, which exist only after all migrations ran.
        post_migrate.connect(sync_role_groups, dispatch_uid="aftersales.sync_role_groups")


class ProductAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the product's admin site (closed to dealers' users)."""

    default = False
    default_site = "aftersales.admin_site.ProductAdminSite"
