"""Forms of the pipeline admin. Every change they accept is made by a service; their clean()
runs the service's own checks, so a refused change is a message on the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from candidates.models import Candidate, Company

from .models import CLOSING_KINDS, DEFAULT_PIPELINE, Activity, Application, Role, Stage
from .selectors import open_stages
from .services import (
    add_to_pipeline,
    check_add_to_pipeline,
    check_move_stage,
    log_activity,
    move_stage,
)


class MoveStageForm(forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        help_text="Each selected candidate's application in this stage's role moves here.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Stage]", self.fields["stage"]).queryset = open_stages()


class AddToPipelineForm(forms.Form):
    """A role to add candidates to, and where in its pipeline: its first stage by default, or
    the stage of that name in the role (the stage names of the default pipeline: a short list,
    whatever the number of roles)."""

    role = forms.ModelChoiceField(
        queryset=Role.objects.none(),
        empty_label="— choose an open role —",
        error_messages={"invalid_choice": "Choose one of the open roles."},
    )
    stage_name = forms.ChoiceField(
        label="Stage",
        required=False,
        help_text="The role's stage of this name; left as it is, its first stage.",
    )

    def __init__(self, *args: Any, exclude_roles: QuerySet[Role] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        roles = Role.objects.filter(status=Role.Status.OPEN)
        if exclude_roles is not None:
            roles = roles.exclude(pk__in=exclude_roles)
        cast("forms.ModelChoiceField[Role]", self.fields["role"]).queryset = roles.order_by(
            "title", "city"
        )
        names = [name for name, kind, *_ in DEFAULT_PIPELINE if kind not in CLOSING_KINDS]
        cast(forms.ChoiceField, self.fields["stage_name"]).choices = [
            ("", "The role's first stage"),
            *[(name, name) for name in names],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, name = data.get("role"), data.get("stage_name")
        data["stage"] = None
        if role is not None and name:
            stage = role.stages.filter(name=name).first()
            if stage is None:
                self.add_error("stage_name", f"{role} has no stage “{name}”.")
            else:
                data["stage"] = stage
        return data


class MarkLostForm(forms.Form):
    # No reason is preselected: a rushed click must not record a loss to a competitor.
    reason = forms.ChoiceField(
        choices=[("", "— choose why —"), *[c for c in Application.LostReason.choices if c[0]]]
    )
    lost_to = forms.ModelChoiceField(
        queryset=Company.objects.exclude(kind=Company.Kind.OURS).order_by("-kind", "name"),
        required=False,
        label="Lost to",
        help_text="The competitor, when the candidate accepted a competing offer.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ConfirmHireForm(forms.Form):
    """No fields: the page lists who will be hired and asks to confirm."""


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Candidate.objects.none(),
        widget=forms.RadioSelect,
        help_text="The other record is folded into this one and deleted; both histories stay.",
    )

    def __init__(self, *args: Any, candidates: QuerySet[Candidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Candidate]", self.fields["keep"]).queryset = candidates


class ApplicationInlineForm(forms.ModelForm[Application]):
    class Meta:
        model = Application
        fields = ("role", "stage")

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The candidate being edited (given by ApplicationInlineFormSet): on the add page not
        # saved yet, so the instance's candidate_id cannot name them.
        self.instance_candidate = candidate
        if self.instance.pk:
            # An application never changes role; a new role is a new application. Its stage
            # list is its own role's: the stage it is in and those it may move to.
            self.fields["role"].disabled = True
            stage_field = cast("forms.ModelChoiceField[Stage]", self.fields["stage"])
            stage_field.queryset = Stage.objects.filter(
                Q(role_id=self.instance.role_id) & ~Q(kind__in=CLOSING_KINDS)
                | Q(pk=self.instance.stage_id)
            ).select_related("role")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        role, stage = data.get("role"), data.get("stage")
        if self.instance.pk:
            if stage and "stage" in self.changed_data:
                check_move_stage(self.instance, stage)
        elif role:
            check_add_to_pipeline(self.instance_candidate, role, stage)
        return data


class ApplicationInlineFormSet(
    forms.BaseInlineFormSet[Application, Candidate, forms.ModelForm[Application]]
):
    """Adds and moves applications through the pipeline services, never by saving rows."""

    request_user: User | None = None

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "candidate": self.instance}

    def save_new(self, form: forms.ModelForm[Application], commit: bool = True) -> Application:
        return add_to_pipeline(
            self.instance,
            form.cleaned_data["role"],
            stage=form.cleaned_data.get("stage"),
            by=self.request_user,
        )

    def save_existing(
        self, form: forms.ModelForm[Application], obj: Application, commit: bool = True
    ) -> Application:
        if "stage" in form.changed_data:
            return move_stage(obj, form.cleaned_data["stage"], by=self.request_user)
        return obj


class ActivityInlineFormSet(
    forms.BaseInlineFormSet[Activity, Candidate, forms.ModelForm[Activity]]
):
    request_user: User | None = None

    def save_new(self, form: forms.ModelForm[Activity], commit: bool = True) -> Activity:
        data = form.cleaned_data
        return log_activity(
            self.instance,
            kind=data["kind"],
            summary=data["summary"],
            body=data.get("body", ""),
            occurred_at=data.get("occurred_at"),
            by=self.request_user,
        )


class ApplicationAdminForm(forms.ModelForm[Application]):
    class Meta:
        model = Application
        fields = ("candidate", "role", "stage")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        role, stage, candidate = data.get("role"), data.get("stage"), data.get("candidate")
        if self.instance.pk:
            if stage and "stage" in self.changed_data:
                check_move_stage(self.instance, stage)
        elif role and candidate:
            check_add_to_pipeline(candidate, role, stage)
        return data
