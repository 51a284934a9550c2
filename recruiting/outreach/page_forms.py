"""The application page's outreach form (the admin has its own enroll action). It parses the
choice; services.enroll decides, and a refusal comes back onto the `sequence` field."""

from __future__ import annotations

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


class EnrollForm(forms.Form):
    sequence = forms.ModelChoiceField(
        queryset=Sequence.objects.none(),
        empty_label="— choose a sequence —",
        help_text=(
            "Emails go out in the candidate's working hours, from their owner (from you if "
            "they have none)."
        ),
        error_messages={"invalid_choice": "Choose an active sequence that has steps."},
    )

    def __init__(self, *args, application: Application, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("prefix", "outreach")
        super().__init__(*args, **kwargs)
        field = self.fields["sequence"]
        field.queryset = enrollable_sequences()
        # The choice stays (the service's refusal names the rule), but says so before a click.
        already = set(
            Enrollment.objects.filter(
                candidate_id=application.candidate_id, status=Enrollment.Status.ACTIVE
            ).values_list("sequence_id", flat=True)
        )
        field.label_from_instance = lambda sequence: (
            f"{sequence.name} (enrolled already)" if sequence.pk in already else sequence.name
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:enroll", args=[application.pk])
        self.helper.form_id = "enroll-form"
        self.helper.layout = Layout(
            Field("sequence"), Submit("enroll", "Enroll", css_id="enroll-submit")
        )
