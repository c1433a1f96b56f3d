"""Page forms of the dealer portal, the reviewer's pages and finance's pages. Every object a form names is a
choice among what the user may see (``aftersales.forms.ScopedForm``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.forms import ScopedForm
from claims.models import ClaimLine, ClaimType, DocumentKind, LabourOperation, ReasonCode, ReturnItem
from dealers.models import Dealer
from tickets.models import Ticket
from warranty.models import Unit
from warranty.selectors import normalize_serial

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SerialField(forms.ModelChoiceField):
    """A unit named by serial / VIN (spaces and case ignored) among the units the user may see."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(queryset=Unit.objects.all(), to_field_name="serial", **kwargs)

    def to_python(self, value):
        return super().to_python(normalize_serial(value) if isinstance(value, str) else value)

    def prepare_value(self, value):
        return value.serial if isinstance(value, Unit) else value


class ClaimForm(ScopedForm):
    unit = SerialField(
        label=_("Serial number / VIN"), error_messages={"invalid_choice": _("No unit with this serial number.")}
    )
    ticket = forms.ModelChoiceField(queryset=Ticket.objects.all(), required=False, widget=forms.HiddenInput)
    claim_type = forms.ModelChoiceField(
        label=_("Claim type"), queryset=ClaimType.objects.filter(is_active=True), to_field_name="code"
    )
    problem_code = forms.CharField(label=_("Problem code"), max_length=64)
    fault_description = forms.CharField(label=_("Fault description"), widget=forms.Textarea(attrs={"rows": 3}))
    fault_date = forms.DateField(label=_("Fault date"), widget=DATE_WIDGET)
    component = forms.CharField(label=_("Component (code)"), max_length=64, required=False)
    serious_safety = forms.BooleanField(label=_("Serious safety fault"), required=False)
    repair_agreed_at = forms.DateTimeField(label=_("Repair agreed at"), widget=DATETIME_WIDGET)
    repair_completed_at = forms.DateTimeField(label=_("Repair completed at"), widget=DATETIME_WIDGET)
    usage = forms.IntegerField(label=_("Usage reading"), min_value=0, required=False)


class DocumentsForm(forms.Form):
    photo = forms.FileField(label=_("Photo"), required=False)
    repair_record = forms.FileField(label=_("Signed 三包 repair record"), required=False)
    invoice = forms.FileField(label=_("Invoice or receipt"), required=False)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File"))


class LabourLineForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    operation = forms.ModelChoiceField(
        label=_("Operation"),
        queryset=LabourOperation.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
    )
    hours = forms.DecimalField(label=_("Hours"), max_digits=6, decimal_places=2, min_value=0, required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def line(self):
        return {"kind": "labour", **self.cleaned_data}


class PartLineForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    part_number = forms.CharField(label=_("Part number"), max_length=64, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=8, decimal_places=2, min_value=0, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price (empty: price list)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    old_part_serial = forms.CharField(label=_("Old part's serial"), max_length=64, required=False)

    def line(self):
        return {"kind": "part", **self.cleaned_data}


class OtherLineForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    cost_kind = forms.ChoiceField(label=_("Cost"), choices=ClaimLine.CostKind.choices, required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0, required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def line(self):
        return {"kind": "other", **self.cleaned_data}


LabourFormSet = forms.formset_factory(LabourLineForm, extra=2)
PartFormSet = forms.formset_factory(PartLineForm, extra=2)
OtherFormSet = forms.formset_factory(OtherLineForm, extra=1)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReturnForInformationForm(VersionForm):
    note = forms.CharField(label=_("What is needed"), widget=forms.Textarea(attrs={"rows": 2}))


class AppealForm(VersionForm):
    reason = forms.CharField(label=_("Why the decision should change"), widget=forms.Textarea(attrs={"rows": 2}))
    lines = forms.TypedMultipleChoiceField(
        label=_("Lines appealed"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, contested=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(line.pk, f"{line.position}. {line.description}") for line in contested]


class ShipForm(ScopedForm):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
    note = forms.CharField(label=_("Note"), required=False)
    lines = forms.ModelMultipleChoiceField(
        label=_("Old parts in this shipment"), queryset=ClaimLine.objects.all(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, awaiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = awaiting
        self.fields["lines"].label_from_instance = lambda line: (
            f"{line.claim.number} / {line.position}: {line.part_number} {line.old_part_serial}"
        )


class AppraiseForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    appraisal = forms.ChoiceField(label=_("Appraisal"), choices=[c for c in ReturnItem.Appraisal.choices if c[0]])
    note = forms.CharField(label=_("Note"), required=False)


class IssueForm(ScopedForm):
    dealer = forms.ModelChoiceField(
        label=_("Dealer (empty: every dealer with lines to settle)"),
        queryset=Dealer.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
    )
    period_end = forms.DateField(label=_("Lines decided up to"), widget=DATE_WIDGET)


class AccountEntryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("debit", _("debit (owed by the dealer)")), ("credit", _("credit"))]
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    description = forms.CharField(label=_("Description"), max_length=200)


class QueueFilterForm(forms.Form):
    dealer = forms.CharField(label=_("Dealer code"), required=False)
    type = forms.ModelChoiceField(
        label=_("Claim type"), queryset=ClaimType.objects.filter(is_active=True), to_field_name="code", required=False
    )
    check = forms.ChoiceField(label=_("Automatic checks"), required=False)


def reason_choices():
    return [("", "—")] + [(reason.code, str(reason)) for reason in ReasonCode.objects.filter(is_active=True)]
