"""Outreach's pages: the opt-out link in every email, and the steps taken from the application
page (enroll the candidate in a sequence, mark them replied).

The opt-out page needs no login (the candidate has no account); the signed token is the
authority, and a bad one is a 404. The application page's steps follow the pipeline's move and
log views: an application the user may not see is a 404, and so is a step they may not take.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_http_methods, require_POST

from recruiting.pipeline.views import load_application, render_page

from . import services
from .models import Enrollment
from .selectors import may_run_outreach
from .web_forms import EnrollForm


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    enrollment = services.enrollment_for_token(token)
    if enrollment is None:
        raise Http404("No such opt-out link.")
    if request.method == "POST":
        services.opt_out(enrollment)
        return render(request, "outreach/opted_out.html", {"enrollment": enrollment})
    if enrollment.candidate.do_not_contact:
        # Opted out already (or marked do-not-contact): the link says so rather than ask again.
        return render(request, "outreach/opted_out.html", {"enrollment": enrollment})
    return render(request, "outreach/opt_out.html", {"enrollment": enrollment})


@login_required
@require_POST
def enroll(request: HttpRequest, pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not may_run_outreach(request.user):
        raise Http404("You may see this application but not run outreach from it.")
    candidate = application.candidate
    form = EnrollForm(request.POST, application=application)
    if form.is_valid():
        sequence = form.cleaned_data["sequence"]
        try:
            enrollment = services.enroll(
                candidate, sequence, by=request.user, application=application
            )
        except services.OutreachError as refused:
            form.add_error("sequence", refused)
        else:
            due = format_date(timezone.localtime(enrollment.next_send_at), "j M Y")
            messages.success(
                request,
                f"Enrolled {candidate.name} in {sequence}; step 1 goes out on {due}, "
                "in their working hours.",
            )
            return redirect("pipeline:application", pk=application.pk)
    return render_page(request, application, enroll_form=form)


@login_required
@require_POST
def mark_replied(request: HttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not may_run_outreach(request.user):
        raise Http404("You may see this application but not run outreach from it.")
    # Any of the candidate's enrollments: the page lists them all, whichever role they came from.
    enrollment = get_object_or_404(
        Enrollment, pk=enrollment_pk, candidate_id=application.candidate_id
    )
    try:
        stopped = services.mark_replied(enrollment, by=request.user)
    except services.OutreachError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        plural = "enrollment" if stopped == 1 else "enrollments"
        messages.success(
            request,
            f"{application.candidate.name} replied: {stopped} {plural} marked replied, "
            "no more emails go out.",
        )
    return redirect("pipeline:application", pk=application.pk)
