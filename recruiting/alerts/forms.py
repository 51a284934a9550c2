from __future__ import annotations

import zoneinfo
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from . import registry
from .models import AlertPreference

# Region/City names and UTC: the legacy aliases ("US/Pacific", "Etc/GMT+8", "localtime") only
# lengthen a list people scroll through.
LEGACY = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")
TIMEZONES = [("UTC", "UTC")] + [
    (tz, tz.replace("_", " "))
    for tz in sorted(zoneinfo.available_timezones())
    if "/" in tz and not tz.startswith(LEGACY)
]


class PreferencesForm(forms.Form):
    """One choice per kind of alert, and the user's timezone and quiet hours."""

    timezone = forms.ChoiceField(
        choices=TIMEZONES, initial="UTC", help_text="Quiet hours and the 08:00 digest follow it."
    )
    quiet_from = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Quiet from"
    )
    quiet_until = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Quiet until"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = registry.optional_kinds()
        for kind in kinds:
            self.fields[f"kind_{kind.name}"] = forms.ChoiceField(
                label=kind.label + (" (urgent: ignores quiet hours)" if kind.urgent else ""),
                choices=AlertPreference.Mode.choices,
                initial=AlertPreference.Mode.IMMEDIATELY,
                widget=forms.RadioSelect,
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("When each alert reaches you", *[f"kind_{k.name}" for k in kinds]),
            Fieldset(
                "Your time",
                "timezone",
                "quiet_from",
                "quiet_until",
            ),
            Submit("save", "Save preferences"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if (data.get("quiet_from") is None) != (data.get("quiet_until") is None):
            self.add_error("quiet_until", "Give both ends of the quiet hours, or neither.")
        if data.get("quiet_from") and data.get("quiet_from") == data.get("quiet_until"):
            self.add_error("quiet_until", "Quiet hours need an end different from their start.")
        return data

    def modes(self) -> dict[str, str]:
        return {
            name.removeprefix("kind_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_")
        }
