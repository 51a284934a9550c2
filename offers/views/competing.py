"""Competing offers (recording what a competitor offers, changing it) and the counter-offer
page (the suggestion to beat the strongest competing offer, and a draft made from it).

Who may: a competing offer or an offer the user does not see is a 404. Recording or changing a
competing offer needs the permission to add or change competing offers and to see pay, and
the counter-offer page the permission to see pay, else 404 (every figure on them is an
amount, and anything a user may not use is a 404 on Closer's pages).
Its "create draft" button needs may_draft_offers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.types import AuthenticatedRequest
from recruiting.pipeline.access import get_application_or_404
from recruiting.pipeline.models import Application

from .. import compensation as engine
from ..access import (
    can_see_compensation,
    get_offer_or_404,
    may_draft_offers,
    visible_competing_offers,
)
from ..competition import CompetingTerms, record_competing_offer, update_competing_offer
from ..counter import LEVER_LABELS, Suggestion, draft_from_suggestion, suggest_counter_offer
from ..letters import repayment_rows
from ..models import CompetingOffer, Offer
from ..page_forms import CompetingForm, CounterForm, PackageForms, package_initial, to_minute
from ..presentation import competing_access_label, offer_access_label
from ..selectors import RateMissing
from ..services import revision_in_progress
from ..terms import OfferError, PackageTerms
from .drafting import COMPONENTS, new_row


def must_handle_competing(user: User, verb: str) -> None:
    if not (can_see_compensation(user) and user.has_perm(f"offers.{verb}_competingoffer")):
        raise Http404("Competing offers are amounts: this needs the permission to see pay.")


def competing_terms(
    forms: PackageForms, *, application: Application | None, deadline: datetime
) -> CompetingTerms:
    data = forms.form.cleaned_data
    return CompetingTerms(
        competitor=data["competitor"],
        deadline=deadline,
        application=application,
        confidence=data["confidence"],
        source=data["source"],
        notes=data["notes"],
        **forms.components(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def record(request: AuthenticatedRequest, application_pk: int) -> HttpResponse:
    application = get_application_or_404(request.user, application_pk)
    must_handle_competing(request.user, "add")
    if "add_row" in request.GET:
        return new_row(request)
    if request.method == "GET":
        forms = PackageForms(CompetingForm, initial={"currency": settings.REPORTING_CURRENCY})
        return render_form(request, forms, application=application)
    forms = PackageForms(CompetingForm, request.POST)
    if "add_row" in request.POST:
        forms = forms.with_new_row(request.POST["add_row"]) or forms
        return render_form(request, forms, application=application)
    if forms.is_valid():
        terms = competing_terms(
            forms, application=application, deadline=forms.form.cleaned_data["deadline"]
        )
        try:
            competing = record_competing_offer(application.candidate, terms, by=request.user)
        except OfferError as error:
            forms.add_service_errors(error)
        else:
            messages.success(request, recorded(competing, "recorded"))
            return redirect("web:application", application.pk)
    return render_form(request, forms, application=application)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    competing = get_object_or_404(
        visible_competing_offers(request.user).select_related(
            "candidate", "competitor", "application__role"
        ),
        pk=pk,
    )
    must_handle_competing(request.user, "change")
    if "add_row" in request.GET:
        return new_row(request)
    application = competing.application
    # The page shows the deadline to the minute: kept as shown, it stays the saved one (which
    # the service checks only when moved, as a deadline may have passed since).
    shown_deadline = to_minute(competing.deadline)
    saved_initial = {
        "competitor": competing.competitor_id,
        "deadline": shown_deadline,
        "confidence": competing.confidence,
        "source": competing.source,
        "notes": competing.notes,
    }
    if request.method == "GET":
        prefetch_related_objects([competing], *COMPONENTS)
        initial, rows = package_initial(PackageTerms(**PackageTerms.components_of(competing)))
        forms = PackageForms(CompetingForm, initial=initial | saved_initial, rows=rows)
        return render_form(request, forms, application=application, competing=competing)
    forms = PackageForms(CompetingForm, request.POST)
    if "add_row" in request.POST:
        forms = forms.with_new_row(request.POST["add_row"]) or forms
        return render_form(request, forms, application=application, competing=competing)
    if forms.is_valid():
        typed = forms.form.cleaned_data["deadline"]
        deadline = competing.deadline if typed == shown_deadline else typed
        terms = competing_terms(forms, application=application, deadline=deadline)
        try:
            competing = update_competing_offer(competing, terms, by=request.user)
        except OfferError as error:
            forms.add_service_errors(error)
        else:
            messages.success(request, recorded(competing, "saved"))
            if application is None:
                return redirect("home")
            return redirect("web:application", application.pk)
    return render_form(request, forms, application=application, competing=competing)


def recorded(competing: CompetingOffer, done: str) -> str:
    text = f"{competing.competitor}'s offer to {competing.candidate.name} {done}."
    if competing.ahead:
        text += " It is ahead of our latest offer: the team is alerted."
    return text


def render_form(
    request: HttpRequest,
    forms: PackageForms,
    *,
    application: Application | None,
    competing: CompetingOffer | None = None,
) -> HttpResponse:
    # Without an application, the page is an outside offer's: `competing` is given.
    response = render(
        request,
        "offers/competing_form.html",
        {
            "package": forms,
            "problems": forms.problems() if forms.form.is_bound else [],
            "application": application,
            "candidate": (
                application.candidate if application else cast(CompetingOffer, competing).candidate
            ),
            "competing": competing,
        },
    )
    if competing is not None:  # a new one's form shows only what the user types
        record_pay_access(
            request,
            kind=PayAccess.Kind.COMPETING_OFFER_FORM,
            obj=competing,
            label=competing_access_label(competing),
        )
    return response


# --- Counter-offers --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def counter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET shows the suggestion for the settings in the address; POST (the same settings)
    works it out again and turns it into our next draft."""
    offer = get_offer_or_404(request.user, pk)
    if not can_see_compensation(request.user):
        raise Http404("A counter-offer is amounts: this needs the permission to see pay.")
    if request.method == "POST" and not may_draft_offers(request.user):
        raise Http404("Drafting offers needs the permission to add offers.")
    source = request.POST if request.method == "POST" else request.GET
    form = CounterForm(source if "measure" in source else None)
    suggestion, problem = None, ""
    if form.is_bound and not form.is_valid():
        problem = "Fix the settings below to see a suggestion."
    else:
        try:
            suggestion = suggest_counter_offer(offer, **form.options())
        except OfferError as error:
            problem = " ".join(error.messages)
        except RateMissing as missing:
            problem = " ".join(missing.messages)
        except engine.CompensationError as error:
            problem = error.message
    if request.method == "POST" and suggestion is not None:
        try:
            draft = draft_from_suggestion(suggestion, by=request.user)
        except OfferError as error:
            problem = " ".join(error.messages)
        else:
            if draft.pk == offer.pk:
                done = f"Draft v{draft.version} changed to the suggestion."
            else:
                done = f"Drafted version {draft.version} from the suggestion."
            messages.success(request, done)
            return redirect("offers:detail", draft.pk)
    response = render(
        request,
        "offers/counter.html",
        {
            "offer": offer,
            "form": form,
            "suggestion": suggestion,
            "changes": changes_of(suggestion),
            "clawback_rows": clawback_rows(suggestion),
            "problem": problem,
            "may_draft": may_draft_offers(request.user),
            "outcome": outcome_of(offer),
            "reporting": settings.REPORTING_CURRENCY,
        },
    )
    record_pay_access(
        request, kind=PayAccess.Kind.COUNTER_OFFER, obj=offer, label=offer_access_label(offer)
    )
    return response


