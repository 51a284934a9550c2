"""The offer form: drafting an offer, changing a draft, revising a submitted offer into a new
version, and the live preview of what the terms being typed pay.

Who may: the page is about an application (or an offer) the user sees, and drafting needs
may_draft_offers (add_offer and view_compensation); anything else is a 404, as the issue asks
of every page (the application's own page tells its hiring manager what they may do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.form_keys import form_key_exempt
from recruiting.lib.formats import money_in_sentence
from recruiting.lib.types import AuthenticatedRequest
from recruiting.pipeline.access import get_application_or_404
from recruiting.pipeline.models import Application

from .. import compensation as engine
from ..access import get_offer_or_404, may_draft_offers, visible_competing_offers
from ..models import CompetingOffer, Offer
from ..page_forms import (
    FORMSETS,
    MAX_ROWS,
    OfferForm,
    PackageForms,
    VestingFormSet,
    labelled,
    package_initial,
    to_minute,
)
from ..presentation import COMPONENT_NOUNS, offer_access_label
from ..selectors import Market, OfferValuation, RateMissing, package_prefetches
from ..services import (
    approvals_for,
    draft_offer,
    revise_offer,
    revision_in_progress,
    update_draft,
)
from ..terms import OfferError, OfferTerms, PackageTerms, check_package

# Typing a date is not typing money: the preview values the package whatever the dates say.
NOT_MONEY = ("kind", "start_date", "expires_at")
COMPONENTS = package_prefetches()
# The prefix of a grant's years: equity-<row>-years.
GRANT_YEARS = re.compile(r"equity-(\d{1,2})-years")


def must_draft(user: User) -> None:
    if not may_draft_offers(user):
        raise Http404("Drafting offers needs the permission to add offers and see pay.")


@login_required
@require_http_methods(["GET", "POST"])
def draft(request: AuthenticatedRequest, application_pk: int) -> HttpResponse:
    application = get_application_or_404(request.user, application_pk)
    must_draft(request.user)
    if "add_row" in request.GET:
        return new_row(request)
    if application.is_closed:
        messages.error(
            request,
            f"The application is {application.get_status_display().lower()}: only an open "
            "application gets an offer.",
        )
        return redirect("web:application", application.pk)
    if request.method == "GET":
        open_offer = application.offers.filter(status__in=Offer.OPEN_STATUSES).first()
        if open_offer is not None:
            messages.info(
                request,
                f"Version {open_offer.version} is still open "
                f"({open_offer.get_status_display().lower()}): change it here.",
            )
            return redirect("offers:edit", open_offer.pk)
        is_employee = application.candidate.is_retention_case
        forms = PackageForms(
            OfferForm,
            initial={
                "kind": Offer.Kind.RETENTION if is_employee else Offer.Kind.NEW_HIRE,
                "currency": band_currency(application),
                "start_date": timezone.localdate() + timedelta(days=30),
                "expires_at": to_minute(timezone.now() + timedelta(days=14)),
            },
            new=True,
        )
        return render_form(request, forms, application=application)

    forms = PackageForms(OfferForm, request.POST, new=True)
    if "add_row" in request.POST:
        return render_form(
            request, forms.with_new_row(request.POST["add_row"]) or forms, application=application
        )
    if forms.is_valid():
        terms = OfferTerms(
            start_date=forms.form.cleaned_data["start_date"],
            expires_at=forms.form.cleaned_data["expires_at"],
            **forms.components(),
        )
        try:
            offer = draft_offer(
                application, terms, by=request.user, kind=forms.form.cleaned_data["kind"]
            )
        except OfferError as error:
            forms.add_service_errors(error)
        else:
            messages.success(request, f"Offer v{offer.version} drafted.")
            return redirect("offers:detail", offer.pk)
    return render_form(request, forms, application=application)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    offer = get_offer_or_404(request.user, pk)
    must_draft(request.user)
    if "add_row" in request.GET:
        return new_row(request)
    if not offer.is_open:
        messages.error(
            request,
            f"Version {offer.version} is {offer.get_status_display().lower()}: it is not "
            "changed any more.",
        )
        return redirect("offers:detail", offer.pk)
    if offer.status == Offer.Status.SENT and (preparing := revision_in_progress(offer)):
        messages.info(
            request,
            f"Version {preparing.version} is being prepared "
            f"({preparing.get_status_display().lower()}): change it instead.",
        )
        return redirect(
            "offers:edit" if preparing.status == Offer.Status.DRAFT else "offers:detail",
            preparing.pk,
        )
    if request.method == "GET":
        prefetch_related_objects([offer], *COMPONENTS)
        terms = OfferTerms.of(offer)
        initial, rows = package_initial(terms)
        initial |= {"start_date": terms.start_date, "expires_at": to_minute(terms.expires_at)}
        forms = PackageForms(OfferForm, initial=initial, rows=rows, new=False)
        return render_form(request, forms, application=offer.application, offer=offer)

    forms = PackageForms(OfferForm, request.POST, new=False)
    if "add_row" in request.POST:
        forms = forms.with_new_row(request.POST["add_row"]) or forms
        return render_form(request, forms, application=offer.application, offer=offer)
    if forms.is_valid():
        terms = OfferTerms(
            start_date=forms.form.cleaned_data["start_date"],
            expires_at=forms.form.cleaned_data["expires_at"],
            **forms.components(),
        )
        try:
            if offer.status == Offer.Status.DRAFT:
                saved = update_draft(offer, terms, by=request.user)
                done = f"Draft v{saved.version} saved."
            else:
                saved = revise_offer(offer, by=request.user, terms=terms)
                if offer.status == Offer.Status.SENT:
                    done = (
                        f"Saved as version {saved.version}, a draft; version {offer.version} "
                        "stays with the candidate until you send the new one."
                    )
                else:
                    done = (
                        f"Saved as version {saved.version}; version {offer.version} is superseded."
                    )
        except OfferError as error:
            forms.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect("offers:detail", saved.pk)
    return render_form(request, forms, application=offer.application, offer=offer)


def band_currency(application: Application) -> str:
    """A new offer is in the currency of the role's band, else the reporting currency."""
    role = application.role
    band = Market(timezone.localdate()).bands.get((role.family, role.level, role.zone))
    return band.currency_id if band else settings.REPORTING_CURRENCY


