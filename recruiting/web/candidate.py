"""A candidate's page in the workspace: who they are and what they weigh, every application
with its stage, their outreach, offers and competing offers, their activities, and the steps a
recruiter takes from there (add to a role's pipeline, log an activity; enroll and draft an
offer on an application's page)."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from candidates.models import MOTIVATORS, Candidate
from candidates.selectors import search_candidates
from offers.access import can_see_compensation, visible_competing_offers, visible_offers
from recruiting.lib.forms import add_service_error
from recruiting.lib.pagination import CappedPaginator
from recruiting.lib.types import AuthenticatedRequest
from recruiting.outreach.models import Enrollment
from recruiting.pipeline.access import sees_every_application, visible_applications
from recruiting.pipeline.forms import AddToPipelineForm
from recruiting.pipeline.models import Activity, Role
from recruiting.pipeline.services import (
    add_candidates_to_pipeline,
    add_to_pipeline,
    log_activity,
)

ACTIVITIES_SHOWN = 30


class CandidateAddForm(AddToPipelineForm):
    """Adding this candidate to a role they are not in yet."""

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "add")
        taken = Role.objects.filter(applications__candidate=candidate)
        super().__init__(*args, exclude_roles=taken, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:candidate", args=[candidate.pk])
        self.helper.form_id = "add-form"
        self.helper.layout = Layout(
            Field("role"),
            Field("stage_name"),
            Submit("add", "Add to the pipeline", css_id="add-submit"),
        )


class CandidateActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, initial=Activity.Kind.NOTE)
    summary = forms.CharField(max_length=Activity._meta.get_field("summary").max_length)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "activity")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("web:candidate", args=[candidate.pk])
        self.helper.form_id = "activity-form"
        self.helper.layout = Layout(
            Field("kind"),
            Field("summary"),
            Field("body"),
            Submit("log", "Log", css_id="log-submit"),
        )


def load_candidate(request: AuthenticatedRequest, pk: int) -> Candidate:
    """A candidate the user may see: anyone who sees every application; a hiring manager,
    those in their roles' pipelines. Anyone else gets a 404."""
    user = request.user
    candidates = Candidate.objects.select_related("current_company", "owner")
    if not sees_every_application(user):
        candidates = candidates.filter(pk__in=visible_applications(user).values("candidate_id"))
    return get_object_or_404(candidates, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def candidate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    person = load_candidate(request, pk)
    may_add = user.has_perm("pipeline.add_application")
    may_log = user.has_perm("pipeline.add_activity")
    add_form = CandidateAddForm(candidate=person) if may_add else None
    activity_form = CandidateActivityForm(candidate=person) if may_log else None
    if request.method == "POST":
        if "add-role" in request.POST:
            if not may_add:
                raise Http404("Adding to a pipeline needs the permission to add applications.")
            add_form = CandidateAddForm(request.POST, candidate=person)
            if add_form.is_valid():
                role, stage = add_form.cleaned_data["role"], add_form.cleaned_data["stage"]
                try:
                    made = add_to_pipeline(person, role, by=user, stage=stage)
                except ValidationError as refused:
                    add_service_error(add_form, refused)
                else:
                    messages.success(
                        request, f"{person.name} is in the pipeline of {role} ({made.stage.name})."
                    )
                    return redirect("web:candidate", pk=person.pk)
        elif "activity-summary" in request.POST:
            if not may_log:
                raise Http404("Logging needs the permission to add activities.")
            activity_form = CandidateActivityForm(request.POST, candidate=person)
            if activity_form.is_valid():
                data = activity_form.cleaned_data
                try:
                    done = log_activity(
                        person,
                        kind=data["kind"],
                        summary=data["summary"],
                        body=data["body"],
                        by=user,
                    )
                except ValidationError as refused:
                    add_service_error(activity_form, refused)
                else:
                    messages.success(request, f"{done.get_kind_display()} logged.")
                    return redirect("web:candidate", pk=person.pk)
    amounts = can_see_compensation(user)
    applications = list(
        visible_applications(user)
        .filter(candidate=person)
        .select_related("role", "stage")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=visible_offers(user).order_by("-version"),
                to_attr="visible_offers",
            )
        )
        .order_by("status", "-stage_entered_at")
    )
    activities = list(
        person.activities.select_related("author", "application__role").order_by(
            "-occurred_at", "-pk"
        )[: ACTIVITIES_SHOWN + 1]
    )
    context = {
        "candidate": person,
        "applications": applications,
        "enrollments": Enrollment.objects.filter(candidate=person)
        .select_related("sequence", "application__role")
        .order_by("-enrolled_at"),
        "competing": visible_competing_offers(user)
        .filter(candidate=person)
        .select_related("competitor", "application__role")
        .order_by("deadline")
        if amounts
        else [],
        "activities": activities[:ACTIVITIES_SHOWN],
        "more_activities": len(activities) > ACTIVITIES_SHOWN,
        "motivators": [(label, getattr(person, field)) for field, label in MOTIVATORS],
        "amounts": amounts,
        "add_form": add_form,
        "activity_form": activity_form,
        "admin_url": reverse("admin:candidates_candidate_change", args=[person.pk])
        if user.is_staff and user.has_perm("candidates.view_candidate")
        else "",
    }
    return render(request, "web/candidate.html", context)


# --- The candidate list, and adding many to a role's pipeline -------------------------------

LIST_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def candidate_list(request: AuthenticatedRequest) -> HttpResponse:
    """Candidates, searched by name, email or company, a page at a time; the chosen ones added
    to a role's pipeline at once (at its first stage or a chosen one of its stages)."""
    user = request.user
    if not sees_every_application(user):
        raise Http404("The candidate list is the recruiters'.")
    may_add = user.has_perm("pipeline.add_application")
    form = AddToPipelineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_add:
            raise Http404("Adding to a pipeline needs the permission to add applications.")
        chosen = Candidate.objects.filter(
            pk__in=[v for v in request.POST.getlist("candidate") if v.isdigit()]
        )
        if not chosen.exists():
            form.add_error(None, "Tick the candidates to add first.")
        elif form.is_valid():
            role, stage = form.cleaned_data["role"], form.cleaned_data["stage"]
            try:
                made, already = add_candidates_to_pipeline(chosen, role, by=user, stage=stage)
            except ValidationError as refused:
                add_service_error(form, refused)
            else:
                where = made[0].stage.name if made else "—"
                text = f"Added {len(made)} to the pipeline of {role}"
                text += f", at {where}." if made else "."
                if already:
                    text += f" Already in it: {', '.join(already)}."
                messages.success(request, text)
                return redirect(request.get_full_path())
    query = request.GET.get("q", "").strip()
    found = search_candidates(Candidate.objects.select_related("current_company", "owner"), query)
    paginator = CappedPaginator(
        found.candidates.order_by("name", "pk"), LIST_PAGE, known_count=found.count
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "web/candidate_list.html",
        {"page": page, "query": query, "form": form, "may_add": may_add},
    )
