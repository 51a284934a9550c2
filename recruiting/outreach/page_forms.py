"""The application page's outreach form (the admin has its own enroll action). It parses the
choice; services.enroll decides, and a refusal comes back onto the `sequence` field."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from recruiting.pipeline.models import Application

from .models import Enrollment, Sequence, SequenceStep


def enrollable_sequences() -> QuerySet[Sequence]:
    """The sequences that take enrollments: active, with at least one step."""
    return Sequence.objects.filter(
        Exists(SequenceStep.objects.filter(sequence=OuterRef("pk"))), active=True
    ).order_by("name")


class SequenceChoiceField(forms.ModelChoiceField[Sequence]):
    """Names the sequences the candidate is enrolled in already (EnrollForm says which)."""

    enrolled_already: Collection[int] = frozenset()

    def label_from_instance(self, obj: Sequence) -> str:
        return f"{obj.name} (enrolled already)" if obj.pk in self.enrolled_already else obj.name


class EnrollForm(forms.Form):
    sequence = SequenceChoiceField(
        queryset=Sequence.objects.none(),
        empty_label="— choose a sequence —",
        help_text=(
            "Emails go out in the candidate's working hours, from their owner (from you if "
            "they have none)."
        ),
        error_messages={"invalid_choice": "Choose an active sequence that has steps."},
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "outreach")
        super().__init__(*args, **kwargs)
        field = cast(SequenceChoiceField, self.fields["sequence"])
        field.queryset = enrollable_sequences()
        # The choice stays (the service's refusal names the rule), but says so before a click.
        field.enrolled_already = set(
            Enrollment.objects.filter(
                candidate_id=application.candidate_id, status=Enrollment.Status.ACTIVE
            ).values_list("sequence_id", flat=True)
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:enroll", args=[application.pk])
        self.helper.form_id = "enroll-form"
        self.helper.layout = Layout(
            Field("sequence"), Submit("enroll", "Enroll", css_id="enroll-submit")
        )