def render_form(
    request: HttpRequest,
    forms: PackageForms,
    *,
    application: Application,
    offer: Offer | None = None,
) -> HttpResponse:
    response = render(
        request,
        "offers/offer_form.html",
        {
            "package": forms,
            "problems": forms.problems() if forms.form.is_bound else [],
            "application": application,
            "offer": offer,
        },
    )
    if offer is not None:  # a new offer's form shows only what the user types
        record_pay_access(
            request, kind=PayAccess.Kind.OFFER_FORM, obj=offer, label=offer_access_label(offer)
        )
    return response


def new_row(request: HttpRequest) -> HttpResponse:
    """One empty row of a formset, for htmx to add at the end of the rows; the formset's count
    and the button (asking for the next row next time) are swapped out of band."""
    prefix = request.GET.get("add_row", "")
    formset_class = FORMSETS.get(prefix)
    if GRANT_YEARS.fullmatch(prefix) and int(prefix.split("-")[1]) < MAX_ROWS:
        formset_class = VestingFormSet  # a year of a grant's schedule
    try:
        index = int(request.GET.get("index", ""))
    except ValueError:
        raise Http404 from None
    if formset_class is None or not 0 <= index < formset_class.max_num:
        raise Http404
    formset = formset_class(prefix=prefix)
    return render(
        request,
        "offers/_form_new_row.html",
        {"formset": formset, "form": formset.new_row(index), "next_index": index + 1},
    )


# --- The live preview --------------------------------------------------------------------------


@dataclass(frozen=True)
class YearlyTable:
    """A year-by-year table: one row per component that pays anything, and the totals."""

    compensation: engine.YearlyCompensation

    @property
    def years(self) -> range:
        return range(1, self.compensation.years + 1)

    @property
    def rows(self) -> list[tuple[str, tuple[Decimal, ...], Decimal]]:
        return [
            (COMPONENT_NOUNS[engine.Component(name)], amounts, sum(amounts, Decimal(0)))
            for name, amounts in self.compensation.by_component.items()
            if any(amounts)
        ]


@dataclass(frozen=True)
class ByYear:
    """A row per year: recurring pay, one-time pay and the total, and the total in the
    reporting currency when the package is in another: narrow enough for the preview."""

    compensation: engine.YearlyCompensation
    reporting: engine.YearlyCompensation | None = None

    @property
    def rows(self) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal | None]]:
        c, r = self.compensation, self.reporting
        rows: list[tuple[str, Decimal, Decimal, Decimal, Decimal | None]] = [
            (
                f"Year {i + 1}",
                c.recurring[i],
                c.one_time[i],
                c.yearly_totals[i],
                r.yearly_totals[i] if r else None,
            )
            for i in range(c.years)
        ]
        rows.append(
            (
                "Total",
                sum(c.recurring, Decimal(0)),
                sum(c.one_time, Decimal(0)),
                c.total,
                r.total if r else None,
            )
        )
        return rows


