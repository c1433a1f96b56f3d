"""Unit import from CSV / XLSX: parsed in batches, each batch committed on its own so progress shows and
good rows are kept; rows with errors are reported (row, field, message). Importing the same file again
changes nothing: units are matched by serial number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.api.validation import whole_number
from aftersales.dates import business_date
from aftersales.errors import ApplicationError
from aftersales.scoping import viewer
from dealers.models import Dealer
from warranty.models import Customer, ProductModel, Site, Unit, UnitImport, UnitImportError
from warranty.selectors import normalize_serial
from warranty.services.units import is_registered_late

BATCH_SIZE = 1000
MAX_FILE_BYTES = 50 * 1024 * 1024
FILE_INVALID = "import_file_invalid"
IMPORT_FORBIDDEN = "import_forbidden"

# Column name -> accepted headers (English and Chinese), compared case-insensitively.
COLUMNS = {
    "serial": ("serial", "vin", "serial_number", "序列号", "车架号", "机身号"),
    "model": ("model", "model_code", "型号", "机型"),
    "customer_name": ("customer", "customer_name", "客户", "客户名称", "用户"),
    "customer_phone": ("phone", "customer_phone", "电话", "联系电话"),
    "customer_kind": ("customer_kind", "客户类型"),
    "address": ("address", "site_address", "地址", "安装地址"),
    "province": ("province", "省"),
    "city": ("city", "市"),
    "dealer": ("dealer", "dealer_code", "经销商", "经销商代码"),
    "invoice_date": ("invoice_date", "发票日期", "购机日期"),
    "delivery_date": ("delivery_date", "交付日期", "交车日期"),
    "installation_date": ("installation_date", "安装日期"),
    "acceptance_date": ("acceptance_date", "验收日期"),
    "price": ("price", "价格", "售价"),
    "usage": ("usage", "usage_reading", "里程", "使用时长"),
}
DATE_COLUMNS = ("invoice_date", "delivery_date", "installation_date", "acceptance_date")
COMPARED_FIELDS = (
    "product_model_id",
    "customer_id",
    "site_id",
    "selling_dealer_id",
    "invoice_date",
    "delivery_date",
    "installation_date",
    "acceptance_date",
    "price",
    "usage_reading",
)


@dataclass
class RowProblem:
    row: int
    field: str
    code: str
    message: str


@dataclass
class ParsedRow:
    row: int
    serial: str
    values: dict = field(default_factory=dict)


def check_upload(*, name: str, size: int, head: bytes) -> str:
    """The file kind ("csv" / "xlsx"), or a refusal that says why."""
    suffix = PurePath(name).suffix.lower()
    if size > MAX_FILE_BYTES:
        raise ApplicationError(FILE_INVALID, _("The file is larger than 50 MB."), details={"file": [_("Too large.")]})
    if suffix == ".xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise ApplicationError(
                FILE_INVALID, _("This is not an Excel (.xlsx) file."), details={"file": [_("Not an .xlsx file.")]}
            )
        return "xlsx"
    if suffix == ".csv":
        if b"\x00" in head:
            raise ApplicationError(
                FILE_INVALID, _("This is not a text (CSV) file."), details={"file": [_("Not a CSV file.")]}
            )
        return "csv"
    raise ApplicationError(FILE_INVALID, _("Upload a .csv or .xlsx file."), details={"file": [_("Wrong file type.")]})


@transaction.atomic
def unit_import_create(*, actor, uploaded_file, now: datetime | None = None) -> UnitImport:
    """Store the uploaded file and queue the import job (after commit)."""
    now = now or timezone.now()
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    check_upload(name=uploaded_file.name, size=uploaded_file.size, head=head)
    dealer = None
    scope = viewer(actor)
    if scope.nothing:
        raise ApplicationError(IMPORT_FORBIDDEN, _("You may not import units."), status=403)
    if not scope.everything:
        dealer = Dealer.objects.get(pk=scope.dealer_id)
    job = UnitImport.objects.create(
        file=uploaded_file, original_name=uploaded_file.name[:255], uploaded_by=actor, dealer=dealer, created_at=now
    )
    from aftersales.outbox import outbox_enqueue
    from warranty.tasks import unit_import_run_task

    # Recorded with the job row, published after commit: a broker outage delays the import, never loses it.
    outbox_enqueue(unit_import_run_task, job.pk, now=now)
    return job


def unit_imports_requeue(*, now: datetime, stale_after: timedelta = timedelta(minutes=15)) -> int:
    """Queue again every job still pending or running ``stale_after`` after it was created or started (its
    message was lost before the outbox existed, or its worker died). Harmless for a job that is in fact
    running: the runner's advisory lock turns the second run into a no-op. Returns how many were queued."""
    from aftersales.models import OutboxMessage
    from aftersales.outbox import outbox_enqueue
    from warranty.tasks import unit_import_run_task

    waiting = {
        message.args[0]
        for message in OutboxMessage.objects.filter(task=unit_import_run_task.name, sent_at__isnull=True)
        if message.args
    }
    stale = (
        UnitImport.objects.filter(status__in=[UnitImport.Status.PENDING, UnitImport.Status.RUNNING])
        .filter(Q(started_at__isnull=True, created_at__lt=now - stale_after) | Q(started_at__lt=now - stale_after))
        .exclude(pk__in=waiting)
        .values_list("pk", flat=True)
    )
    queued = 0
    for job_id in stale:
        outbox_enqueue(unit_import_run_task, job_id, now=now)
        queued += 1
    return queued


