from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from aftersales.datagen import Plan, generate


class Command(BaseCommand):
    help = (
        "Generate a realistic, reproducible data set with PostgreSQL COPY: dealers, customers and sites, units, "
        "cases with timers, escalations, events, follow-ups and visits, and claims in every state."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True)
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--dealers", type=int, required=True)
        parser.add_argument("--claims", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Same seed and --as-of: same data.")
        parser.add_argument(
            "--as-of",
            default="",
            help="The moment the data set is generated at (ISO date-time, UTC); default: now.",
        )
        parser.add_argument("--prefix", default="G", help="Prefix of every generated number and serial.")
        parser.add_argument("--open-share", type=float, default=0.1, help="Share of cases still open (0-1).")

    def handle(self, *args, units, tickets, dealers, claims, seed, as_of, prefix, open_share, **options):
        if min(units, tickets, dealers, claims) < 0 or not 0 <= open_share <= 1:
            raise CommandError("Counts must not be negative and --open-share must be within 0 and 1.")
        if tickets and not dealers:
            raise CommandError("Cases need at least one dealer (their serving outlets).")
        now = datetime.now(UTC)
        if as_of:
            now = datetime.fromisoformat(as_of)
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        plan = Plan(
            units=units,
            tickets=tickets,
            dealers=dealers,
            claims=claims,
            seed=seed,
            now=now,
            prefix=prefix,
            open_share=open_share,
            progress=lambda text: self.stdout.write(text) or self.stdout.flush(),
        )
        started = datetime.now(UTC)
        try:
            with transaction.atomic():
                counts = generate(plan)
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = (datetime.now(UTC) - started).total_seconds()
        self.stdout.write(", ".join(f"{name} {count:,}" for name, count in counts.items()))
        self.stdout.write(f"Generated in {elapsed:.1f} s.")