@dataclass(frozen=True)
class Rival:
    """A competing offer against the terms typed, in the reporting currency."""

    competing: CompetingOffer
    money: engine.PackageComparison | None
    problem: str = ""

    @property
    def gaps(self) -> list[tuple[str, str, bool]]:
        """(measure, the gap in words, whether they pay more) on year one and on average."""
        if self.money is None:
            return []
        currency = self.money.ours.currency
        lines = []
        for measure in engine.Measure:
            gap = self.money.gap(measure)
            percent = f" ({gap.more_percent}%)" if gap.more_percent is not None else ""
            if gap.amount > 0:
                words = f"They pay {money_in_sentence(gap.amount, currency)} more{percent}"
            elif gap.amount < 0:
                words = f"We pay {money_in_sentence(-gap.amount, currency)} more{percent}"
            else:
                words = "The same"
            lines.append((measure.label.capitalize(), words, gap.amount > 0))
        return lines


@form_key_exempt  # posted on every keystroke, the key included: the real submission spends it
@login_required
@require_POST
def preview(request: AuthenticatedRequest) -> HttpResponse:
    """What the terms being typed pay, year by year, where they sit in the role's band, and the
    gap to each live competing offer. Saves nothing."""
    user = request.user
    offer = None
    if request.POST.get("offer"):
        offer = get_offer_or_404(user, number(request.POST["offer"]))
        application = offer.application
    else:
        application = get_application_or_404(user, number(request.POST.get("application", "")))
    must_draft(user)
    forms = PackageForms(OfferForm, request.POST, new=offer is None)
    forms.is_valid()
    context: dict[str, Any] = {"problems": forms.problems(ignore=NOT_MONEY)}
    if not context["problems"]:
        terms = PackageTerms(**forms.components())
        kind = offer.kind if offer else forms.form.cleaned_data.get("kind", Offer.Kind.NEW_HIRE)
        context.update(value_terms(terms, application, kind=kind, user=user))
    return render(request, "offers/_preview.html", context)


def number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Http404 from None


def value_terms(
    terms: PackageTerms, application: Application, *, kind: str, user: User
) -> dict[str, Any]:
    try:
        check_package(terms)
        market = Market(timezone.localdate())
        # At today's price on the basis chosen, as the offer will be written.
        package = terms.priced(market.on).to_package()
        valuation: OfferValuation = market.value_package(package, application.role)
    except OfferError as error:
        return {"problems": error_lines(error)}
    except RateMissing as missing:
        return {"problems": missing.messages}
    except engine.CompensationError as error:
        return {"problems": [error.message]}
    reporting = settings.REPORTING_CURRENCY
    rivals = []
    for competing in live_competing_offers(application, user):
        try:
            comparison = engine.compare(
                package,
                competing.to_package(),
                currency=reporting,
                rate_ours=valuation.rate,
                rate_theirs=market.reporting_rate(competing),
            )
        except RateMissing as missing:
            rivals.append(Rival(competing, None, " ".join(missing.messages)))
        except engine.CompensationError as error:
            rivals.append(Rival(competing, None, error.message))
        else:
            rivals.append(Rival(competing, comparison))
    return {
        "valuation": valuation,
        "table": YearlyTable(valuation.compensation),
        "by_year": ByYear(
            valuation.compensation,
            valuation.reporting if terms.currency != reporting else None,
        ),
        "reporting_table": (
            YearlyTable(valuation.reporting) if terms.currency != reporting else None
        ),
        "rivals": rivals,
        "measure_label": engine.Measure(settings.COMPETING_OFFER_MEASURE).label,
        "approvals": approvals_for(valuation, kind=kind, currency=terms.currency),
    }


def error_lines(error: OfferError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return error.messages
    return [
        line
        for field, errors in error.error_dict.items()
        for line in labelled(field, [m for e in errors for m in e.messages])
    ]


def live_competing_offers(application: Application, user: User) -> list[CompetingOffer]:
    """The competing offers our offer on `application` answers, whose deadline is ahead: those
    on the application, and the person's outside offers on none (as counter-offers read them)."""
    return list(
        visible_competing_offers(user)
        .filter(
            Q(application=application)
            | Q(application__isnull=True, candidate_id=application.candidate_id),
            deadline__gt=timezone.now(),
        )
        .select_related("competitor")
        .prefetch_related(*COMPONENTS)
        .order_by("deadline", "pk")
    )
