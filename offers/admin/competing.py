"""Competing offers in the admin: their list and page, where each stands against our latest
offer (the money, the fit beyond pay, a counter-offer to draft), and the competing offers shown
on the candidate and application pages, with the candidate list's filters on them (exported
here, assembled in recruiting/web/admin.py).

A competing offer changes only through offers.competition: the add and change pages collect
the terms with the same component inlines as an offer's and call record_competing_offer or
update_competing_offer. As for offers, amounts (and the free-text notes, which quote them) are
shown only to users with the `offers.view_compensation` permission.

The component inlines and the hiding of amounts are shared with the offer admin (parts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from candidates.models import OFFERING_LABELS, Candidate, Company
from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.access import can_see_compensation
from recruiting.lib.formats import money_in_table, signed_money, signed_percent
from recruiting.lib.types import AuthenticatedRequest, admin_user
from recruiting.pipeline.access import sees_every_application
from recruiting.pipeline.models import Application

from .. import compensation as engine
from ..access import visible_competing_offers
from ..competition import (
    CompetingTerms,
    Standing,
    latest_offer_for,
    record_competing_offer,
    standing,
    update_competing_offer,
)
from ..counter import LEVER_LABELS, Suggestion, draft_from_suggestion, suggest_counter_offer
from ..forms import CompetingOfferAdminForm
from ..models import CompetingOffer, Offer
from ..models.offer import Package
from ..presentation import HIDDEN
from ..selectors import Market, RateMissing, package_prefetches
from .parts import (
    OFFER_AMOUNT_FIELDS,
    EquityGrantInline,
    HiddenAmountsContextHelper,
    OtherAmountInline,
    PaymentInline,
    ServiceSavedPackageAdmin,
    Unvalued,
    kept_on,
)

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList
    from django.forms.models import BaseInlineFormSet

REPORTING = settings.REPORTING_CURRENCY
DEADLINE_SOON = timedelta(hours=72)
# Set on the request by CompetingOfferAdmin.history_form_view: the page shows an old version.
# Set on the summary inline's formset, for its template: where to record another one.
ADD_COMPETING_URL = "add_competing_url"


def with_standing(queryset: QuerySet[CompetingOffer]) -> QuerySet[CompetingOffer]:
    """Competing offers with all that standing_of reads: their components, and those of the
    offer of ours they were last compared with."""
    return queryset.select_related(
        "candidate", "competitor", "application__role", "compared_with__application__role"
    ).prefetch_related(*package_prefetches(), *package_prefetches("compared_with__"))


def standing_of(competing: CompetingOffer, market: Market) -> Standing | Unvalued:
    """Where a competing offer of a list stands against the offer of ours it was last compared
    with (kept on the row with `ahead`, so that the two agree), once per page; a missing rate
    becomes a message."""

    def stands() -> Standing | Unvalued:
        try:
            return standing(competing, ours=competing.compared_with, market=market)
        except RateMissing as missing:
            return Unvalued(" ".join(missing.messages))
        except engine.CompensationError as error:
            return Unvalued(error.message)

    return kept_on(competing, "_admin_standing", stands)


def role_text(competing: CompetingOffer) -> str:
    if competing.application is None:
        return "— (outside offer)"
    role = competing.application.role
    return f"{role.title} ({role.city})"


def offerings_text(keys: tuple[str, ...]) -> str:
    return ", ".join(OFFERING_LABELS[key].lower() for key in keys)


def summary_without_amounts(result: Standing) -> str:
    """Standing.summary with neither amounts nor percentages: who is ahead, and the fit."""
    competitor, gap = result.competing.competitor, result.gap
    if result.ours is None:
        text = f"We have made no offer yet; {competitor} has"
    elif gap.amount > 0:
        text = f"{competitor} pays more than we do in {result.measure.label}"
    elif gap.amount < 0:
        text = f"We pay more than {competitor} in {result.measure.label}"
    else:
        text = f"{competitor} pays the same as we do in {result.measure.label}"
    if result.fit and result.fit.we_win_on:
        text += "; we win on " + " and ".join(
            OFFERING_LABELS[k].lower() for k in result.fit.we_win_on[:2]
        )
    if result.fit and result.fit.they_win_on:
        text += "; they win on " + " and ".join(
            OFFERING_LABELS[k].lower() for k in result.fit.they_win_on[:2]
        )
    return text + "."


def summary_for(result: Standing | Unvalued, *, amounts: bool) -> str:
    if isinstance(result, Unvalued):
        return result.message
    if not amounts:
        return summary_without_amounts(result)
    return " ".join(filter(None, (result.summary, result.converted_text)))


# --- The panels of a competing offer's page -----------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    ours: str
    theirs: str
    gap: str
    percent: str


@dataclass(frozen=True)
class CounterPanel:
    """Our counter-offer, as offers.counter suggests it (amounts: only shown to users who may
    see compensation)."""

    message: str = ""
    changes: list[tuple[str, str]] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    draft_url: str = ""  # empty: nothing to draft, or the user may not draft offers
    within_band: bool = True
    above_band_url: str = ""  # the same suggestion allowed above the band
    problem: str = ""  # why there is no suggestion


@dataclass(frozen=True)
class StandingPanels:
    summary: str
    problem: str = ""  # why it could not be valued
    ours: SafeString | str = ""
    verdict: str = ""
    currency: str = REPORTING
    rows: list[ComparisonRow] = field(default_factory=list)
    drivers: list[tuple[str, str]] = field(default_factory=list)
    fit_scores: str = ""
    we_win_on: str = ""
    they_win_on: str = ""
    counter: CounterPanel | None = None


def comparison_rows(result: Standing) -> list[ComparisonRow]:
    comparison, currency = result.money, result.money.ours.currency
    horizon = comparison.horizon_years
    rows = [
        ("Year one", comparison.year_one),
        ("Annual average", comparison.annual_average),
        ("Four-year total", comparison.four_year_total),
        (f"Horizon total ({horizon} year{'' if horizon == 1 else 's'})", comparison.total),
    ]
    return [
        ComparisonRow(
            label,
            money_in_table(gap.ours, currency) if result.ours is not None else "—",
            money_in_table(gap.theirs, currency),
            signed_money(gap.amount, currency),
            signed_percent(gap.percent),
        )
        for label, gap in rows
    ]


def verdict(result: Standing) -> str:
    label = result.measure.label
    if result.ours is None:
        return f"They are ahead on {label}: there is no offer of ours to weigh them against."
    if result.gap.amount > 0:
        return f"They are ahead of our offer on {label}, the measure that decides."
    if result.gap.amount < 0:
        return f"Our offer is ahead of theirs on {label}, the measure that decides."
    return f"Level with our offer on {label}, the measure that decides."


def our_offer_link(offer: Offer | None) -> SafeString | str:
    if offer is None:
        return "We have made no offer yet."
    return format_html(
        'Against our latest offer: <a href="{}">version {}, {}</a>.',
        reverse("admin:offers_offer_change", args=[offer.pk]),
        offer.version,
        offer.get_status_display().lower(),
    )


def fit_lines(result: Standing) -> tuple[str, str, str]:
    """The fit scores, and what each side wins on, in words."""
    fit = result.fit
    if fit is None:
        return (
            "No role to compare with: the fit needs the role's ratings (the competing offer "
            "names no application, and we have made no offer).",
            "",
            "",
        )
    if fit.ours is None or fit.theirs is None:
        scores = (
            "Not enough ratings to compare: rate the role and the competitor on what the "
            "candidate weighs (“What they offer beyond pay”)."
        )
    else:
        scores = f"Ours {fit.ours} / 100, theirs {fit.theirs} / 100."
    return scores, offerings_text(fit.we_win_on) or "—", offerings_text(fit.they_win_on) or "—"


# --- Filters -------------------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    title = "decision deadline"
    parameter_name = "deadline"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("72h", "Within 72 hours"),
            ("ahead", "Not passed yet"),
            ("passed", "Passed"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[CompetingOffer]
    ) -> QuerySet[CompetingOffer]:
        now = timezone.now()
        if self.value() == "72h":
            return queryset.filter(deadline__gt=now, deadline__lte=now + DEADLINE_SOON)
        if self.value() == "ahead":
            return queryset.filter(deadline__gt=now)
        if self.value() == "passed":
            return queryset.filter(deadline__lte=now)
        return queryset


class CompetitorAheadFilter(admin.SimpleListFilter):
    """Candidates with a competing offer ahead of our offer (kept on the competing offer)."""

    title = "competing offer"
    parameter_name = "competing_ahead"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Ahead of ours")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if self.value() != "yes":
            return queryset
        return queryset.filter(
            Exists(CompetingOffer.objects.filter(candidate=OuterRef("pk"), ahead=True))
        )


class CompetitorDeadlineFilter(admin.SimpleListFilter):
    """Candidates who must answer a competitor within 72 hours."""

    title = "competitor deadline"
    parameter_name = "competitor_deadline"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("72h", "Within 72 hours")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if self.value() != "72h":
            return queryset
        now = timezone.now()
        return queryset.filter(
            Exists(
                CompetingOffer.objects.filter(
                    candidate=OuterRef("pk"), deadline__gt=now, deadline__lte=now + DEADLINE_SOON
                )
            )
        )


# --- Inlines of components -----------------------------------------------------------------


class CompetingPart:
    """An offer's component inline, on a competing offer: editable by users who may see
    amounts (a competing offer has no status)."""

    fk_name: str | None = "competing_offer"

    def _editable(self, request: HttpRequest, obj: Package | None) -> bool:
        return can_see_compensation(request.user)


class CompetingPaymentInline(CompetingPart, PaymentInline):
    pass


class CompetingEquityGrantInline(CompetingPart, EquityGrantInline):
    pass


class CompetingOtherAmountInline(CompetingPart, OtherAmountInline):
    pass


class HiddenAmountsAndNotesContextHelper(HiddenAmountsContextHelper):
    # A competing offer's notes quote what the candidate was told ("$1.2M cash, 4 years").
    hidden_fields = (*OFFER_AMOUNT_FIELDS, "notes")


# --- Competing offers ----------------------------------------------------------------------


@admin.register(CompetingOffer)
class CompetingOfferAdmin(ServiceSavedPackageAdmin):
    component_parent = "competing_offer"
    history_version_flag = "_competing_history_version"
    pay_access_kind = PayAccess.Kind.ADMIN_COMPETING_OFFER
    pay_access_list_kind = PayAccess.Kind.ADMIN_COMPETING_OFFER_LIST
    hidden_amounts_helper = HiddenAmountsAndNotesContextHelper
    form = CompetingOfferAdminForm
    object_history_template = "admin/offers/offer/object_history.html"
    view_on_site = False
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = (
        "candidate",
        "competitor",
        "role",
        "deadline",
        "confidence",
        "ahead",
        "gap",
    )
    list_filter = (
        ("competitor", admin.RelatedOnlyFieldListFilter),
        "confidence",
        "ahead",
        DeadlineFilter,
    )
    search_fields = ("candidate__name", "competitor__name")
    search_help_text = "Search by candidate name or competitor."
    ordering = ("deadline", "pk")
    autocomplete_fields = ("candidate", "application", "competitor")
    inlines = [CompetingPaymentInline, CompetingEquityGrantInline, CompetingOtherAmountInline]
    record_fields = ("ahead", "recorded_by", "recorded_at", "updated_at")

    # --- who may do what ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_see_compensation(request.user) and super().has_add_permission(request)

    def has_change_permission(
        self, request: HttpRequest, obj: CompetingOffer | None = None
    ) -> bool:
        return can_see_compensation(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: CompetingOffer | None = None
    ) -> bool:
        return False  # every version is kept; a change is recorded, not a deletion

    def may_draft_offers(self, request: HttpRequest) -> bool:
        user = request.user
        return can_see_compensation(request.user) and user.has_perms(
            ["offers.add_offer", "offers.change_offer"]
        )

    # --- the list ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompetingOffer]:
        # The competing offers the user sees in the workspace, and no others (offers.access).
        queryset = super().get_queryset(request)
        if not sees_every_application(admin_user(request)):
            visible = visible_competing_offers(admin_user(request)).values("pk")
            queryset = queryset.filter(pk__in=visible)
        return with_standing(queryset)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if can_see_compensation(request.user):
            return self.list_display
        return tuple(f for f in self.list_display if f != "gap")

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        market = Market(timezone.localdate())
        for competing in changelist.result_list:  # evaluated once; the page reuses the rows
            competing._admin_market = market
        return changelist

    @admin.display(description="candidate", ordering="candidate__name")
    def candidate(self, competing: CompetingOffer) -> str:
        return competing.candidate.name

    @admin.display(description="role")
    def role(self, competing: CompetingOffer) -> str:
        return role_text(competing)

    @admin.display(description=f"gap ({REPORTING})")
    def gap(self, competing: CompetingOffer) -> SafeString | str:
        market = getattr(competing, "_admin_market", None) or Market(timezone.localdate())
        result = standing_of(competing, market)
        if isinstance(result, Unvalued):
            return format_html('<span title="{}">no rate</span>', result.message)
        if result.ours is None:
            return format_html(
                '<span title="We have made no offer yet">theirs {}</span>',
                money_in_table(result.gap.theirs, result.money.ours.currency),
            )
        return format_html(
            '<span title="Theirs minus ours, in {}">{} ({})</span>',
            result.measure.label,
            signed_money(result.gap.amount, result.money.ours.currency),
            signed_percent(result.gap.percent),
        )

    # --- the page ---

    def get_fieldsets(
        self, request: HttpRequest, obj: CompetingOffer | None = None
    ) -> list[tuple[str | None, dict[str, Any]]]:
        can_see = can_see_compensation(request.user)
        main = ["candidate", "application", "competitor", "deadline", "confidence", "source"]
        if can_see:
            main.append("notes")
        pay = ["currency"]
        pay += list(OFFER_AMOUNT_FIELDS) if can_see else ["amounts"]
        pay += [
            "signing_clawback_months",
            "signing_clawback",
            "retention_clawback_months",
            "retention_clawback",
            "equity_basis",
        ]
        if can_see and obj is not None:
            pay.append("equity_price")
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": main}),
            (
                "Their package",
                {
                    "fields": pay,
                    "description": "Bonus instalments, equity grants and other amounts are "
                    "listed below, as on our offers.",
                },
            ),
        ]
        if obj is not None:
            record: tuple[str, ...] = self.record_fields
            if self.showing_old_version(request):
                # Who is ahead is not kept in the history: an old version would say "no".
                record = tuple(f for f in record if f != "ahead")
            fieldsets.append(("Record", {"fields": record}))
        return fieldsets

    def get_readonly_fields(
        self, request: HttpRequest, obj: CompetingOffer | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        if self.showing_old_version(request):
            return tuple(
                f for fieldset in self.get_fieldsets(request, obj) for f in fieldset[1]["fields"]
            )
        return ("candidate", "amounts", "equity_price", *self.record_fields)

    def get_form(
        self,
        request: HttpRequest,
        obj: CompetingOffer | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[CompetingOffer]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "currency" in form.base_fields:
            # Currencies are reference data, kept on their own admin page.
            widget = form.base_fields["currency"].widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        if "competitor" in form.base_fields:
            form.base_fields["competitor"].help_text = (
                "The company making the offer. Rate what it offers beyond pay on its page: "
                "the fit with what the candidate weighs is worked out from it."
            )
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # From an application's page: the candidate is the application's.
        application = str(initial.get("application", ""))
        if application.isdigit() and "candidate" not in initial:
            candidate = (
                Application.objects.filter(pk=application)
                .values_list("candidate_id", flat=True)
                .first()
            )
            if candidate is not None:
                initial["candidate"] = candidate
        return initial

    @admin.display(description="amounts")
    def amounts(self, competing: CompetingOffer) -> str:
        return HIDDEN

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: CompetingOffer | None = None,
    ) -> HttpResponse:
        if change and obj is not None and obj.pk:
            context["standing_panels"] = self.standing_panels(request, obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def standing_panels(self, request: HttpRequest, pk: int) -> StandingPanels:
        """Where the competing offer stands, as saved (not as typed in a form with errors),
        against our latest offer."""
        competing = with_standing(CompetingOffer.objects.filter(pk=pk)).get()
        amounts = can_see_compensation(request.user)
        try:
            result = standing(competing)
        except RateMissing as missing:
            return StandingPanels(summary="", problem=" ".join(missing.messages))
        except engine.CompensationError as error:
            return StandingPanels(summary="", problem=error.message)
        scores, we_win_on, they_win_on = fit_lines(result)
        currency = result.money.ours.currency
        if amounts:
            drivers = [(label, signed_money(share, currency)) for label, share in result.drivers()]
        else:
            drivers = [
                (label, "theirs higher" if share > 0 else "ours higher")
                for label, share in result.drivers()
            ]
        return StandingPanels(
            summary=summary_for(result, amounts=amounts),
            ours=our_offer_link(result.ours),
            verdict=verdict(result),
            currency=currency,
            rows=comparison_rows(result) if amounts else [],
            drivers=drivers,
            fit_scores=scores,
            we_win_on=we_win_on,
            they_win_on=they_win_on,
            counter=self.counter_panel(request, competing, result.ours) if amounts else None,
        )

    # --- the counter-offer ---

    def counter_panel(
        self, request: HttpRequest, competing: CompetingOffer, ours: Offer | None
    ) -> CounterPanel:
        if ours is None:
            return CounterPanel(
                problem="We have made no offer to counter with: draft one first, then come "
                "back for a suggestion."
            )
        within_band = request.GET.get("above_band") != "1"
        try:
            suggestion = suggest_counter_offer(ours, within_band=within_band)
        except ValidationError as error:  # OfferError, RateMissing
            return CounterPanel(problem=" ".join(error.messages))
        except engine.CompensationError as error:
            return CounterPanel(problem=error.message)
        currency = ours.currency_id
        draft_url = ""
        # A suggestion that changes nothing (nothing fits in the band) drafts nothing.
        if suggestion.terms is not None and suggestion.changes and self.may_draft_offers(request):
            draft_url = reverse("admin:offers_competingoffer_counter", args=[competing.pk])
            if not within_band:
                draft_url += "?" + urlencode({"above_band": "1"})
        above_band_url = ""
        if within_band and not suggestion.beats:
            above_band_url = (
                reverse("admin:offers_competingoffer_change", args=[competing.pk])
                + "?"
                + urlencode({"above_band": "1"})
                + "#counter-offer"
            )
        return CounterPanel(
            message=suggestion.message,
            changes=[
                (
                    LEVER_LABELS.get(lever, lever).capitalize(),
                    "+" + money_in_table(amount, currency),
                )
                for lever, amount in suggestion.changes
            ],
            approvals=[f"{rule.group.name}: {reason}" for rule, reason in suggestion.approvals],
            draft_url=draft_url,
            within_band=within_band,
            above_band_url=above_band_url,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/counter-offer/",
                self.admin_site.admin_view(self.draft_counter_view),
                name="offers_competingoffer_counter",
            ),
            *super().get_urls(),
        ]

    def draft_counter_view(self, request: AuthenticatedRequest, object_id: str) -> HttpResponse:
        """Drafts our next offer from the counter-offer suggestion, worked out again now."""
        if request.method != "POST":
            raise Http404
        if not str(object_id).isdigit():
            raise Http404
        competing = get_object_or_404(CompetingOffer, pk=object_id)
        if not (self.has_view_permission(request, competing) and self.may_draft_offers(request)):
            raise PermissionDenied
        back = reverse("admin:offers_competingoffer_change", args=[competing.pk])
        ours = latest_offer_for(competing)
        if ours is None:
            self.message_user(request, "We have made no offer to counter with.", messages.ERROR)
            return HttpResponseRedirect(back)
        within_band = request.GET.get("above_band") != "1"
        try:
            suggestion: Suggestion = suggest_counter_offer(ours, within_band=within_band)
            offer = draft_from_suggestion(suggestion, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(back)
        except engine.CompensationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(back)
        self.message_user(
            request,
            f"Drafted {offer} from the counter-offer suggestion: {suggestion.message} "
            "Check it, then submit it for approval.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:offers_offer_change", args=[offer.pk]))

    # --- saving: through the services ---

    def save_model(
        self,
        request: AuthenticatedRequest,
        obj: CompetingOffer,
        form: CompetingOfferAdminForm,
        change: bool,
    ) -> None:
        terms = cast(CompetingTerms, form.terms)  # set by the form's clean(): the form is valid
        if change:
            update_competing_offer(CompetingOffer.objects.get(pk=obj.pk), terms, by=request.user)
            return
        created = record_competing_offer(form.cleaned_data["candidate"], terms, by=request.user)
        obj.pk = created.pk
        obj.recorded_by, obj.recorded_at = created.recorded_by, created.recorded_at
        obj._state.adding = False


# --- On the candidate and application pages ------------------------------------------------


class CompetingOfferSummaryInline(admin.TabularInline[CompetingOffer, Candidate | Application]):
    """The candidate's competing offers, read-only, each linked, with where it stands (in
    words, without amounts, for users who may not see compensation), and a link to record
    another. The parent is a candidate (an application for ApplicationCompetingOfferInline)."""

    model = CompetingOffer
    fk_name = "candidate"
    template = "admin/offers/competingoffer/edit_inline/summary.html"
    extra = 0
    can_delete = False
    verbose_name_plural = "competing offers"
    fields: ClassVar[tuple[str, ...]] = (
        "competitor_link",
        "role",
        "deadline",
        "confidence",
        "standing",
    )

    def has_add_permission(
        self, request: HttpRequest, obj: Candidate | Application | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Candidate | Application | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Candidate | Application | None = None
    ) -> bool:
        return False

    def get_fields(
        self, request: HttpRequest, obj: Candidate | Application | None = None
    ) -> tuple[str, ...]:
        if can_see_compensation(request.user):
            return self.fields
        return tuple("standing_in_words" if f == "standing" else f for f in self.fields)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Candidate | Application | None = None
    ) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompetingOffer]:
        return with_standing(super().get_queryset(request))

    def add_url(self, request: HttpRequest, parent: Candidate | Application) -> str:
        # A candidate's page (ApplicationCompetingOfferInline has its own for an application's).
        candidate = cast(Candidate, parent)
        query = {"candidate": candidate.pk}
        # With one open application it is the one a competitor threatens; with several, the
        # recruiter picks; with none (an employee), it stays empty.
        open_ids = list(
            candidate.applications.filter(status=Application.Status.OPEN).values_list(
                "pk", flat=True
            )[:2]
        )
        if len(open_ids) == 1:
            query["application"] = open_ids[0]
        return reverse("admin:offers_competingoffer_add") + "?" + urlencode(query)

    def get_formset(
        self, request: HttpRequest, obj: Candidate | Application | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet[CompetingOffer, Candidate | Application, Any]]:
        formset = super().get_formset(request, obj, **kwargs)
        may_add = can_see_compensation(request.user) and request.user.has_perm(
            "offers.add_competingoffer"
        )
        setattr(formset, ADD_COMPETING_URL, self.add_url(request, obj) if obj and may_add else "")
        return formset

    def _market(self) -> Market:
        # One per page: the inline is made anew for each request.
        return kept_on(self, "_page_market", lambda: Market(timezone.localdate()))

    @admin.display(description="competitor")
    def competitor_link(self, competing: CompetingOffer) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:offers_competingoffer_change", args=[competing.pk]),
            competing.competitor,
        )

    @admin.display(description="role")
    def role(self, competing: CompetingOffer) -> str:
        return role_text(competing)

    @admin.display(description="where it stands")
    def standing(self, competing: CompetingOffer) -> str:
        return summary_for(standing_of(competing, self._market()), amounts=True)

    @admin.display(description="where it stands")
    def standing_in_words(self, competing: CompetingOffer) -> str:
        return summary_for(standing_of(competing, self._market()), amounts=False)


class ApplicationCompetingOfferInline(CompetingOfferSummaryInline):
    """On an application's page: its competing offers' amounts are the page's only ones, so
    the first shown is logged (recruiting/audit), once a page; none, nothing logged."""

    fk_name = "application"
    _shown_on: tuple[HttpRequest, Application] | None = None

    def get_formset(
        self, request: HttpRequest, obj: Candidate | Application | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet[CompetingOffer, Candidate | Application, Any]]:
        if isinstance(obj, Application):
            self._shown_on = (request, obj)  # the inline is made anew for each request
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="where it stands")
    def standing(self, competing: CompetingOffer) -> str:
        if self._shown_on is not None:
            request, application = self._shown_on
            self._shown_on = None
            record_pay_access(request, kind=PayAccess.Kind.ADMIN_APPLICATION, obj=application)
        return super().standing(competing)

    def add_url(self, request: HttpRequest, parent: Candidate | Application) -> str:
        application = cast(Application, parent)  # an application's page
        query = {"candidate": application.candidate_id, "application": application.pk}
        return reverse("admin:offers_competingoffer_add") + "?" + urlencode(query)


@admin.display(description="flight risk", ordering="flight_risk")
def flight_risk_text(candidate: Candidate) -> str:
    """The candidate list's flight-risk column, with the reason an outside offer gave."""
    if not candidate.flight_risk:
        return "—"
    reason = candidate.get_flight_risk_reason_display()
    return f"Yes: {reason}" if candidate.flight_risk_reason else "Yes"


def only_competitors_when_picking_one(
    request: HttpRequest, queryset: QuerySet[Company]
) -> QuerySet[Company]:
    """The company search offers only competitors (and other employers, never our own company)
    when the recruiter picks the competitor of a competing offer."""
    picking_competitor = (
        request.GET.get("app_label") == CompetingOffer._meta.app_label
        and request.GET.get("model_name") == CompetingOffer._meta.model_name
        and request.GET.get("field_name") == "competitor"
    )
    if picking_competitor:
        return queryset.exclude(kind=Company.Kind.OURS)
    return queryset
