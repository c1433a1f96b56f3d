"""Settlement: periodic statements per dealer (《三包费用核销通知》) listing approved lines, each settled once,
and the dealer's account — a ledger of credits and debits whose balance is kept on the account row."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class SettlementStatement(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        CONFIRMED = "confirmed", _("confirmed by the dealer")

    number = models.CharField(_("number"), max_length=20, unique=True)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="statements"
    )
    period_end = models.DateField(_("decided up to"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ISSUED)
    line_count = models.PositiveIntegerField(_("lines"))
    total = models.DecimalField(_("total"), **MONEY)
    # Empty: issued by the periodic statement run (beat), not by a person.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        indexes = [models.Index(fields=["dealer", "-issued_at"], name="statement_dealer_issued")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0) & Q(line_count__gt=0), name="statement_not_empty"),
            models.CheckConstraint(
                condition=Q(status="issued", confirmed_at__isnull=True)
                | Q(status="confirmed", confirmed_at__isnull=False),
                name="statement_confirmation_consistent",
            ),
        ]

    def __str__(self):
        return self.number


class SettlementLine(models.Model):
    """A claim line on a statement: the one-to-one on the line is what settles it exactly once."""

    statement = models.ForeignKey(
        SettlementStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    line = models.OneToOneField(
        "claims.ClaimLine", verbose_name=_("claim line"), on_delete=models.PROTECT, related_name="settlement"
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["statement", "id"]
        verbose_name = _("settled line")
        verbose_name_plural = _("settled lines")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="settlementline_amount_positive")]

    def __str__(self):
        return f"{self.statement_id} {self.line_id}"


class DealerAccount(models.Model):
    """What the maker owes the dealer (positive) or the dealer owes the maker (negative). Changed only with
    its row locked, together with the ledger entry that records the change and the balance after it."""

    dealer = models.OneToOneField(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="account"
    )
    balance = models.DecimalField(_("balance"), **MONEY, default=Decimal(0))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("dealer account")
        verbose_name_plural = _("dealer accounts")

    def __str__(self):
        return f"{self.dealer_id} {self.balance}"


class AccountEntry(models.Model):
    """One credit or debit on a dealer's account (append-only; the database refuses changes)."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("credit (owed to the dealer)")
        DEBIT = "debit", _("debit (owed by the dealer)")

    account = models.ForeignKey(
        DealerAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    statement = models.OneToOneField(
        SettlementStatement,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_entry",
    )
    description = models.CharField(_("description"), max_length=200)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["account", "at", "id"]
        verbose_name = _("account entry")
        verbose_name_plural = _("account entries")
        indexes = [models.Index(fields=["account", "-at"], name="accountentry_account_at")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="accountentry_amount_positive")]

    def __str__(self):
        return f"{self.kind} {self.amount}"
