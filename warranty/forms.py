from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.forms import ScopedForm
from aftersales.scoping import dealer_id_of
from dealers.models import Dealer
from warranty.api.serializers import EXCLUSION_CHOICES, FAILURE_TYPES
from warranty.engine.explain import FAILURE_LABELS
from warranty.models import ProductModel, RepairRecord

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HypotheticalFaultForm(forms.Form):
    """What the desk asks the caller: the engine answers while the customer is on the phone."""

    claim_date = forms.DateField(label=_("Date of the claim"), widget=DATE_WIDGET)
    usage = forms.IntegerField(label=_("Usage reading (km / hours)"), min_value=0, required=False)
    problem_code = forms.CharField(label=_("Problem code"), max_length=64, required=False)
    component = forms.CharField(label=_("Component code"), max_length=64, required=False)
    quality_problem = forms.BooleanField(
        label=_("Quality problem (not misuse or an excluded cause)"), required=False, initial=True
    )
    serious_safety = forms.BooleanField(label=_("Serious safety fault"), required=False)
    failure_types = forms.MultipleChoiceField(
        label=_("Failure of"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, FAILURE_LABELS.get(code, code)) for code in FAILURE_TYPES],
    )
    needs_assembly_replacement = forms.BooleanField(label=_("Needs an assembly replaced"), required=False)
    assembly_main_part_defect = forms.BooleanField(label=_("Defect of a main part of an assembly"), required=False)
    still_unusable = forms.BooleanField(label=_("Still cannot be used normally after repairs"), required=False)
    serious_fault_persists = forms.BooleanField(label=_("Serious fault persists after repairs"), required=False)
    exclusion = forms.ChoiceField(
        label=_("Excluded cause"), required=False, choices=[("", _("none"))] + EXCLUSION_CHOICES
    )
    handed_in_at = forms.DateTimeField(label=_("In repair since (handed in)"), required=False, widget=DATETIME_WIDGET)
    parts_wait_party = forms.ChoiceField(
        label=_("Delay caused by"), required=False, choices=RepairRecord.WaitParty.choices
    )
    # What a refund depends on (consumer goods): depreciation only when the same model is still available.
    same_model_available = forms.BooleanField(
        label=_("The same model is still available"), required=False, initial=True
    )
    refund_date = forms.DateField(label=_("Refund date (default: the claim date)"), required=False, widget=DATE_WIDGET)


class UnitImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))


class UnitRegistrationForm(ScopedForm):
    """A dealer registers a sold unit (三包回执卡); the desk registers units found at intake."""

    serial = forms.CharField(label=_("Serial number / VIN"), max_length=64)
    product_model = forms.ModelChoiceField(label=_("Model"), queryset=ProductModel.objects.order_by("code"))
    customer_name = forms.CharField(label=_("Customer"), max_length=200)
    customer_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(label=_("Installation / use address"), max_length=300, required=False)
    selling_dealer = forms.ModelChoiceField(
        label=_("Selling dealer"), queryset=Dealer.objects.filter(is_active=True), required=False
    )
    invoice_date = forms.DateField(label=_("Invoice date"), required=False, widget=DATE_WIDGET)
    delivery_date = forms.DateField(label=_("Delivery date"), required=False, widget=DATE_WIDGET)
    installation_date = forms.DateField(label=_("Installation date"), required=False, widget=DATE_WIDGET)
    acceptance_date = forms.DateField(label=_("Acceptance sign-off date"), required=False, widget=DATE_WIDGET)
    price = forms.DecimalField(label=_("Price"), max_digits=12, decimal_places=2, min_value=0, required=False)
    usage_reading = forms.IntegerField(label=_("Usage reading (km / hours)"), min_value=0, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        own = dealer_id_of(user)
        if own is not None:
            # A dealer registers for itself only (the choices hold its own dealer alone).
            self.fields["selling_dealer"].initial = own
            self.fields["selling_dealer"].required = True
