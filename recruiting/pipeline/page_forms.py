"""Forms of the application page (the admin has its own, in forms.py). They parse what was
typed; the services decide, and a refusal comes back onto the form (add_service_error)."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.urls import reverse

from .models import CLOSING_KINDS, Activity, Application, Stage


class StageChoiceField(forms.ModelChoiceField[Stage]):
    def label_from_instance(self, obj: Stage) -> str:
        return obj.name  # the role is the page's; str(stage) would read it once per option


class MoveStageForm(forms.Form):
    stage = StageChoiceField(
        queryset=Stage.objects.none(),
        label="Move to",
        empty_label="— choose a stage —",
        help_text="Hired and lost are recorded in the admin.",
        error_messages={"invalid_choice": "Choose one of this role's stages it can move to."},
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        # The role's own stages it may move to: neither the one it is in, nor hired or lost
        # (closing an application is a separate step).
        cast(StageChoiceField, self.fields["stage"]).queryset = (
            Stage.objects.filter(role_id=application.role_id)
            .exclude(kind__in=CLOSING_KINDS)
            .exclude(pk=application.stage_id)
            .order_by("position")
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:move", args=[application.pk])
        self.helper.form_id = "move-form"
        self.helper.layout = Layout(Field("stage"), Submit("move", "Move", css_id="move-submit"))


class LogActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, initial=Activity.Kind.NOTE)
    summary = forms.CharField(
        max_length=Activity._meta.get_field("summary").max_length,
        help_text="What happened, in a line.",
    )
    body = forms.CharField(
        label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "activity")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:log_activity", args=[application.pk])
        self.helper.form_id = "activity-form"
        self.helper.layout = Layout(
            Field("kind"),
            Field("summary"),
            Field("body"),
            Submit("log", "Log activity", css_id="activity-submit"),
        )
