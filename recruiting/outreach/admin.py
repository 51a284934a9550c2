"""Outreach in the admin: templates (with their pitch paragraphs and a preview), sequences
(with their steps), enrollments (read-only: they change through outreach.services), and an
"Enroll in a sequence" action on the candidate list."""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from candidates.models import Candidate
from recruiting.admin_actions import run_action_form

from .models import (
    NEGATIVE_DELAY,
    Enrollment,
    MessageTemplate,
    PitchParagraph,
    SentMessage,
    Sequence,
    SequenceStep,
)
from .rendering import ALLOWED_VARIABLES, render_message
from .services import OutreachError, enroll_many, mark_replied

# The candidate the template's change page previews, set per request by change_view: the
# read-only preview field is given only the template.
_preview_request: ContextVar[HttpRequest | None] = ContextVar("preview_request", default=None)
PREVIEW_CHOICES = 200


class PitchParagraphInline(admin.TabularInline):
    model = PitchParagraph
    extra = 0
    fields = ("motivator", "text")


def _preview_candidate(request: HttpRequest | None) -> Candidate | None:
    with_email = Candidate.objects.filter(emails__isnull=False).distinct().order_by("name", "id")
    chosen = request.GET.get("preview_candidate", "") if request else ""
    if chosen.isdigit():
        candidate = Candidate.objects.filter(pk=chosen).first()
        if candidate is not None:
            return candidate
    return with_email.first()


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "subject", "updated_at")
    search_fields = ("name", "subject")
    inlines = [PitchParagraphInline]
    readonly_fields = ("preview",)

    def get_fieldsets(self, request, obj=None):  # type: ignore[no-untyped-def]
        main = (
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

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("preview",) if obj is not None else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        token = _preview_request.set(request)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            # The page is rendered lazily: render it while the request is still known.
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _preview_request.reset(token)

    @admin.display(description="preview")
    def preview(self, template: MessageTemplate) -> SafeString | str:
        request = _preview_request.get()
        candidate = _preview_candidate(request)
        if candidate is None:
            return "Add a candidate with an email to preview this template."
        application = (
            candidate.applications.select_related("role__hiring_manager")
            .order_by("-stage_entered_at")
            .first()
        )
        role = application.role if application else None
        subject, text, html = render_message(
            template,
            candidate=candidate,
            role=role,
            sender=request.user if request else None,
        )
        choices = Candidate.objects.filter(emails__isnull=False).distinct().order_by("name", "id")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (c.pk, SafeString(" selected") if c.pk == candidate.pk else "", c.name)
                for c in choices[:PREVIEW_CHOICES]
            ),
        )
        return format_html(
            "<p><label>For <select onchange=\"location.search='preview_candidate='+this.value\">"
            "{}</select></label> {}</p>"
            '<p><b>Subject:</b> <span class="preview-subject">{}</span></p>'
            '<p><b>Text:</b></p><pre style="white-space:pre-wrap">{}</pre>'
            "<p><b>HTML:</b></p>"
            '<iframe sandbox="" style="width:100%;height:20em;border:1px solid #ccc" '
            'srcdoc="{}"></iframe>',
            options,
            f"(role: {role.title}, {role.city})" if role else "(no role: its variables are empty)",
            subject,
            text,
            html,
        )


class SequenceStepForm(forms.ModelForm):
    class Meta:
        model = SequenceStep
        fields = ("position", "template", "delay_business_days")
        error_messages = {"delay_business_days": {"min_value": NEGATIVE_DELAY}}


class SequenceStepInline(admin.TabularInline):
    model = SequenceStep
    form = SequenceStepForm
    extra = 0
    fields = ("position", "template", "delay_business_days")
    autocomplete_fields = ("template",)


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "send_during_pause", "step_count", "active_enrollments")
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = [SequenceStepInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sequence]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_steps=Count("steps", distinct=True),
                n_active=Count(
                    "enrollments",
                    filter=Q(enrollments__status=Enrollment.Status.ACTIVE),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="steps", ordering="n_steps")
    def step_count(self, sequence: Sequence) -> int:
        return sequence.n_steps

    @admin.display(description="active enrollments", ordering="n_active")
    def active_enrollments(self, sequence: Sequence) -> int:
        return sequence.n_active


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = (
        "candidate",
        "sequence",
        "status",
        "next_position",
        "next_send_at",
        "enrolled_by",
        "enrolled_at",
    )
    list_filter = ("status", "sequence")
    list_select_related = ("candidate", "sequence", "enrolled_by")
    search_fields = ("candidate__name",)
    date_hierarchy = "enrolled_at"
    actions = ["mark_replied_action"]

    @admin.action(description="Mark replied", permissions=["view"])
    def mark_replied_action(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        stopped, refused = 0, []
        for enrollment in queryset.select_related("candidate"):
            if enrollment.status != Enrollment.Status.ACTIVE:
                continue  # stopped already, perhaps by this very action for another sequence
            try:
                stopped += mark_replied(enrollment, by=request.user)
            except OutreachError as error:
                refused.append(f"{enrollment.candidate}: {' '.join(error.messages)}")
        self.message_user(request, f"Stopped {stopped} enrollment(s) as replied.")
        if refused:
            self.message_user(request, " ".join(refused), messages.WARNING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(SentMessage)
class SentMessageAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "step", "status", "to_email", "subject", "sender", "sent_at")
    list_filter = ("status",)
    list_select_related = ("enrollment__candidate", "enrollment__sequence", "step", "sender")
    search_fields = ("to_email", "subject", "enrollment__candidate__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


# --- The candidate list's "Enroll in a sequence" action ------------------------------------


class EnrollForm(forms.Form):
    sequence = forms.ModelChoiceField(
        queryset=Sequence.objects.none(),
        help_text="Every selected candidate is enrolled, or none is.",
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["sequence"].queryset = Sequence.objects.filter(active=True)


@admin.action(description="Enroll in a sequence", permissions=["change"])
def enroll_action(modeladmin, request, queryset) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    def apply(form: EnrollForm) -> str:
        sequence = form.cleaned_data["sequence"]
        enrolled = enroll_many(queryset, sequence, by=request.user)
        return f"Enrolled {len(enrolled)} candidate(s) in {sequence}."

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=EnrollForm,
        title="Enroll in a sequence",
        apply=apply,
    )


def extend_candidate_admin(site: admin.AdminSite = admin.site) -> None:
    """Re-registers the Candidate admin with the enroll action, subclassing whichever admin is
    registered now. Called from OutreachConfig.ready(), once every admin module is imported:
    offers re-registers the Candidate admin after this module, and would drop the action."""
    registered = type(site._registry[Candidate])
    if "enroll_action" in registered.actions:
        return

    class CandidateAdmin(registered):  # type: ignore[valid-type, misc]
        actions = [*registered.actions, "enroll_action"]

        enroll_action = enroll_action  # noqa: PIE794

    CandidateAdmin.__name__ = CandidateAdmin.__qualname__ = "CandidateAdmin"
    CandidateAdmin.__module__ = __name__
    site.unregister(Candidate)
    site.register(Candidate, CandidateAdmin)
