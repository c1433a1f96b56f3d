from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.services.escalation import BATCH_SIZE, sla_sweep


class Command(BaseCommand):
    help = "Fire every SLA escalation step due by now (or by --now); safe to run beside the beat job."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 time with offset to sweep as of (default: the real now).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, now=None, batch_size=BATCH_SIZE, **options):
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now is not an ISO 8601 time: {now}") from error
            if timezone.is_naive(moment):
                raise CommandError("--now needs an offset, e.g. 2026-10-01T09:00:00+08:00")
        else:
            moment = timezone.now()
        result = sla_sweep(now=moment, batch_size=batch_size)
        self.stdout.write(f"Swept {result.timers} timers, fired {result.fired} escalation steps.")
