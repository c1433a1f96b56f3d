import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.models import User
from aftersales.scoping import scope_for

COMMON_TIME_ZONES = [
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "UTC",
]


def time_zone_choices():
    others = sorted(zoneinfo.available_timezones() - set(COMMON_TIME_ZONES))
    return [(name, name) for name in COMMON_TIME_ZONES + others]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class ScopedForm(forms.Form):
    """A form whose model choices are narrowed to what ``user`` may see (aftersales.scoping): another
    dealer's object is not a choice, and posting its id gets the field's own "not one of the choices"."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = scope_for(user, field.queryset)
