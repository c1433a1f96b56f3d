"""A dealer's 三包 claim: header, lines (labour, parts, other costs), every submission kept as a version, the
automatic checks of each submission, attachments, and the append-only event history."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aftersales.models import Event
from claims import transitions
from claims.models.config import DocumentKind

MONEY = {"max_digits": 12, "decimal_places": 2}


class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = transitions.DRAFT, transitions.STATUS_LABELS[transitions.DRAFT]
        SUBMITTED = transitions.SUBMITTED, transitions.STATUS_LABELS[transitions.SUBMITTED]
        RETURNED = transitions.RETURNED, transitions.STATUS_LABELS[transitions.RETURNED]
        APPROVED = transitions.APPROVED, transitions.STATUS_LABELS[transitions.APPROVED]
        PARTLY_APPROVED = transitions.PARTLY_APPROVED, transitions.STATUS_LABELS[transitions.PARTLY_APPROVED]
        REJECTED = transitions.REJECTED, transitions.STATUS_LABELS[transitions.REJECTED]
        APPEALED = transitions.APPEALED, transitions.STATUS_LABELS[transitions.APPEALED]
        WITHDRAWN = transitions.WITHDRAWN, transitions.STATUS_LABELS[transitions.WITHDRAWN]

    number = models.CharField(_("number"), max_length=20, unique=True)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="claims"
    )
    unit = models.ForeignKey("warranty.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="claims")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("repair case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    programme = models.ForeignKey(
        "claims.ClaimProgramme", verbose_name=_("programme"), on_delete=models.PROTECT, related_name="claims"
    )
    claim_type = models.ForeignKey(
        "claims.ClaimType", verbose_name=_("claim type"), on_delete=models.PROTECT, related_name="claims"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The fault.
    problem_code = models.CharField(_("problem code"), max_length=64)
    fault_description = models.TextField(_("fault description"))
    fault_date = models.DateField(_("fault date"))
    component = models.CharField(_("component"), max_length=64, blank=True)
    serious_safety = models.BooleanField(_("serious safety fault"), default=False)
    # The repair.
    repair_agreed_at = models.DateTimeField(_("repair agreed at"))
    repair_completed_at = models.DateTimeField(_("repair completed at"))
    usage = models.PositiveIntegerField(_("usage reading"), null=True, blank=True)
    # Money, kept equal to the sum of the lines (in the database, by the services).
    claimed_total = models.DecimalField(_("claimed"), **MONEY, default=Decimal(0))
    approved_total = models.DecimalField(_("approved"), **MONEY, default=Decimal(0))
    # The automatic checks of the latest submission that failed (codes), for the queue's filter.
    failed_checks = ArrayField(
        models.CharField(max_length=32), verbose_name=_("failed checks"), default=list, blank=True
    )
    submission_count = models.PositiveSmallIntegerField(_("submissions"), default=0)
    submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("review due by"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("overdue review escalated at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    appeal_count = models.PositiveSmallIntegerField(_("appeals"), default=0)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_reason = models.TextField(_("appeal reason"), blank=True)
    appeal_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appeal reviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    spot_check = models.BooleanField(_("picked for spot check"), default=False)
    repair_record = models.OneToOneField(
        "warranty.RepairRecord",
        verbose_name=_("repair record"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim",
        help_text=_("The unit's repair record that carries this claim's repair (the case's own, if any)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [
            ("submit_claim", _("Can create, submit, correct and appeal the dealer's claims and ship old parts")),
            ("review_claim", _("Can review claims and appraise returned parts")),
            ("settle_claim", _("Can issue settlement statements and post to dealer accounts")),
        ]
        indexes = [
            # The reviewers' queue: claims waiting for a decision, oldest review deadline first.
            models.Index(
                fields=["review_due_at", "id"],
                name="claim_review_queue",
                condition=Q(status__in=transitions.UNDER_REVIEW),
            ),
            # The overdue-review sweep: only claims not escalated yet.
            models.Index(
                fields=["review_due_at"],
                name="claim_review_overdue",
                condition=Q(status__in=transitions.UNDER_REVIEW, escalated_at__isnull=True),
            ),
            # The dealer portal's "my claims" (by status), newest first.
            models.Index(fields=["dealer", "status", "-created_at"], name="claim_dealer_status"),
            # The dashboards: claims first submitted in a period.
            models.Index(fields=["submitted_at"], name="claim_submitted", condition=Q(submitted_at__isnull=False)),
            # The duplicate check: the same unit and problem around a fault date.
            models.Index(fields=["unit", "problem_code", "fault_date"], name="claim_unit_problem_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_total__gte=0)
                & Q(approved_total__gte=0)
                & Q(approved_total__lte=F("claimed_total")),
                name="claim_totals_valid",
            ),
            models.CheckConstraint(
                condition=Q(repair_completed_at__gte=F("repair_agreed_at")), name="claim_completed_after_agreed"
            ),
            # A rejection may be appealed once.
            models.CheckConstraint(condition=Q(appeal_count__lte=1), name="claim_one_appeal"),
            # ... to a different reviewer.
            models.CheckConstraint(
                condition=Q(appeal_reviewer__isnull=True)
                | Q(reviewer__isnull=True)
                | ~Q(appeal_reviewer=F("reviewer")),
                name="claim_appeal_other_reviewer",
            ),
            # One live claim per repair case: the case's repair is claimed (and counted) once.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(ticket__isnull=False) & ~Q(status=transitions.WITHDRAWN),
                name="claim_one_per_case",
            ),
        ]

    def __str__(self):
        return self.number


class ClaimLine(models.Model):
    class Kind(models.TextChoices):
        LABOUR = "labour", _("labour")
        PART = "part", _("part")
        OTHER = "other", _("other cost")

    class CostKind(models.TextChoices):
        NONE = "", _("—")
        TOWING = "towing", _("towing")
        SUBSTITUTE_CAR = "substitute_car", _("substitute car")
        TRAVEL = "travel", _("travel to site")
        ART26 = "art26", _("household-car Art 26 costs")
        OTHER = "other", _("other")

    class Decision(models.TextChoices):
        PENDING = "pending", _("not decided")
        APPROVED = "approved", _("approved")
        REDUCED = "reduced", _("reduced")
        REJECTED = "rejected", _("rejected")

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Labour: operation × flat-rate hours × the dealer's rate.
    operation = models.ForeignKey(
        "claims.LabourOperation",
        verbose_name=_("operation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    standard_hours = models.DecimalField(_("flat-rate hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(_("labour rate"), max_digits=10, decimal_places=2, null=True, blank=True)
    # Parts: number, quantity, price (the price list's on the repair date unless the dealer says otherwise).
    part_number = models.CharField(_("part number"), max_length=64, blank=True)
    part_name = models.CharField(_("part name"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, null=True, blank=True)
    unit_price = models.DecimalField(_("unit price"), **MONEY, null=True, blank=True)
    list_price = models.DecimalField(_("list price"), **MONEY, null=True, blank=True)
    return_required = models.BooleanField(_("old part to be returned"), default=False)
    return_due_on = models.DateField(_("old part due by"), null=True, blank=True)
    part_received_at = models.DateTimeField(_("old part received at"), null=True, blank=True)
    old_part_serial = models.CharField(_("old part's serial"), max_length=64, blank=True)
    # Other costs (towing, substitute car, …).
    cost_kind = models.CharField(_("cost"), max_length=16, choices=CostKind.choices, blank=True, default="")
    claimed_amount = models.DecimalField(_("claimed"), **MONEY)
    # The reviewer's decision on this line.
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    approved_amount = models.DecimalField(_("approved"), **MONEY, null=True, blank=True)
    reason = models.ForeignKey(
        "claims.ReasonCode", verbose_name=_("reason"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    appealed = models.BooleanField(_("appealed"), default=False)

    class Meta:
        ordering = ["claim", "position", "id"]
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        indexes = [
            # The part-return deadline job: required parts not received, on lines not rejected.
            models.Index(
                fields=["return_due_on"],
                name="claimline_return_open",
                condition=Q(return_required=True, part_received_at__isnull=True) & ~Q(decision="rejected"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="claimline_unique_position"),
            models.CheckConstraint(
                condition=Q(claimed_amount__gte=0)
                & (
                    Q(approved_amount__isnull=True)
                    | Q(approved_amount__gte=0, approved_amount__lte=F("claimed_amount"))
                ),
                name="claimline_amounts_valid",
            ),
            models.CheckConstraint(
                condition=(Q(hours__isnull=True) | Q(hours__gt=0))
                & (Q(quantity__isnull=True) | Q(quantity__gt=0))
                & (Q(unit_price__isnull=True) | Q(unit_price__gte=0))
                & (Q(rate__isnull=True) | Q(rate__gte=0)),
                name="claimline_quantities_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="labour") | Q(hours__isnull=False, rate__isnull=False), name="claimline_labour_hours"
            ),
            models.CheckConstraint(
                condition=~Q(kind="part") | (~Q(part_number="") & Q(quantity__isnull=False, unit_price__isnull=False)),
                name="claimline_part_priced",
            ),
            models.CheckConstraint(
                condition=Q(decision="pending", approved_amount__isnull=True)
                | Q(decision="approved", approved_amount=F("claimed_amount"))
                | Q(decision="reduced", reason__isnull=False, approved_amount__lt=F("claimed_amount"))
                | Q(decision="rejected", reason__isnull=False, approved_amount=0),
                name="claimline_decision_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.claim_id}/{self.position} {self.kind}"


class ClaimSubmission(models.Model):
    """One submission of a claim, kept as it was sent: the reviewer sees it and what changed since the last."""

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveSmallIntegerField(_("submission"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(_("as submitted"), default=dict)
    changes = models.JSONField(_("changes since the last submission"), default=list, blank=True)

    class Meta:
        ordering = ["claim", "number"]
        verbose_name = _("claim submission")
        verbose_name_plural = _("claim submissions")
        constraints = [models.UniqueConstraint(fields=["claim", "number"], name="claimsubmission_unique_number")]

    def __str__(self):
        return f"{self.claim_id} #{self.number}"


class ClaimCheck(models.Model):
    """One automatic check of one submission (of the claim, or of one line), with its reason."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="checks")
    submission = models.ForeignKey(
        ClaimSubmission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="checks"
    )
    line = models.ForeignKey(
        ClaimLine, verbose_name=_("line"), on_delete=models.SET_NULL, null=True, blank=True, related_name="checks"
    )
    code = models.CharField(_("check"), max_length=32)
    outcome = models.CharField(_("result"), max_length=8, choices=Outcome.choices)
    proposed_reason = models.ForeignKey(
        "claims.ReasonCode",
        verbose_name=_("proposed reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["submission", "id"]
        verbose_name = _("automatic check")
        verbose_name_plural = _("automatic checks")
        indexes = [models.Index(fields=["claim", "submission"], name="claimcheck_claim_submission")]

    def __str__(self):
        return f"{self.code} {self.outcome}"

    @property
    def passed(self) -> bool:
        return self.outcome == self.Outcome.PASSED

    @property
    def message(self) -> str:
        from claims.services.checks import check_message

        return check_message(self.code, self.outcome, self.params)


class ClaimAttachment(models.Model):
    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to="claim-files/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["claim", "uploaded_at", "id"]
        verbose_name = _("claim attachment")
        verbose_name_plural = _("claim attachments")

    def __str__(self):
        return self.original_name


class ClaimEvent(Event):
    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        indexes = [models.Index(fields=["claim", "at"], name="claimevent_claim_at")]

    def __str__(self):
        return f"{self.claim_id} {self.kind}"


class ClaimRequestKey(models.Model):
    """An ``Idempotency-Key`` seen on a create or submit: a retried request answers with the same claim."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16)
    key = models.CharField(_("key"), max_length=200)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "action", "key"], name="claimrequestkey_unique")]

    def __str__(self):
        return self.key
