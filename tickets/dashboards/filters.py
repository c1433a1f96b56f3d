"""The filters every dashboard figure takes: a period of business dates and the case dimensions.

They come from the URL (pages, API and exports read the same parameters, so a view can be bookmarked and
shared) through :class:`DashboardFilterForm`; selectors take the cleaned :class:`DashboardFilters`. Dates are
business dates in ``settings.TIME_ZONE`` (aftersales.dates), never the viewer's zone, so two managers in two
zones see the same figures. The dimension parameters have the names the case queue's filters use, so a
drill-down link carries them to ``/cases/`` unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.api import validation
from aftersales.dates import business_date, business_zone
from tickets.models import Ticket

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
DEFAULT_RISK_HOURS = 4
MAX_RISK_HOURS = 7 * 24


# The dimensions the SLA breakdown can group by (tickets.dashboards.sla.BREAKDOWNS).
GROUPS = [
    ("severity", _("severity")),
    ("channel", _("channel")),
    ("province", _("province")),
    ("outlet", _("outlet")),
    ("engineer", _("engineer")),
    ("product_line", _("product line")),
    ("sla_policy", _("SLA policy")),
]
DEFAULT_GROUP = "severity"


class Granularity:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CHOICES = [(DAY, _("day")), (WEEK, _("week")), (MONTH, _("month"))]


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date  # inclusive
    by: str = Granularity.DAY
    severity: str = ""
    channel: str = ""
    province: str = ""
    outlet: str = ""
    engineer: str = ""
    product_line: str = ""
    customer: int | None = None
    sla_policy: str = ""
    risk_hours: int = DEFAULT_RISK_HOURS
    group: str = DEFAULT_GROUP

    DIMENSIONS = ("severity", "channel", "province", "outlet", "engineer", "product_line", "customer", "sla_policy")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=business_zone())

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=business_zone())

    def ticket_q(self, prefix: str = "") -> Q:
        """The dimension filters as a condition on cases (``prefix`` e.g. ``"ticket__"`` from a timer)."""
        paths = {
            "severity": "severity__code",
            "channel": "channel",
            "province": "site__province",
            "outlet": "serving_outlet__code",
            "engineer": "assigned_engineer__username",
            "product_line": "unit__product_model__product_line__code",
            "customer": "customer_id",
            "sla_policy": "sla_policy__code",
        }
        condition = Q()
        for name, path in paths.items():
            value = getattr(self, name)
            if value not in ("", None):
                condition &= Q(**{prefix + path: value})
        return condition

    def dimension_params(self) -> dict[str, str]:
        """The dimension filters that are set, as URL parameters (the case queue takes the same names)."""
        return {name: str(getattr(self, name)) for name in self.DIMENSIONS if getattr(self, name) not in ("", None)}

    def params(self) -> dict[str, str]:
        """Every filter as URL parameters: links to exports, the API and other sections keep the view."""
        values = {"start": self.start.isoformat(), "end": self.end.isoformat(), "by": self.by}
        values.update(self.dimension_params())
        if self.risk_hours != DEFAULT_RISK_HOURS:
            values["risk_hours"] = str(self.risk_hours)
        if self.group != DEFAULT_GROUP:
            values["group"] = self.group
        return values

    def as_dict(self) -> dict:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


def default_granularity(start: date, end: date) -> str:
    days = (end - start).days + 1
    if days <= 62:
        return Granularity.DAY
    if days <= 366:
        return Granularity.WEEK
    return Granularity.MONTH


PERIOD_REVERSED = "period_reversed"
PERIOD_TOO_LONG = "period_too_long"


class DashboardFilterForm(forms.Form):
    """The URL parameters of every dashboard page, API endpoint and export."""

    start = forms.DateField(
        label=_("from"),
        required=False,
        validators=[validation.DateInRange()],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("to"),
        required=False,
        validators=[validation.DateInRange()],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    by = forms.ChoiceField(label=_("trend by"), choices=Granularity.CHOICES, required=False)
    severity = forms.SlugField(label=_("severity"), max_length=32, required=False)
    channel = forms.ChoiceField(label=_("channel"), choices=[("", "—"), *Ticket.Channel.choices], required=False)
    province = forms.CharField(label=_("province"), max_length=64, required=False)
    outlet = forms.CharField(label=_("outlet"), max_length=32, required=False)
    engineer = forms.CharField(label=_("engineer"), max_length=150, required=False)
    product_line = forms.CharField(label=_("product line"), max_length=32, required=False)
    customer = forms.IntegerField(
        label=_("customer (id)"), required=False, min_value=1, validators=[validation.IntegerInRange(1, 2**63 - 1)]
    )
    sla_policy = forms.CharField(label=_("SLA policy"), max_length=32, required=False)
    risk_hours = forms.IntegerField(
        label=_("at risk within (hours)"), required=False, min_value=1, max_value=MAX_RISK_HOURS
    )
    group = forms.ChoiceField(label=_("compliance by"), choices=GROUPS, required=False)

    def __init__(self, data=None, *, today: date | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.today = today or business_date()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = end or (self.today if start is None else min(self.today, start + timedelta(days=DEFAULT_DAYS - 1)))
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(
                {"end": forms.ValidationError(_("The end is before the start."), PERIOD_REVERSED)}
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                {
                    "end": forms.ValidationError(
                        _("A period of at most %(days)s days."), PERIOD_TOO_LONG, params={"days": MAX_DAYS}
                    )
                }
            )
        cleaned["start"], cleaned["end"] = start, end
        if "by" not in self.errors:
            cleaned["by"] = cleaned.get("by") or default_granularity(start, end)
        return cleaned

    def filters(self) -> DashboardFilters:
        """The cleaned filters (call after ``is_valid()``)."""
        names = {f.name for f in fields(DashboardFilters)}
        values = {name: value for name, value in self.cleaned_data.items() if name in names}
        values = {name: ("" if value is None and name != "customer" else value) for name, value in values.items()}
        if values.get("risk_hours") in ("", None):
            values["risk_hours"] = DEFAULT_RISK_HOURS
        values["group"] = values.get("group") or DEFAULT_GROUP
        return DashboardFilters(**values)


def period_filters(*, start: date, end: date, **dimensions) -> DashboardFilters:
    """Filters built in code (tests, home pages, the beat job), granularity chosen from the span."""
    return DashboardFilters(
        start=start, end=end, by=dimensions.pop("by", default_granularity(start, end)), **dimensions
    )
