from django import forms
from django.utils.translation import gettext_lazy as _

from warranty.api.serializers import FAILURE_TYPES
from warranty.engine.explain import FAILURE_LABELS


class HypotheticalFaultForm(forms.Form):
    """What the desk asks the caller: the engine answers while the customer is on the phone."""

    claim_date = forms.DateField(
        label=_("Date of the claim"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
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


class UnitImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
