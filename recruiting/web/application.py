"""The application page: one candidate in one role's pipeline, our offers and the competition,
the outreach card, and the steps a recruiter takes from there (move the stage, log an activity,
enroll the candidate in a sequence, mark them replied). A step the service refuses comes back
to this page with the refusal on its form.

An application the user may not see is a 404, and so is a step they may not take."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_POST

from offers import compensation as engine
from offers.access import can_see_compensation, may_draft_offers
from offers.competition import standing
from offers.models import CompetingOffer, Offer
from offers.selectors import Market, RateMissing, package_prefetches
from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.formats import exchange_rate, money_in_table
from recruiting.lib.forms import add_service_error, error_text
from recruiting.lib.types import AuthenticatedRequest
from recruiting.outreach import services as outreach
from recruiting.outreach.models import Enrollment
from recruiting.outreach.page_forms import EnrollForm
from recruiting.outreach.selectors import application_section, may_run_outreach
from recruiting.pipeline.access import visible_applications
from recruiting.pipeline.models import Application
from recruiting.pipeline.page_forms import LogActivityForm, MoveStageForm
from recruiting.pipeline.services import log_activity, move_stage

ACTIVITIES_SHOWN = 50  # the latest; the admin keeps them all


@dataclass(frozen=True)
class OfferRow:
    offer: Offer
    year_one: str = ""  # in the reporting currency; empty without view_compensation
    converted: str = ""  # the rate and its date, when the offer is in another currency
    band: str = ""
    problem: str = ""  # why it could not be valued (no rate for its currency, say)


@dataclass(frozen=True)
class CompetingRow:
    competing: CompetingOffer
    summary: str = ""  # Standing.summary; empty without view_compensation
    # A version being prepared beside the one the standing is against (which the candidate
    # holds): the badge says which is which.
    preparing: Offer | None = None


def load_application(user: User, pk: int) -> Application:
    """The application for the page (and for the steps taken from it): the same rule as
    pipeline.access.get_application_or_404, with all the page shows of the row."""
    return get_object_or_404(
        visible_applications(user).select_related(
            "candidate__current_company",
            "candidate__owner",
            "role__hiring_manager",
            "stage",
            "lost_to",
        ),
        pk=pk,
    )


def _offer_rows(offers: list[Offer], market: Market | None) -> list[OfferRow]:
    if market is None:
        return [OfferRow(offer) for offer in offers]
    rows = []
    for offer in offers:
        try:
            valuation = market.value(offer)
        except RateMissing as missing:
            rows.append(OfferRow(offer, problem=error_text(missing)))
            continue
        except engine.CompensationError as error:
            rows.append(OfferRow(offer, problem=str(error)))
            continue
        reporting = valuation.reporting
        converted = ""
        if offer.currency_id != reporting.currency:
            when = f" of {valuation.rate_as_of:%-d %b %Y}" if valuation.rate_as_of else ""
            converted = (
                f"at {exchange_rate(valuation.rate)} {reporting.currency} per "
                f"{offer.currency_id}{when}"
            )
        rows.append(
            OfferRow(
                offer,
                year_one=money_in_table(reporting.year_one, reporting.currency),
                converted=converted,
                band=str(valuation.band_position) if valuation.band_position else "no band",
            )
        )
    return rows


def _competing_rows(
    competing_offers: list[CompetingOffer], offers: list[Offer], market: Market | None
) -> list[CompetingRow]:
    """Each competing offer against the offer it was last compared with, as `ahead` on the row
    says (the version the candidate holds, or the one being prepared before any was sent):
    one of this application's offers, already on the page with its components."""
    ours_by_pk = {offer.pk: offer for offer in offers}
    preparing = next((o for o in offers if o.status in Offer.IN_PROGRESS_STATUSES), None)
    rows = []
    for competing in competing_offers:
        ours = None
        if competing.compared_with_id is not None:
            ours = ours_by_pk.get(competing.compared_with_id) or competing.compared_with
            competing.compared_with = ours
        summary = ""
        if market is not None:
            try:
                result = standing(competing, ours=ours, market=market)
                summary = " ".join(filter(None, (result.summary, result.converted_text)))
            except RateMissing as missing:
                summary = error_text(missing)
            except engine.CompensationError as error:
                summary = str(error)
        rows.append(CompetingRow(competing, summary, preparing if preparing is not ours else None))
    return rows


