"""The admin of China's State Council holiday schedules: a year on one form (dates listed, checked), or a
small CSV loaded in one step (every row's problem shown, nothing written unless all are right). Both write
through ``tickets.services.holidays.holiday_schedule_save``, which moves the running deadlines affected."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from aftersales.api.validation import whole_number
from aftersales.errors import ApplicationError
from tickets.services.holidays import holiday_schedule_save
from warranty.holidays import library_dates, library_years
from warranty.models import HolidaySchedule
from warranty.services.holidays import holiday_schedule_problems, year_span

RANGE = re.compile(r"\s*(?:\.\.|~|～|–|—|至)\s*")
SEPARATORS = re.compile(r"[\s,;，；、]+")
MAX_RANGE_DAYS = 31
MAX_CSV_BYTES = 64 * 1024
DAY_OFF_WORDS = {"off", "holiday", "day off", "dayoff", "休", "放假", "休息"}
MAKEUP_WORDS = {"workday", "makeup", "make-up", "working day", "班", "上班", "调休上班", "补班"}


def recomputed_message(count: int) -> str:
    return ngettext(
        "The deadlines of %(count)s running case were recomputed.",
        "The deadlines of %(count)s running cases were recomputed.",
        count,
    ) % {"count": count}


def parse_dates(text: str) -> tuple[list[date], list[str]]:
    """Dates listed one per line or separated by commas, and ranges ``2027-02-06..2027-02-13``.
    Returns (dates, problems)."""
    days: list[date] = []
    problems: list[str] = []
    # Join the two ends of a range written with spaces around its sign before splitting on spaces.
    for token in SEPARATORS.split(RANGE.sub("..", text.strip())):
        if not token:
            continue
        ends = token.split("..")
        try:
            parsed = [date.fromisoformat(end) for end in ends] if len(ends) <= 2 else None
        except ValueError:
            parsed = None
        if not parsed:
            problems.append(
                gettext("“%(value)s” is not a date: write 2027-02-06, or a range as 2027-02-06..2027-02-13.")
                % {"value": token}
            )
            continue
        first, last = parsed[0], parsed[-1]
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            problems.append(
                gettext("The range “%(value)s” must run forwards and span at most %(days)s days.")
                % {"value": token, "days": MAX_RANGE_DAYS}
            )
            continue
        days.extend(first + timedelta(days=n) for n in range((last - first).days + 1))
    return sorted(set(days)), problems


def compact(days) -> str:
    """Dates one per line, consecutive days as one range (the form shows what an admin would type)."""
    days = sorted(days)
    lines, start = [], None
    for index, day in enumerate(days):
        start = start or day
        following = days[index + 1] if index + 1 < len(days) else None
        if following != day + timedelta(days=1):
            lines.append(start.isoformat() if start == day else f"{start.isoformat()}..{day.isoformat()}")
            start = None
    return "\n".join(lines)


class DateListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "cols": 32, "placeholder": "2027-02-06..2027-02-13\n2027-04-05"})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return compact(value)
        return value

    def to_python(self, value):
        days, problems = parse_dates(super().to_python(value) or "")
        if problems:
            raise ValidationError(problems)
        return days


class HolidayScheduleForm(forms.ModelForm):
    days_off = DateListField(
        label=capfirst(_("days off")),
        required=False,
        help_text=_(
            "Every day off of the year's holidays, weekend days inside a holiday included: one date or range per "
            "line, e.g. 2027-02-06..2027-02-13."
        ),
    )
    makeup_days = DateListField(
        label=capfirst(_("make-up working days")),
        required=False,
        help_text=_("The Saturdays and Sundays worked instead (调休上班), one per line."),
    )

    class Meta:
        model = HolidaySchedule
        fields = ["year", "days_off", "makeup_days", "source"]

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in ("year", "days_off", "makeup_days")):
            return cleaned
        problems = holiday_schedule_problems(
            year=cleaned.get("year", self.instance.year),
            days_off=cleaned.get("days_off", []),
            makeup_days=cleaned.get("makeup_days", []),
        )
        for name, texts in problems.items():
            for text in texts:
                self.add_error(name if name in self.fields else None, text)
        return cleaned


def parse_csv(upload) -> tuple[list[date], list[date], list[tuple[int, str]]]:
    """A CSV of ``date,kind[,note]`` rows (kind: off / 休 or workday / 班; a header row is optional).
    Returns (days off, make-up days, [(row number, problem)])."""
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return [], [], [(0, gettext("The file is larger than %(kb)s KB.") % {"kb": MAX_CSV_BYTES // 1024})]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            return [], [], [(0, gettext("The file is not UTF-8 or GB18030 text."))]
    days_off, makeup_days, problems = [], [], []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in {"date", "日期"}:
            continue
        kind = cells[1].lower() if len(cells) > 1 else ""
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            problems.append((number, gettext("“%(value)s” is not a date (write 2027-02-06).") % {"value": cells[0]}))
            continue
        if kind in DAY_OFF_WORDS:
            days_off.append(day)
        elif kind in MAKEUP_WORDS:
            makeup_days.append(day)
        else:
            problems.append(
                (
                    number,
                    gettext("“%(value)s” is not a kind: write off (休) or workday (班).") % {"value": cells[1:2][0]}
                    if len(cells) > 1
                    else gettext("Say whether the day is off (休) or a make-up working day (班)."),
                )
            )
    return days_off, makeup_days, problems


class HolidayCsvForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Rows of date,kind — e.g. 2027-02-06,off and 2027-02-14,workday.")
    )
    source = forms.CharField(label=_("source"), max_length=300, required=False)


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(admin.ModelAdmin):
    form = HolidayScheduleForm
    list_display = ("year", "days_off_count", "makeup_list", "library_agrees", "source", "updated_at", "updated_by")
    readonly_fields = ("library_agrees", "updated_at", "updated_by")
    fields = ("year", "days_off", "makeup_days", "source", "library_agrees", "updated_at", "updated_by")
    change_list_template = "admin/warranty/holidayschedule/change_list.html"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        year = whole_number(initial.get("year"), maximum=9999)
        if year is not None:
            initial["year"] = year
        return initial

    def get_fields(self, request, obj=None):
        # What the library knows and who changed it mean something once the year is stored.
        return self.fields if obj else ("year", "days_off", "makeup_days", "source")

    def get_readonly_fields(self, request, obj=None):
        # The year names the row; another year is another schedule.
        return (*self.readonly_fields, "year") if obj else self.readonly_fields

    @admin.display(description=_("days off"))
    def days_off_count(self, obj):
        return len(obj.days_off)

    @admin.display(description=_("make-up working days"))
    def makeup_list(self, obj):
        return ", ".join(day.strftime("%m-%d") for day in sorted(obj.makeup_days)) or "—"

    @admin.display(description=_("Holiday library (chinesecalendar)"))
    def library_agrees(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        if obj.year not in library_years():
            return gettext("does not know this year")
        first, last = year_span(obj.year)
        off, on = library_dates(first, last)
        own_off = {d for d in off if d.year == obj.year} | {d for d in obj.days_off if d.year < obj.year} & off
        own_on = {d for d in on if d.year == obj.year} | {d for d in obj.makeup_days if d.year < obj.year} & on
        if own_off == set(obj.days_off) and own_on == set(obj.makeup_days):
            return gettext("knows this year: the same dates (your entry is used)")
        return gettext("knows this year with other dates (your entry is used)")

    def has_delete_permission(self, request, obj=None):
        # A year's dates are corrected, not removed: removing would silently bring back the gap.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            schedule, recomputed = holiday_schedule_save(
                year=obj.year,
                days_off=data["days_off"],
                makeup_days=data.get("makeup_days", []),
                source=data.get("source", ""),
                actor=request.user,
            )
        except ApplicationError as error:  # the form ran the same checks; a concurrent change lands here
            raise ValidationError(error.message) from error
        obj.pk, obj.created_at, obj.updated_at = schedule.pk, schedule.created_at, schedule.updated_at
        if recomputed:
            messages.info(request, recomputed_message(recomputed))

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="warranty_holidayschedule_import"),
        ]
        return urls + super().get_urls()

    def import_view(self, request):
        """Load a year from a CSV: every row's problem shown, nothing written unless the whole file is right."""
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = HolidayCsvForm(request.POST or None, request.FILES or None)
        problems: list[tuple[int, str]] = []
        preview = None
        if request.method == "POST" and form.is_valid():
            days_off, makeup_days, problems = parse_csv(form.cleaned_data["file"])
            year = form.cleaned_data["year"]
            preview = {"days_off": compact(days_off), "makeup_days": compact(makeup_days)}
            # The rows read are checked by the form's rules too, so one upload shows every problem.
            checks = holiday_schedule_problems(year=year, days_off=days_off, makeup_days=makeup_days)
            problems += [(0, text) for texts in checks.values() for text in texts]
            if not problems:
                schedule, recomputed = holiday_schedule_save(
                    year=year,
                    days_off=days_off,
                    makeup_days=makeup_days,
                    source=form.cleaned_data["source"],
                    actor=request.user,
                )
                self.message_user(
                    request,
                    gettext("The %(year)s schedule was loaded: %(off)s days off, %(on)s make-up working days.")
                    % {"year": year, "off": len(schedule.days_off), "on": len(schedule.makeup_days)},
                    messages.SUCCESS,
                )
                if recomputed:
                    self.message_user(request, recomputed_message(recomputed))
                return redirect(reverse("admin:warranty_holidayschedule_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Load a holiday schedule from CSV"),
            "form": form,
            "problems": problems,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/warranty/holidayschedule/import.html", context)
