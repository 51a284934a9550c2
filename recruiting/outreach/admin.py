"""Outreach in the admin: templates (with their pitch paragraphs and a preview), sequences
(with their steps), enrollments (read-only: they change through outreach.services), and an
"Enroll in a sequence" action on the candidate list."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.db.models import Field as ModelField
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from candidates.models import Candidate
from recruiting.lib.admin_actions import run_action_form
from recruiting.lib.types import admin_user
from recruiting.pipeline.models import Application

from .figures import figures as sequence_figures
from .figures import sequence_reply_rate, with_figures
from .models import (
    NEGATIVE_DELAY,
    Enrollment,
    MessageTemplate,
    PitchParagraph,
    SentMessage,
    Sequence,
    SequenceStep,
)
from .rendering import render_message
from .selectors import may_run_outreach
from .services import (
    OutreachError,
    application_for,
    enroll_many,
    mark_replied,
    note_last_emails,
)
from .template_rules import ALLOWED_VARIABLES

if TYPE_CHECKING:
    from django_stubs_ext import FieldOpts, FieldsetSpec, WithAnnotations

# The candidate the template's change page previews, set per request by change_view: the
# read-only preview field is given only the template.
_preview_request: ContextVar[HttpRequest | None] = ContextVar("preview_request", default=None)
PREVIEW_CHOICES = 200


class PitchParagraphInline(admin.TabularInline[PitchParagraph, MessageTemplate]):
    model = PitchParagraph
    extra = 0
    fields = ("motivator", "text")


def _preview_candidate(request: HttpRequest | None) -> Candidate | None:
    """The chosen candidate; by default the first, by name, whom outreach could write to about
    a role (an email and an open application), else the first with an email."""
    with_email = Candidate.objects.filter(emails__isnull=False).distinct().order_by("name", "id")
    chosen = request.GET.get("preview_candidate", "") if request else ""
    if chosen.isdigit():
        candidate = Candidate.objects.filter(pk=chosen).first()
        if candidate is not None:
            return candidate
    return (
        with_email.filter(applications__status=Application.Status.OPEN).first()
        or with_email.first()
    )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    list_display = ("name", "subject", "updated_at")
    search_fields = ("name", "subject")
    inlines = [PitchParagraphInline]
    readonly_fields = ("preview",)

    class Media:
        css = {"all": ["outreach/template_admin.css"]}
        js = ["outreach/template_admin.js"]

    def formfield_for_dbfield(
        self, db_field: ModelField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "subject":
            assert field is not None  # the subject is an editable CharField: it has a form field
            # A subject with its variables is longer than the admin's 20em text box.
            field.widget.attrs["class"] = "vLargeTextField"  # widened by template_admin.css
        return field

    def get_fieldsets(
        self, request: HttpRequest, obj: MessageTemplate | None = None
    ) -> FieldsetSpec:
        main: tuple[str | None, FieldOpts] = (
            None,
            {
                "fields": ("name", "subject", "body_text", "body_html"),
                "description": "Variables you may use: "
                + ", ".join(f"{{{{ {name} }}}}" for name in ALLOWED_VARIABLES)
                + ". {{ pitch }} is the paragraph below for the candidate's top motivator "
                "(and the second one's, if it weighs 4 or more).",
            },
        )
        if obj is None:
            return [main]
        return [main, ("Preview", {"fields": ("preview",)})]

    def get_readonly_fields(
        self, request: HttpRequest, obj: MessageTemplate | None = None
    ) -> tuple[str, ...]:
        return ("preview",) if obj is not None else ()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        token = _preview_request.set(request)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            # The page is rendered lazily: render it while the request is still known.
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _preview_request.reset(token)

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        removed = getattr(obj, "html_removed", [])
        if removed:
            messages.warning(
                request,
                "Removed from the HTML body, which an email must not carry: "
                + ", ".join(removed)
                + ". Look at the preview: the rest is as you wrote it.",
            )

    @admin.display(description="preview")
    def preview(self, template: MessageTemplate) -> SafeString | str:
        request = _preview_request.get()
        candidate = _preview_candidate(request)
        if candidate is None:
            return "Add a candidate with an email to preview this template."
        # As the email would go: about the application an enrollment would take, from their
        # owner's address.
        application = application_for(candidate)
        role = application.role if application else None
        sender = candidate.owner or (admin_user(request) if request else None)
        # The saved template, as the sending job would render it: not the form's text, which a
        # failed save leaves on the page (and which may not render at all).
        saved = MessageTemplate.objects.filter(pk=template.pk).first()
        if saved is None:
            return ""
        try:
            subject, text, html = render_message(
                saved, candidate=candidate, role=role, sender=sender
            )
        except Exception:  # noqa: BLE001 - a template saved before today's checks
            return "This template cannot be rendered: fix it and save."
        choices = Candidate.objects.filter(emails__isnull=False).distinct().order_by("name", "id")
        return render_to_string(
            "admin/outreach/template_preview.html",
            {
                "candidate": candidate,
                "choices": choices[:PREVIEW_CHOICES],
                "role": role,
                "sender": sender,
                "subject": subject,
                "text": text,
                "html": html,
                "has_html_body": bool(saved.body_html),
            },
        )


class SequenceStepForm(forms.ModelForm[SequenceStep]):
    class Meta:
        model = SequenceStep
        fields = ("position", "template", "delay_business_days")
        error_messages = {"delay_business_days": {"min_value": NEGATIVE_DELAY}}


class SequenceStepFormSet(
    forms.BaseInlineFormSet[SequenceStep, Sequence, forms.ModelForm[SequenceStep]]
):
    def clean(self) -> None:
        super().clean()
        # An enrollment counts its way through the steps by position: renumbering under someone
        # part-way would skip a step or send one twice.
        renumbered = any(
            "position" in form.changed_data for form in self.initial_forms if form.instance.pk
        )
        if renumbered and self.instance.pk:
            under_way = self.instance.enrollments.filter(
                status=Enrollment.Status.ACTIVE, next_position__gt=1
            ).count()
            if under_way:
                raise forms.ValidationError(
                    f"Steps cannot be renumbered while {under_way} candidate(s) are part-way "
                    "through this sequence: add steps at the end, or make a new sequence."
                )


class SequenceStepInline(admin.TabularInline[SequenceStep, Sequence]):
    model = SequenceStep
    form = SequenceStepForm
    formset = SequenceStepFormSet
    extra = 0
    fields = ("position", "template", "delay_business_days")
    autocomplete_fields = ("template",)


class _Figures(TypedDict):
    """The annotations of with_figures that the sequence list reads by name."""

    n_emailed: int
    n_emailed_replied: int


def _figure(annotation: str, description: str) -> Callable[[SequenceAdmin, Sequence], int]:
    """A list column showing one of with_figures' annotations, sortable by it."""

    @admin.display(description=description, ordering=annotation)
    def column(self: SequenceAdmin, sequence: Sequence) -> int:
        value: int = getattr(sequence, annotation)
        return value

    return column


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin[Sequence]):
    list_display = (
        "name",
        "active",
        "send_during_pause",
        "step_count",
        "enrolled",
        "active_enrollments",
        "sent",
        "replied",
        "opted_out",
        "reply_rate",
    )
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = [SequenceStepInline]
    readonly_fields = ("figures",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sequence]:
        return with_figures(super().get_queryset(request))

    def has_delete_permission(self, request: HttpRequest, obj: Sequence | None = None) -> bool:
        # A sequence that enrolled anyone keeps its record: it is made inactive instead.
        if obj is not None and obj.enrollments.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Sequence],
        formset: forms.BaseInlineFormSet[Any, Sequence, Any],
        change: bool,
    ) -> None:
        moved: list[int] = []
        if formset.model is SequenceStep:
            # Steps whose positions changed step aside first: swapping two would otherwise
            # meet the unique position, row by row, before both are saved.
            moved = [
                f.instance.pk
                for f in formset.initial_forms
                if "position" in f.changed_data and f.instance.pk
            ]
            SequenceStep.objects.filter(pk__in=moved).update(position=F("position") + 10_000)
        super().save_formset(request, form, formset, change)
        if moved:
            # Renumbered steps change which email of an enrollment ranks last.
            note_last_emails(Enrollment.objects.filter(sequence=form.instance))

    def get_fieldsets(self, request: HttpRequest, obj: Sequence | None = None) -> FieldsetSpec:
        main: tuple[str | None, FieldOpts] = (
            None,
            {
                "fields": ("name", "active", "send_during_pause"),
                "description": "A sequence that has enrolled anyone cannot be deleted, and its "
                "steps cannot be renumbered while someone is part-way: make it inactive, or "
                "make a new one.",
            },
        )
        if obj is None:
            return [main]
        return [main, ("Figures", {"fields": ("figures",)})]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Sequence | None = None
    ) -> tuple[str, ...]:
        return ("figures",) if obj is not None else ()

    # Each a figure that with_figures annotated on the sequence.
    step_count = _figure("n_steps", "steps")
    enrolled = _figure("n_enrolled", "enrolled")
    active_enrollments = _figure("n_active", "in progress")
    sent = _figure("n_sent", "emails sent")
    replied = _figure("n_replied", "replied")
    opted_out = _figure("n_opted_out", "opted out")

    @admin.display(description="reply rate")
    def reply_rate(self, sequence: WithAnnotations[Sequence, _Figures]) -> str:
        value = sequence_reply_rate(sequence.n_emailed_replied, sequence.n_emailed)
        return "–" if value is None else f"{value}%"

    @admin.display(description="figures")
    def figures(self, sequence: Sequence) -> SafeString:
        return render_to_string(
            "admin/outreach/sequence_figures.html", {"figures": sequence_figures(sequence)}
        )


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin[Enrollment]):
    list_display = (
        "candidate",
        "sequence",
        "status",
        "next_step",
        "enrolled_by",
        "enrolled_at",
    )
    list_filter = ("status", "sequence")
    list_select_related = ("candidate", "sequence", "enrolled_by")
    search_fields = ("candidate__name",)
    date_hierarchy = "enrolled_at"
    actions = ["mark_replied_action"]

    @admin.display(description="next step", ordering="next_send_at")
    def next_step(self, enrollment: Enrollment) -> str:
        """Only an active enrollment has one; its time in UTC, said so."""
        if not enrollment.is_active or enrollment.next_send_at is None:
            return "—"
        due = enrollment.next_send_at.astimezone(UTC)
        return f"Step {enrollment.next_position}, due {due:%-d %b %Y %H:%M} UTC"

    def has_mark_replied_permission(self, request: HttpRequest) -> bool:
        # The right the application page asks too: a reply moves the application on.
        return may_run_outreach(admin_user(request))

    @admin.action(description="Mark replied", permissions=["mark_replied"])
    def mark_replied_action(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        marked, refused, skipped = 0, [], []
        answered: set[int] = set()  # candidates whose enrollments this action stopped
        markable = (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED)
        for enrollment in queryset.select_related("candidate"):
            if enrollment.status not in markable:
                skipped.append(
                    f"{enrollment.candidate} ({enrollment.get_status_display().lower()})"
                )
                continue
            if enrollment.candidate_id in answered and enrollment.is_active:
                continue  # stopped a moment ago, by this action, with another of theirs
            try:
                marked += mark_replied(enrollment, by=admin_user(request))
            except OutreachError as error:
                refused.append(f"{enrollment.candidate}: {' '.join(error.messages)}")
            else:
                answered.add(enrollment.candidate_id)
        self.message_user(request, f"Marked {marked} enrollment(s) as replied.")
        if skipped:
            self.message_user(
                request,
                f"Left as they were, having ended already: {', '.join(skipped)}.",
                messages.WARNING,
            )
        if refused:
            self.message_user(request, " ".join(refused), messages.WARNING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Enrollment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Enrollment | None = None) -> bool:
        return False


@admin.register(SentMessage)
class SentMessageAdmin(admin.ModelAdmin[SentMessage]):
    list_display = ("enrollment", "step", "status", "to_email", "subject", "sender", "sent_at")
    list_filter = ("status",)
    list_select_related = (
        "enrollment__candidate",
        "enrollment__sequence",
        "step__sequence",
        "sender",
    )
    search_fields = ("to_email", "subject", "enrollment__candidate__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SentMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SentMessage | None = None) -> bool:
        return False


# --- The candidate list's "Enroll in a sequence" action (assembled in recruiting/web/admin.py)


class EnrollForm(forms.Form):
    sequence = forms.ModelChoiceField(
        queryset=Sequence.objects.none(),
        help_text="Every selected candidate is enrolled, or none is.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sequence = cast("forms.ModelChoiceField[Sequence]", self.fields["sequence"])
        sequence.queryset = Sequence.objects.filter(active=True)


@admin.action(description="Enroll the selected candidates in a sequence", permissions=["change"])
def enroll_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    def apply(form: EnrollForm) -> str:
        sequence = form.cleaned_data["sequence"]
        enrolled = enroll_many(queryset, sequence, by=admin_user(request))
        return f"Enrolled {len(enrolled)} candidate(s) in {sequence}."

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=EnrollForm,
        title="Enroll in a sequence",
        apply=apply,
    )
