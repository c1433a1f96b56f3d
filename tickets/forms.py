from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.api.validation import whole_number
from aftersales.forms import ScopedForm
from aftersales.models import User
from aftersales.roles import Role
from tickets.models import Ticket, WorkLogEntry
from tickets.services.repairs import RepairFacts
from warranty.services.units import REPAIR_ASSEMBLIES, REPAIR_SYSTEMS

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# A text box, not a number box: a browser empties a number box that holds something that is not a number, so
# what was typed would be lost and the error would say the field is empty.
DECIMAL_WIDGET = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices)
    reporter_name = forms.CharField(label=_("Reported by"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    serial = forms.CharField(label=_("Serial number / VIN"), max_length=64, required=False)
    severity = forms.ChoiceField(label=_("Severity"))
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    description = forms.CharField(label=_("Fault description"), widget=forms.Textarea(attrs={"rows": 3}))
    distance_km = forms.IntegerField(label=_("Distance from the outlet (km)"), min_value=0, required=False)
    reported_at = forms.DateTimeField(label=_("Reported at (if earlier)"), required=False, widget=DATETIME_WIDGET)

    def __init__(self, *args, severities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = [(s.code, s.label) for s in severities]


class EngineerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class AssignForm(ScopedForm):
    """Engineers the user may pick: a dealer's people pick among the dealer's own engineers."""

    engineer = EngineerChoiceField(
        label=_("Engineer"),
        queryset=User.objects.filter(groups__name=Role.ENGINEER, is_active=True).order_by("username"),
    )


class WorkLogForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (WorkLogEntry.Kind.CALL, _("call")),
            (WorkLogEntry.Kind.REMOTE, _("remote session")),
            (WorkLogEntry.Kind.VISIT, _("book a visit")),
            (WorkLogEntry.Kind.NOTE, _("note")),
        ],
    )
    appointment_at = forms.DateTimeField(label=_("Appointment"), required=False, widget=DATETIME_WIDGET)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ChargeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("part", _("part")), ("labour", _("labour"))])
    part_number = forms.CharField(label=_("Part number"), max_length=64, required=False)
    serial = forms.CharField(label=_("Part serial"), max_length=64, required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity / hours"), min_value=0.01, max_digits=8, decimal_places=2, widget=DECIMAL_WIDGET
    )
    unit_price = forms.DecimalField(
        label=_("Unit price / rate"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=DECIMAL_WIDGET,
        help_text=_("Parts: empty takes the price list. Labour in warranty: empty is free."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or document"))


class SignForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = forms.CharField(label=_("Customer's name"), max_length=100)
    signature = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("The customer must sign.")})


class QuotationForm(forms.Form):
    """Up to three lines at a time; empty lines are ignored. Prices default to the price list and policy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, 4):
            self.fields[f"kind_{number}"] = forms.ChoiceField(
                label=_("Kind"), choices=[("part", _("part")), ("labour", _("labour"))], required=False
            )
            self.fields[f"part_number_{number}"] = forms.CharField(
                label=_("Part number"), max_length=64, required=False
            )
            self.fields[f"description_{number}"] = forms.CharField(
                label=_("Description"), max_length=200, required=False
            )
            self.fields[f"quantity_{number}"] = forms.DecimalField(
                label=_("Quantity / hours"),
                min_value=0.01,
                max_digits=8,
                decimal_places=2,
                required=False,
                widget=DECIMAL_WIDGET,
            )

    def rows(self) -> list[int]:
        """The form's row numbers of the lines that were filled in, in order (line 1 of the quotation may be
        row 2 of the form)."""
        return [n for n in range(1, 4) if self.cleaned_data.get(f"quantity_{n}")]

    def lines(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "kind": data[f"kind_{n}"] or "part",
                "part_number": data[f"part_number_{n}"],
                "description": data[f"description_{n}"],
                "quantity": data[f"quantity_{n}"],
            }
            for n in self.rows()
        ]

    def add_line_error(self, error) -> bool:
        """A refusal about a line (details ``{"lines.N": [field, ...]}``) beside that line's fields; False when
        the refusal is about no line."""
        rows, placed = self.rows(), False
        for key, names in error.details.items():
            prefix, _dot, number = key.partition(".")
            if prefix != "lines" or not 0 < (whole_number(number) or 0) <= len(rows):
                continue
            for name in names if isinstance(names, list) else [names]:
                field = f"{name}_{rows[int(number) - 1]}"
                if field in self.fields:
                    self.add_error(field, str(error.message))
                    placed = True
        return placed


class DecisionForm(forms.Form):
    approved = forms.TypedChoiceField(
        coerce=lambda value: value == "yes", choices=[("yes", _("approved")), ("no", _("rejected"))]
    )
    customer_name = forms.CharField(label=_("Customer's name"), max_length=100)


class LoanerForm(forms.Form):
    description = forms.CharField(label=_("Substitute unit"), max_length=200)
    serial = forms.CharField(label=_("Serial number"), max_length=64, required=False)


class EscalateForm(forms.Form):
    plan = forms.CharField(label=_("Emergency plan agreed with the customer"), widget=forms.Textarea(attrs={"rows": 2}))


class ComplaintAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to the customer's complaint"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


SCORES = [(value, str(value)) for value in range(5, 0, -1)]


class FollowUpForm(forms.Form):
    attitude = forms.TypedChoiceField(label=_("Service attitude"), choices=SCORES, coerce=int)
    quality = forms.TypedChoiceField(label=_("Repair quality"), choices=SCORES, coerce=int)
    solved = forms.TypedChoiceField(label=_("Fault solved"), choices=SCORES, coerce=int)
    runs_normally = forms.TypedChoiceField(
        label=_("The system runs normally"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("yes")), ("no", _("no"))],
    )
    comments = forms.CharField(label=_("Comments"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class VisitForm(forms.Form):
    checklist = forms.CharField(
        label=_("Checklist"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One item per line; start a line with ! when the item is not in order."),
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confirmed_by = forms.CharField(label=_("Confirmed by (customer)"), max_length=100)

    def checklist_items(self) -> list[dict]:
        items = []
        for line in self.cleaned_data["checklist"].splitlines():
            line = line.strip()
            if line:
                items.append({"item": line.lstrip("!").strip(), "ok": not line.startswith("!")})
        return items


class ResolveForm(forms.Form):
    """The engineer's repair report on resolving; it becomes the unit's repair record (三包 history)."""

    problem_code = forms.CharField(
        label=_("Problem code"), max_length=64, required=False, help_text=_("Required for a case on a unit.")
    )
    quality_problem = forms.BooleanField(label=_("Quality problem"), required=False, initial=True)
    serious_safety = forms.BooleanField(label=_("Serious safety fault"), required=False)
    component = forms.CharField(label=_("Failed component"), max_length=64, required=False)
    assemblies_replaced = forms.MultipleChoiceField(
        label=_("Assemblies replaced"),
        choices=[(code, code) for code in REPAIR_ASSEMBLIES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    main_parts_replaced = forms.CharField(
        label=_("Main parts replaced"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line as system: part, e.g. brake: front caliper."),
    )
    excluded_hours = forms.DecimalField(
        label=_("Excluded hours"), min_value=0, max_digits=8, decimal_places=2, required=False
    )
    usage = forms.IntegerField(label=_("Usage reading"), min_value=0, max_value=2147483647, required=False)
    repair_agreed_at = forms.DateTimeField(label=_("Repair agreed at"), required=False, widget=DATETIME_WIDGET)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_main_parts_replaced(self):
        parts = []
        for line in self.cleaned_data["main_parts_replaced"].splitlines():
            if not line.strip():
                continue
            system, _sep, part = line.partition(":")
            system, part = system.strip(), part.strip()
            if system not in REPAIR_SYSTEMS or not part:
                raise forms.ValidationError(
                    _("Write each line as system: part; systems: %(known)s.") % {"known": ", ".join(REPAIR_SYSTEMS)}
                )
            parts.append({"system": system, "part": part})
        return parts

    def facts(self) -> RepairFacts:
        data = self.cleaned_data
        return RepairFacts(
            problem_code=data["problem_code"],
            quality_problem=data["quality_problem"],
            serious_safety=data["serious_safety"],
            component=data["component"],
            assemblies_replaced=tuple(data["assemblies_replaced"]),
            main_parts_replaced=tuple(data["main_parts_replaced"]),
            excluded_hours=data["excluded_hours"] or 0,
            usage=data["usage"],
            repair_agreed_at=data["repair_agreed_at"],
            findings=data["findings"],
            work_done=data["work_done"],
        )