def read_rows(job: UnitImport):
    """Yield (row number, {column: text}) with the header mapped to column names; row 1 is the header."""
    kind = "xlsx" if job.original_name.lower().endswith(".xlsx") else "csv"
    with job.file.open("rb") as handle:
        if kind == "csv":
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
            reader = csv.reader(text)
            rows = iter(reader)
        else:
            from openpyxl import load_workbook

            sheet = load_workbook(handle, read_only=True, data_only=True).worksheets[0]
            rows = ([cell for cell in row] for row in sheet.iter_rows(values_only=True))
        header = next(rows, None)
        if header is None:
            raise ApplicationError(FILE_INVALID, _("The file is empty."))
        mapping = header_mapping(header)
        for number, cells in enumerate(rows, start=2):
            if not any(cell not in (None, "") for cell in cells):
                continue
            yield number, {name: cells[index] if index < len(cells) else None for name, index in mapping.items()}


def header_mapping(header) -> dict[str, int]:
    aliases = {alias.lower(): name for name, names in COLUMNS.items() for alias in names}
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        name = aliases.get(str(title or "").strip().lower())
        if name and name not in mapping:
            mapping[name] = index
    missing = [name for name in ("serial", "model") if name not in mapping]
    if missing:
        raise ApplicationError(
            FILE_INVALID,
            _("The header row lacks the columns: %s.") % ", ".join(missing),
            details={"file": [_("Missing column %s.") % name for name in missing]},
        )
    return mapping


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("%(value)s is not a date (use YYYY-MM-DD).") % {"value": raw})


class Lookups:
    """Reference data loaded once per job: model and dealer codes are few, customers are batched. A dealer's
    own import knows only its own dealer code: another dealer's code reads as unknown."""

    def __init__(self, *, dealer_id: int | None = None):
        self.models = {code.upper(): pk for code, pk in ProductModel.objects.values_list("code", "id")}
        dealers = Dealer.objects.all() if dealer_id is None else Dealer.objects.filter(pk=dealer_id)
        self.dealers = {code.upper(): pk for code, pk in dealers.values_list("code", "id")}