def changes_of(suggestion: Suggestion | None) -> list[tuple[str, Any, str]]:
    if suggestion is None:
        return []
    return [
        (LEVER_LABELS[lever], amount, suggestion.offer.currency_id)
        for lever, amount in suggestion.changes
    ]


def clawback_rows(suggestion: Suggestion | None) -> list[tuple[str, str]]:
    """The proposed clawback's repayment schedule: (months after the start, repaid)."""
    if suggestion is None or suggestion.clawback is None:
        return []
    return [(line.months, line.owed) for line in repayment_rows(suggestion.clawback.repayments)]


def outcome_of(offer: Offer) -> str:
    """What "create draft from suggestion" does to this offer, in words (as
    draft_from_suggestion decides)."""
    if offer.status == Offer.Status.DRAFT:
        return f"Version {offer.version} is a draft: it is changed in place."
    if offer.status == Offer.Status.SENT:
        preparing = revision_in_progress(offer)
        if preparing is not None:
            return (
                f"Version {preparing.version} is being prepared: it is changed to the "
                f"suggestion; version {offer.version} stays with the candidate until it is sent."
            )
        return (
            f"Version {offer.version} is sent: a new draft, version {offer.version + 1}, is made; "
            f"version {offer.version} stays with the candidate until the new one is sent."
        )
    if offer.is_open:
        return (
            f"Version {offer.version} is {offer.get_status_display().lower()}: a new draft, "
            f"version {offer.version + 1}, replaces it."
        )
    return (
        f"Version {offer.version} is {offer.get_status_display().lower()}: a new draft is made "
        "for the application."
    )
