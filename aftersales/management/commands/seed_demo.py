import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User

# Each app may offer ``<app>.demo.seed(now=…)``; they run in dependency order.
DEMO_APPS = ["dealers", "warranty", "tickets", "claims"]


class Command(BaseCommand):
    help = "Load demo data: one user per role (passwords printed) and sample data for every page."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even when DJANGO_DEBUG is off.")
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")
        parser.add_argument("--if-empty", action="store_true", help="Seed only when the database has no users yet.")

    def handle(self, *args, force=False, logins_only=False, if_empty=False, **options):
        if if_empty and User.objects.exists():
            logins_only = True
        if not logins_only:
            if not settings.DEBUG and not force:
                raise CommandError("Refusing to create demo accounts with DJANGO_DEBUG off; pass --force.")
            created = seed_users()
            now = timezone.now()
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{app}.demo":
                        raise
                    continue
                module.seed(now=now)
            self.stdout.write(f"Demo data loaded ({len(created)} new users).")
        self.stdout.write("Demo logins (username / password / role):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username:<10} {demo.password:<20} {demo.role.label}")
