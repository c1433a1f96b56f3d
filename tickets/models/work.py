"""What happens on a case: attachments, the work log, parts and labour, quotations, loaners, the repair order."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        DOCUMENT = "document", _("document")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="case-files/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["ticket", "uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class WorkLogEntry(models.Model):
    """A call with the customer, a remote session, or an on-site visit (appointment, check-in, check-out)."""

    class Kind(models.TextChoices):
        CALL = "call", _("call")
        REMOTE = "remote", _("remote session")
        VISIT = "visit", _("on-site visit")
        NOTE = "note", _("note")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="work_log"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["ticket", "created_at"]
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="worklog_end_after_start",
            ),
            # At most one visit checked in and not yet out per case.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(kind="visit", started_at__isnull=False, ended_at__isnull=True),
                name="worklog_one_open_visit",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d}"


class ChargeLine(models.Model):
    """A part used or labour done; charged to the customer when the case is out of warranty or excluded."""

    class Kind(models.TextChoices):
        PART = "part", _("part")
        LABOUR = "labour", _("labour")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="charge_lines"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    part_number = models.CharField(_("part number"), max_length=64, blank=True)
    serial = models.CharField(_("part serial"), max_length=64, blank=True)
    quantity = models.DecimalField(_("quantity / hours"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    charged = models.BooleanField(_("charged to the customer"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["ticket", "created_at"]
        verbose_name = _("part or labour line")
        verbose_name_plural = _("parts and labour")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0) & models.Q(unit_price__gte=0), name="chargeline_positive"
            ),
        ]

    def __str__(self):
        return self.description


class RepairOrder(models.Model):
    """《售后维修单》: findings, work, parts, labour, charges, signed by the customer."""

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.PROTECT, related_name="repair_order"
    )
    findings = models.TextField(_("findings"))
    work_done = models.TextField(_("work done"))
    total_charged = models.DecimalField(_("total charged"), max_digits=12, decimal_places=2, default=Decimal(0))
    signer_name = models.CharField(_("signed by"), max_length=100)
    signed_at = models.DateTimeField(_("signed at"))
    signature = models.FileField(_("signature"), upload_to="signatures/%Y/%m/")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")

    def __str__(self):
        return f"{self.ticket_id}"


class Quotation(models.Model):
    """Out of warranty or an excluded cause: priced lines the customer approves before work continues."""

    class Status(models.TextChoices):
        SENT = "sent", _("waiting for the customer")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="quotations"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SENT)
    lines = models.JSONField(
        _("lines"),
        default=list,
        help_text=_('[{"kind", "description", "part_number", "quantity", "unit_price", "amount"}]'),
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by_name = models.CharField(_("decided by (customer)"), max_length=100, blank=True)

    class Meta:
        ordering = ["ticket", "-created_at"]
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(status="sent"), name="quotation_one_open"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.total}"


class Loaner(models.Model):
    """A substitute unit lent while the case is open, until it comes back."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="loaners"
    )
    description = models.CharField(_("substitute unit"), max_length=200)
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    lent_at = models.DateTimeField(_("lent at"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ticket", "lent_at"]
        verbose_name = _("loaner")
        verbose_name_plural = _("loaners")
        indexes = [
            # "Loaners out" on the desk's dashboard.
            models.Index(fields=["lent_at"], name="loaner_out", condition=models.Q(returned_at__isnull=True)),
        ]

    def __str__(self):
        return self.description


class FollowUp(models.Model):
    """The follow-up call after a case is resolved (回访), with the customer's satisfaction survey."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        DONE = "done", _("done")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="followups"
    )
    resolved_at = models.DateTimeField(_("case resolved at"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    attitude = models.PositiveSmallIntegerField(_("service attitude (1–5)"), null=True, blank=True)
    quality = models.PositiveSmallIntegerField(_("repair quality (1–5)"), null=True, blank=True)
    solved = models.PositiveSmallIntegerField(_("fault solved (1–5)"), null=True, blank=True)
    runs_normally = models.BooleanField(_("the system runs normally"), null=True, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    complaint = models.BooleanField(_("became a complaint"), default=False)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")
        indexes = [
            # The desk's "follow-ups due today / this week".
            models.Index(fields=["due_at"], name="followup_pending_due", condition=models.Q(status="pending")),
            # Dashboards: follow-ups against plan count every follow-up due in a period, whatever its status.
            models.Index(fields=["due_at"], name="followup_due"),
            # Dashboards: satisfaction and complaints read the surveys done in a period.
            models.Index(fields=["done_at"], name="followup_done", condition=models.Q(status="done")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(status="pending"), name="followup_one_pending"
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(
                    attitude__gte=1,
                    attitude__lte=5,
                    quality__gte=1,
                    quality__lte=5,
                    solved__gte=1,
                    solved__lte=5,
                    runs_normally__isnull=False,
                ),
                name="followup_done_has_survey",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.status}"


class RepairReport(models.Model):
    """What the engineer reports on resolving a case: the repair facts the unit's 三包 history keeps (household
    car rules Art 17) and the entitlement engine counts. Resolving again (after a reopen) updates it."""

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, related_name="repair_report"
    )
    problem_code = models.CharField(_("problem code"), max_length=64, blank=True)
    quality_problem = models.BooleanField(
        _("quality problem"), default=True, help_text=_("Not one: misuse or another excluded cause (not counted).")
    )
    serious_safety = models.BooleanField(_("serious safety fault"), default=False)
    component = models.CharField(_("failed component"), max_length=64, blank=True)
    assemblies_replaced = ArrayField(
        models.CharField(max_length=32), verbose_name=_("assemblies replaced"), default=list, blank=True
    )
    main_parts_replaced = models.JSONField(
        _("main parts replaced"), default=list, blank=True, help_text=_('A list of {"system": …, "part": …}.')
    )
    excluded_hours = models.DecimalField(
        _("excluded hours"),
        max_digits=8,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("Transport of special parts or batteries, roadside-rescue travel: not repair time."),
    )
    usage = models.PositiveIntegerField(_("usage reading at the repair"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("repair agreed at"))
    handed_in_at = models.DateTimeField(_("handed in at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), on_delete=models.PROTECT, related_name="+"
    )
    repair_record = models.OneToOneField(
        "warranty.RepairRecord",
        verbose_name=_("repair record of the unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("repair report")
        verbose_name_plural = _("repair reports")
        constraints = [
            models.CheckConstraint(condition=models.Q(excluded_hours__gte=0), name="repairreport_hours_not_negative"),
            models.CheckConstraint(
                condition=models.Q(agreed_at__lte=models.F("resolved_at")), name="repairreport_agreed_before_resolved"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.problem_code}"