def render_page(
    request: AuthenticatedRequest,
    application: Application,
    *,
    move_form: MoveStageForm | None = None,
    activity_form: LogActivityForm | None = None,
    enroll_form: EnrollForm | None = None,
) -> HttpResponse:
    """The page, with a form a step refused bound to what was posted."""
    user = request.user
    amounts = can_see_compensation(user)
    # One market for the page: the day's rates and bands read once, whatever the rows.
    market = Market(timezone.localdate()) if amounts else None

    offers = application.offers.select_related("currency", "drafted_by").order_by("-version")
    competing = application.competing_offers.select_related(
        "candidate", "competitor", "currency"
    ).order_by("deadline", "id")
    if amounts:
        offers = offers.prefetch_related(*package_prefetches())
        competing = competing.prefetch_related(*package_prefetches())
    offers_list, competing_list = list(offers), list(competing)
    open_offer = next((offer for offer in offers_list if offer.is_open), None)

    activities = list(application.activities.select_related("author")[: ACTIVITIES_SHOWN + 1])
    may_move = user.has_perm("pipeline.change_application") and not application.is_closed
    may_log = user.has_perm("pipeline.add_activity")
    context = {
        "application": application,
        "candidate": application.candidate,
        "role": application.role,
        "amounts": amounts,
        "now": timezone.now(),
        "reporting_currency": settings.REPORTING_CURRENCY,
        "stage_changes": application.stage_changes.select_related(
            "from_stage", "to_stage", "changed_by"
        ).order_by("-changed_at", "-id"),
        "activities": activities[:ACTIVITIES_SHOWN],
        "more_activities": len(activities) > ACTIVITIES_SHOWN,
        "offer_rows": _offer_rows(offers_list, market),
        "competing_rows": _competing_rows(competing_list, offers_list, market),
        "open_offer": open_offer,
        "may_draft": may_draft_offers(user) and not application.is_closed and open_offer is None,
        "may_record_competing": amounts and user.has_perm("offers.add_competingoffer"),
        "may_edit_competing": amounts and user.has_perm("offers.change_competingoffer"),
        # A refused move is shown even where the form is not offered (a closed application).
        "move_form": move_form or (MoveStageForm(application=application) if may_move else None),
        "activity_form": activity_form
        or (LogActivityForm(application=application) if may_log else None),
        "outreach": application_section(user, application, enroll_form=enroll_form),
    }
    response = render(request, "web/application.html", context)
    if offers_list or competing_list:  # amounts are in their rows
        record_pay_access(
            request,
            kind=PayAccess.Kind.APPLICATION_PAGE,
            obj=application,
            label=f"Application {application.pk}, {application.role.title}",
        )
    return response


@login_required
def application(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render_page(request, load_application(request.user, pk))


@login_required
@require_POST
def move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not request.user.has_perm("pipeline.change_application"):
        raise Http404("You may see this application but not change it.")
    form = MoveStageForm(request.POST, application=application)
    if form.is_valid():
        try:
            moved = move_stage(application, form.cleaned_data["stage"], by=request.user)
        except ValidationError as refused:
            add_service_error(form, refused)
        else:
            messages.success(request, f"{application.candidate.name} moved to {moved.stage.name}.")
            return redirect("web:application", pk=application.pk)
    return render_page(request, application, move_form=form)


@login_required
@require_POST
def log(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not request.user.has_perm("pipeline.add_activity"):
        raise Http404("You may see this application but not change it.")
    form = LogActivityForm(request.POST, application=application)
    if form.is_valid():
        data = form.cleaned_data
        try:
            activity = log_activity(
                application.candidate,
                kind=data["kind"],
                summary=data["summary"],
                body=data["body"],
                by=request.user,
                application=application,
            )
        except ValidationError as refused:
            add_service_error(form, refused)
        else:
            messages.success(request, f"{activity.get_kind_display()} logged.")
            return redirect("web:application", pk=application.pk)
    return render_page(request, application, activity_form=form)


@login_required
@require_POST
def enroll(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not may_run_outreach(request.user):
        raise Http404("You may see this application but not run outreach from it.")
    candidate = application.candidate
    form = EnrollForm(request.POST, application=application)
    if form.is_valid():
        sequence = form.cleaned_data["sequence"]
        try:
            enrollment = outreach.enroll(
                candidate, sequence, by=request.user, application=application
            )
        except outreach.OutreachError as refused:
            form.add_error("sequence", refused)
        else:
            due = format_date(timezone.localtime(enrollment.next_send_at), "j M Y")
            messages.success(
                request,
                f"Enrolled {candidate.name} in {sequence}; step 1 goes out on {due}, "
                "in their working hours.",
            )
            return redirect("web:application", pk=application.pk)
    return render_page(request, application, enroll_form=form)


@login_required
@require_POST
def mark_replied(request: AuthenticatedRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    application = load_application(request.user, pk)
    if not may_run_outreach(request.user):
        raise Http404("You may see this application but not run outreach from it.")
    # Any of the candidate's enrollments: the page lists them all, whichever role they came from.
    enrollment = get_object_or_404(
        Enrollment, pk=enrollment_pk, candidate_id=application.candidate_id
    )
    try:
        stopped = outreach.mark_replied(enrollment, by=request.user)
    except outreach.OutreachError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        plural = "enrollment" if stopped == 1 else "enrollments"
        messages.success(
            request,
            f"{application.candidate.name} replied: {stopped} {plural} marked replied, "
            "no more emails go out.",
        )
    return redirect("web:application", pk=application.pk)