def parse_row(number: int, cells: dict, lookups: Lookups, *, today: date) -> tuple[ParsedRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def problem(field_name, code, message):
        problems.append(RowProblem(number, field_name, code, str(message)))

    serial = normalize_serial(text(cells.get("serial")))
    if not serial:
        problem("serial", "required", _("A serial number is required."))
    elif len(serial) > 64:
        problem("serial", "too_long", _("At most 64 characters."))
    values: dict = {}
    model_code = text(cells.get("model")).upper()
    if not model_code:
        problem("model", "required", _("A model code is required."))
    elif model_code not in lookups.models:
        problem("model", "unknown_model", _("Unknown model code %s.") % model_code)
    else:
        values["product_model_id"] = lookups.models[model_code]
    dealer_code = text(cells.get("dealer")).upper()
    if dealer_code:
        if dealer_code not in lookups.dealers:
            problem("dealer", "unknown_dealer", _("Unknown dealer code %s.") % dealer_code)
        else:
            values["selling_dealer_id"] = lookups.dealers[dealer_code]
    for name in DATE_COLUMNS:
        try:
            values[name] = parse_date(cells.get(name))
        except ValueError as error:
            problem(name, "invalid_date", error)
            continue
        if values[name] and values[name] > today:
            problem(name, "future_date", _("This date is in the future."))
    price = text(cells.get("price"))
    values["price"] = None
    if price:
        try:
            values["price"] = Decimal(price.replace(",", "")).quantize(Decimal("0.01"))
            if values["price"] < 0:
                problem("price", "negative", _("The price cannot be negative."))
        except InvalidOperation:
            problem("price", "invalid_number", _("%s is not a number.") % price)
    usage = text(cells.get("usage"))
    values["usage_reading"] = None
    if usage:
        reading = whole_number(usage)
        if reading is None:
            problem("usage", "invalid_number", _("The usage reading must be a whole number ≥ 0."))
        else:
            values["usage_reading"] = reading
    customer = text(cells.get("customer_name"))
    values["customer_key"] = (customer[:200], text(cells.get("customer_phone"))[:32]) if customer else None
    kind = text(cells.get("customer_kind")).lower() or Customer.Kind.PERSON
    if kind not in Customer.Kind.values:
        problem("customer_kind", "invalid_choice", _("Use person or organisation."))
    values["customer_kind"] = kind
    values["site"] = (text(cells.get("address"))[:300], text(cells.get("province"))[:64], text(cells.get("city"))[:64])
    if problems:
        return None, problems
    return ParsedRow(number, serial, values), []


def unit_import_run(*, import_id: int, now: datetime | None = None) -> UnitImport:
    """Run one import job. Safe to run twice: a second runner finds the advisory lock taken or the job done,
    and rows are matched by serial so a re-run creates nothing twice."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, import_id])
        if not cursor.fetchone()[0]:
            return UnitImport.objects.get(pk=import_id)
    try:
        return _run(import_id, now)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, import_id])


LOCK_NAMESPACE = 7301  # advisory-lock class of unit import jobs


def _run(import_id: int, now: datetime) -> UnitImport:
    job = UnitImport.objects.get(pk=import_id)
    if job.status in (UnitImport.Status.DONE, UnitImport.Status.FAILED):
        return job
    # A job interrupted mid-way starts again from the top: finished rows come back "unchanged".
    UnitImportError.objects.filter(unit_import=job).delete()
    UnitImport.objects.filter(pk=job.pk).update(
        status=UnitImport.Status.RUNNING,
        started_at=now,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        error_count=0,
        total_rows=None,
    )
    try:
        total = sum(1 for _row in read_rows(job))
        UnitImport.objects.filter(pk=job.pk).update(total_rows=total)
        lookups = Lookups(dealer_id=job.dealer_id)
        today = business_date(now)
        seen: dict[str, int] = {}
        batch: list[tuple[int, dict]] = []
        for number, cells in read_rows(job):
            batch.append((number, cells))
            if len(batch) >= BATCH_SIZE:
                _import_batch_retrying(job, batch, lookups, seen, today=today, now=now)
                batch = []
        if batch:
            _import_batch_retrying(job, batch, lookups, seen, today=today, now=now)
    except ApplicationError as error:
        UnitImport.objects.filter(pk=job.pk).update(
            status=UnitImport.Status.FAILED, failure=str(error.message), finished_at=timezone.now()
        )
    else:
        UnitImport.objects.filter(pk=job.pk).update(status=UnitImport.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _import_batch_retrying(job, batch, lookups, seen, *, today, now) -> None:
    """A unit registered elsewhere between our look-up and our insert fails the batch's transaction;
    the second attempt sees it and treats the row as existing."""
    for attempt in range(3):
        snapshot = dict(seen)
        try:
            _import_batch(job, batch, lookups, seen, today=today, now=now)
            return
        except IntegrityError:
            seen.clear()
            seen.update(snapshot)
            if attempt == 2:
                raise


@transaction.atomic
def _import_batch(job, batch, lookups: Lookups, seen: dict[str, int], *, today: date, now: datetime) -> None:
    problems: list[RowProblem] = []
    rows: list[ParsedRow] = []
    for number, cells in batch:
        parsed, row_problems = parse_row(number, cells, lookups, today=today)
        problems.extend(row_problems)
        if parsed is None:
            continue
        if parsed.serial in seen:
            problems.append(
                RowProblem(
                    number,
                    "serial",
                    "duplicate_in_file",
                    _("Serial %(serial)s already appears in row %(row)d.")
                    % {"serial": parsed.serial, "row": seen[parsed.serial]},
                )
            )
            continue
        seen[parsed.serial] = number
        if job.dealer_id is not None:
            dealer_id = parsed.values.setdefault("selling_dealer_id", job.dealer_id)
            if dealer_id != job.dealer_id:
                problems.append(
                    RowProblem(
                        number, "dealer", "dealer_forbidden", _("You can only import units sold by your own dealer.")
                    )
                )
                continue
        rows.append(parsed)

    existing = {unit.serial: unit for unit in Unit.objects.filter(serial__in=[row.serial for row in rows])}
    customers = _customers_for(rows, now=now)
    sites = _sites_for(rows, customers)
    created, changed, unchanged = [], [], 0
    for row in rows:
        values = row.values
        customer = customers.get(values["customer_key"]) if values["customer_key"] else None
        fields = {name: values.get(name) for name in COMPARED_FIELDS}
        fields["customer_id"] = customer.pk if customer else None
        site = sites.get((fields["customer_id"], values["site"][0])) if customer and values["site"][0] else None
        fields["site_id"] = site.pk if site else None
        unit = existing.get(row.serial)
        if unit is None:
            created.append(
                Unit(
                    serial=row.serial,
                    registered_at=now,
                    registered_by=job.uploaded_by,
                    registered_late=is_registered_late(invoice_date=fields.get("invoice_date"), registered_on=today),
                    **fields,
                )
            )
            continue
        if job.dealer_id is not None and unit.selling_dealer_id != job.dealer_id:
            problems.append(
                RowProblem(
                    row.row, "serial", "serial_exists", _("A unit with this serial number is already registered.")
                )
            )
            continue
        differences = {name: value for name, value in fields.items() if getattr(unit, name) != value}
        if not differences:
            unchanged += 1
            continue
        for name, value in differences.items():
            setattr(unit, name, value)
        unit.version += 1
        changed.append(unit)
    Unit.objects.bulk_create(created, batch_size=BATCH_SIZE)
    Unit.objects.bulk_update(changed, [*COMPARED_FIELDS, "version"], batch_size=BATCH_SIZE)
    UnitImportError.objects.bulk_create(
        [
            UnitImportError(unit_import=job, row=p.row, field=p.field, code=p.code, message=p.message[:500])
            for p in problems
        ],
        batch_size=BATCH_SIZE,
    )
    UnitImport.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(batch),
        created_count=F("created_count") + len(created),
        updated_count=F("updated_count") + len(changed),
        unchanged_count=F("unchanged_count") + unchanged,
        error_count=F("error_count") + len({p.row for p in problems}),
    )


def _customers_for(rows: list[ParsedRow], *, now: datetime) -> dict[tuple[str, str], Customer]:
    """Customers by (name, phone): existing ones reused, missing ones created in one statement."""
    keys = {row.values["customer_key"]: row.values["customer_kind"] for row in rows if row.values["customer_key"]}
    if not keys:
        return {}
    found: dict[tuple[str, str], Customer] = {}
    for customer in Customer.objects.filter(name__in={name for name, _phone in keys}).order_by("id"):
        found.setdefault((customer.name, customer.phone), customer)
    missing = [
        Customer(name=name, phone=phone, kind=kind, created_at=now)
        for (name, phone), kind in keys.items()
        if (name, phone) not in found
    ]
    for customer in Customer.objects.bulk_create(missing):
        found[(customer.name, customer.phone)] = customer
    return found


def _sites_for(rows: list[ParsedRow], customers) -> dict[tuple[int, str], Site]:
    wanted: dict[tuple[int, str], tuple[str, str]] = {}
    for row in rows:
        address, province, city = row.values["site"]
        customer = customers.get(row.values["customer_key"]) if row.values["customer_key"] else None
        if customer and address:
            wanted[(customer.pk, address)] = (province, city)
    if not wanted:
        return {}
    found = {}
    for site in Site.objects.filter(customer_id__in={key[0] for key in wanted}, address__in={key[1] for key in wanted}):
        found.setdefault((site.customer_id, site.address), site)
    missing = [
        Site(customer_id=customer_id, name=address[:200], address=address, province=province, city=city)
        for (customer_id, address), (province, city) in wanted.items()
        if (customer_id, address) not in found
    ]
    for site in Site.objects.bulk_create(missing):
        found[(site.customer_id, site.address)] = site
    return found
