"""Unit import jobs (CSV / XLSX) run by Celery, with their row-level errors."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitImport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    file = models.FileField(_("file"), upload_to="unit-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Set for a dealer's own import: every row is sold by this dealer."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("units created"), default=0)
    updated_count = models.PositiveIntegerField(_("units updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("units unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("unit import")
        verbose_name_plural = _("unit imports")

    def __str__(self):
        return self.original_name


class UnitImportError(models.Model):
    unit_import = models.ForeignKey(
        UnitImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="errors"
    )
    row = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=64, blank=True)
    code = models.CharField(_("code"), max_length=64)
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        ordering = ["unit_import", "row", "id"]
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        indexes = [models.Index(fields=["unit_import", "row"], name="importerror_import_row")]

    def __str__(self):
        return f"{self.row}: {self.message}"
