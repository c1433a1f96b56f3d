from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from claims.services.returns import returns_reject_overdue
from claims.services.review import claims_escalate_overdue


class Command(BaseCommand):
    help = "Escalate claims not reviewed by their deadline and reject lines whose old part did not come back."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to sweep as of (default: now)")

    def handle(self, *args, now=None, **options):
        moment = parse_datetime(now) if now else timezone.now()
        if moment is None:
            raise CommandError(f"--now {now!r} is not an ISO date and time")
        escalated = claims_escalate_overdue(now=moment)
        rejected = returns_reject_overdue(now=moment)
        self.stdout.write(f"{escalated} overdue reviews escalated, {rejected} lines rejected (part not returned)")
