"""Offers in the admin: offers with their components, approvals and history; bands, rates and
approval rules.

Offers change only through offers.services: the add and change pages collect the terms and
call draft_offer or update_draft; every other step is an action on the offer list. Amounts of
offers, bands, approval rules and reasons are shown only to users with the
`offers.view_compensation` permission; to the others every offer page is read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from recruiting.audit.models import PayAccess
from recruiting.lib.access import can_see_compensation
from recruiting.lib.admin_actions import run_action_form
from recruiting.lib.formats import exchange_rate, hide_amounts, money_in_table
from recruiting.lib.forms import add_service_error
from recruiting.lib.types import AuthenticatedRequest, admin_user
from recruiting.pipeline.access import sees_every_application

from .. import compensation as engine
from ..access import visible_offers
from ..forms import (
    ApproveOfferForm,
    ConfirmOfferStepForm,
    OfferAdminForm,
    RejectOfferForm,
    SendOfferForm,
)
from ..models import (
    Approval,
    ApprovalRule,
    CompensationBand,
    Delegation,
    EquityGrant,
    ExchangeRate,
    Offer,
    SharePrice,
)
from ..models.offer import Package
from ..presentation import (
    COMPONENT_HEADINGS,
    HIDDEN,
    position_text,
    rate_age,
)
from ..selectors import Market, OfferValuation, value_offer
from ..services import (
    accept_offer,
    approve_offer,
    check_delegation,
    decline_offer,
    delegate_approvals,
    draft_offer,
    end_delegation,
    reject_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
    update_draft,
)
from ..terms import OfferError, OfferTerms
from .parts import (
    EquityGrantInline,
    OfferPartInline,
    OtherAmountInline,
    PaymentInline,
    ServiceSavedPackageAdmin,
    Unvalued,
    valuation_of,
)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups, _FieldsetSpec, _ListDisplayT
    from django.contrib.admin.views.main import ChangeList

# Set on the request by OfferAdmin.history_form_view: the page shows an old version.


class ApprovalInline(OfferPartInline):
    model = Approval
    can_delete = False
    fields = (
        "step",
        "group",
        "reason",
        "status",
        "decided_by",
        "on_behalf_of",
        "decided_at",
        "comment",
    )

    def has_add_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Package | None = None) -> tuple[str, ...]:
        # The reason names amounts ("signing bonus 150,000,000.00 USD ≥ …") and a comment may.
        if can_see_compensation(request.user):
            return self.fields
        return ("step", "group", "status", "decided_by", "on_behalf_of", "decided_at")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Package | None = None
    ) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        return super().get_queryset(request).select_related("group", "decided_by")


@admin.register(Offer)
class OfferAdmin(ServiceSavedPackageAdmin):
    history_version_flag = "_offer_history_version"
    pay_access_kind = PayAccess.Kind.ADMIN_OFFER
    pay_access_list_kind = PayAccess.Kind.ADMIN_OFFER_LIST
    form = OfferAdminForm
    object_history_template = "admin/offers/offer/object_history.html"
    view_on_site = False
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = (
        "candidate",
        "role",
        "version",
        "kind",
        "status",
        "currency_code",
        "year_one",
        "annual_average",
        "band_position",
        "expires_at",
    )
    list_select_related = ("application__candidate", "application__role")
    list_filter = (
        "status",
        "currency",
        ("application__role", admin.RelatedOnlyFieldListFilter),
        "kind",
    )
    search_fields = ("application__candidate__name",)
    search_help_text = "Search by candidate name."
    ordering = ("-drafted_at", "-pk")
    autocomplete_fields = ("application",)
    inlines = [PaymentInline, EquityGrantInline, OtherAmountInline, ApprovalInline]
    actions = [
        "submit_action",
        "approve_action",
        "reject_action",
        "send_action",
        "accept_action",
        "decline_action",
        "rescind_action",
        "revise_action",
    ]
    record_fields = (
        "drafted_by",
        "drafted_at",
        "submitted_by",
        "submitted_at",
        "approved_at",
        "sent_by",
        "sent_at",
        "sent_rate",
        "sent_rate_date",
        "sent_at_stale_rate",
        "closed_by",
        "closed_at",
        "last_comment",
    )

    # --- who may do what ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_see_compensation(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Offer | None = None) -> bool:
        # Only a draft is edited; a submitted offer moves on by the actions, or is revised.
        if obj is not None and obj.status != Offer.Status.DRAFT:
            return False
        return can_see_compensation(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Offer | None = None) -> bool:
        return False  # versions are kept; a draft no longer wanted is left to expire or revised

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Approving and rejecting; the service checks the group and the drafter."""
        return request.user.has_perm("offers.change_approval")

    # --- the list ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        # The offers the user sees in the workspace, and no others (offers.access).
        queryset = super().get_queryset(request)
        if not sees_every_application(admin_user(request)):
            queryset = queryset.filter(pk__in=visible_offers(admin_user(request)).values("pk"))
        return queryset.prefetch_related(
            "payments",
            Prefetch(
                "equity_grants", queryset=EquityGrant.objects.prefetch_related("vesting_years")
            ),
            "other_amounts",
        )

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if can_see_compensation(request.user):
            return self.list_display
        hidden = ("year_one", "annual_average", "band_position")
        return tuple(
            "band_where" if f == "band_position" else f
            for f in self.list_display
            if f == "band_position" or f not in hidden
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        if request.method == "GET":
            market = Market(timezone.localdate())
            for offer in changelist.result_list:  # evaluated once; the page reuses the rows
                offer._admin_market = market
        return changelist

    def _valuation(self, offer: Offer) -> OfferValuation | Unvalued:
        market = getattr(offer, "_admin_market", None) or Market(timezone.localdate())
        return valuation_of(offer, market.value)

    @admin.display(description="candidate", ordering="application__candidate__name")
    def candidate(self, offer: Offer) -> str:
        return offer.application.candidate.name

    @admin.display(description="role", ordering="application__role__title")
    def role(self, offer: Offer) -> str:
        return f"{offer.application.role.title} ({offer.application.role.city})"

    @admin.display(description="currency", ordering="currency")
    def currency_code(self, offer: Offer) -> str:
        return offer.currency_id

    def _reporting(
        self, offer: Offer, amount: Callable[[engine.YearlyCompensation], Decimal]
    ) -> SafeString | str:
        valuation = self._valuation(offer)
        if isinstance(valuation, Unvalued):
            return format_html('<span title="{}">no rate</span>', valuation.message)
        return money_in_table(amount(valuation.reporting))

    @admin.display(description=f"year one ({settings.REPORTING_CURRENCY})")
    def year_one(self, offer: Offer) -> str:
        return self._reporting(offer, lambda c: c.year_one)

    @admin.display(description=f"annual average ({settings.REPORTING_CURRENCY})")
    def annual_average(self, offer: Offer) -> str:
        return self._reporting(offer, lambda c: c.annual_average)

    @admin.display(description="band position")
    def band_position(self, offer: Offer) -> str:
        valuation = self._valuation(offer)
        if isinstance(valuation, Unvalued):
            return "—"
        return position_text(valuation.band_position, with_ratio=True)

    @admin.display(description="band position")
    def band_where(self, offer: Offer) -> str:
        valuation = self._valuation(offer)
        if isinstance(valuation, Unvalued):
            return "—"
        return position_text(valuation.band_position, with_ratio=False)

    # --- the page ---

    def get_fieldsets(
        self, request: HttpRequest, obj: Offer | None = None
    ) -> list[tuple[str | None, dict[str, Any]]]:
        can_see = can_see_compensation(request.user)
        main = ["application", "kind"]
        if obj is not None:
            main += ["version", "status", "revises"]
        main += ["currency", "start_date", "expires_at"]
        pay = ["base_salary", "target_bonus_percent", "relocation"] if can_see else ["amounts"]
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
            ("Pay", {"fields": pay}),
        ]
        if obj is not None and not self.showing_old_version(request):
            value = ("totals", "band") if can_see else ("amounts", "band")
            fieldsets.append(("Value", {"fields": value}))
        if obj is not None:
            record = [f for f in self.record_fields if can_see or f != "last_comment"]
            fieldsets.append(("Record", {"fields": record}))
        if obj is not None and obj.status != Offer.Status.DRAFT:
            fieldsets[0] = (
                None,
                {
                    "fields": main,
                    "description": f"This offer is {obj.get_status_display().lower()}: it is "
                    "not edited. Take the next step with the actions on the offer list; "
                    "“Revise” makes a new draft version.",
                },
            )
        return fieldsets

    def get_readonly_fields(
        self, request: HttpRequest, obj: Offer | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        computed = ("version", "status", "revises", "amounts", "totals", "band", "equity_price")
        readonly = ("application", "kind", *computed, *self.record_fields)
        if self.showing_old_version(request):
            return tuple(
                f for fieldset in self.get_fieldsets(request, obj) for f in fieldset[1]["fields"]
            )
        return readonly

    def get_inlines(self, request: HttpRequest, obj: Offer | None) -> list[type[OfferPartInline]]:
        if obj is None:
            return [PaymentInline, EquityGrantInline, OtherAmountInline]
        return self.inlines

    def get_form(
        self, request: HttpRequest, obj: Offer | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Offer]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "currency" in form.base_fields:
            # Currencies are reference data, kept on their own admin page.
            widget = form.base_fields["currency"].widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        if obj is None and "application" in form.base_fields:
            form.base_fields["application"].help_text = (
                "An open application without an open offer; a new version of an offer is made "
                "with “Revise”."
            )
        return form

    @admin.display(description="amounts")
    def amounts(self, offer: Offer) -> str:
        return HIDDEN

    @admin.display(description="total compensation")
    def totals(self, offer: Offer) -> SafeString | str:
        valuation = valuation_of(offer, value_offer)
        if isinstance(valuation, Unvalued):
            return valuation.message
        tables = [self._years_table(valuation.compensation)]
        if valuation.reporting.currency != valuation.compensation.currency:
            tables.append(self._years_table(valuation.reporting))
        return mark_safe("".join(tables)) + self._summary(offer, valuation)

    def _years_table(self, compensation: engine.YearlyCompensation) -> SafeString:
        years = range(1, compensation.years + 1)
        head = format_html_join("", "<th>Year {}</th>", ((y,) for y in years))
        rows = [
            (COMPONENT_HEADINGS.get(name, name), amounts, sum(amounts, Decimal(0)))
            for name, amounts in compensation.by_component.items()
            if any(amounts)
        ]
        body = format_html_join(
            "",
            "<tr><td>{}</td>{}<td>{}</td></tr>",
            (
                (
                    label,
                    format_html_join("", "<td>{}</td>", ((money_in_table(a),) for a in amounts)),
                    money_in_table(total),
                )
                for label, amounts, total in rows
            ),
        )
        totals = format_html_join(
            "", "<td><b>{}</b></td>", ((money_in_table(a),) for a in compensation.yearly_totals)
        )
        return format_html(
            '<table class="offer-totals"><thead><tr><th>{}</th>{}<th>Total</th></tr></thead>'
            "<tbody>{}<tr><td><b>Total</b></td>{}<td><b>{}</b></td></tr></tbody></table>",
            compensation.currency,
            head,
            body,
            totals,
            money_in_table(compensation.total),
        )

    def _summary(self, offer: Offer, valuation: OfferValuation) -> SafeString:
        own, reporting = valuation.compensation, valuation.reporting
        lines = [
            ("Year one", own.year_one, reporting.year_one),
            ("Annual average", own.annual_average, reporting.annual_average),
            (f"Horizon total ({own.years} years)", own.total, reporting.total),
        ]
        converted = reporting.currency != own.currency
        items = format_html_join(
            "",
            "<li>{}: <b>{}</b>{}</li>",
            (
                (
                    label,
                    money_in_table(mine, own.currency),
                    f" = {money_in_table(theirs, reporting.currency)}" if converted else "",
                )
                for label, mine, theirs in lines
            ),
        )
        rate_note = ""
        if converted:
            kind = rate_age(
                valuation.rate_as_of,
                fixed=offer.sent_rate is not None,
                today=timezone.localdate(),
                stale_after=settings.RATE_STALE_AFTER_DAYS,
            ).text
            rate = exchange_rate(valuation.rate)
            rate_note = format_html(
                "<li>{} at {}: {} {} per {}.</li>",
                reporting.currency,
                kind,
                rate,
                reporting.currency,
                own.currency,
            )
        return format_html("<ul>{}{}</ul>", items, rate_note)

    @admin.display(description="band position")
    def band(self, offer: Offer) -> SafeString | str:
        valuation = valuation_of(offer, value_offer)
        if isinstance(valuation, Unvalued):
            return valuation.message
        if valuation.band is None:
            role = offer.application.role
            return (
                f"No band for {role.get_family_display()}, {role.get_level_display()}, "
                f"{role.get_zone_display()}."
            )
        # Without the permission: where it sits only; the ratio and the band's amounts stay hidden.
        # (The request is not passed to a read-only field; the offer carries the flag.)
        with_ratio = getattr(offer, "_admin_can_see", True)
        return format_html(
            "Total a year (one-time pay over {} years): {}; recurring pay: {}; base: {}. "
            'Band: <a href="{}">{}</a>.',
            settings.BAND_HORIZON_YEARS,
            position_text(valuation.band_position, with_ratio=with_ratio),
            position_text(valuation.recurring_position, with_ratio=with_ratio),
            position_text(valuation.base_position, with_ratio=with_ratio),
            reverse("admin:offers_compensationband_change", args=[valuation.band.pk]),
            valuation.band,
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Offer | None:
        offer = super().get_object(request, object_id, from_field)
        if offer is not None:
            offer._admin_can_see = can_see_compensation(request.user)
        return offer

    # --- saving: through the services ---

    def save_model(
        self, request: AuthenticatedRequest, obj: Offer, form: OfferAdminForm, change: bool
    ) -> None:
        terms = cast(OfferTerms, form.terms)  # set by the form's clean(): the form is valid
        if change:
            update_draft(Offer.objects.get(pk=obj.pk), terms, by=request.user)
            return
        created = draft_offer(
            form.cleaned_data["application"],
            terms,
            by=request.user,
            kind=form.cleaned_data["kind"],
        )
        obj.pk, obj.version = created.pk, created.version
        obj.drafted_by, obj.drafted_at = created.drafted_by, created.drafted_at
        obj._state.adding = False

    # --- the steps, as actions ---

    def _step(
        self,
        request: HttpRequest,
        queryset: QuerySet[Offer],
        *,
        title: str,
        step: Callable[[Offer, forms.Form], Offer],
        done: Callable[[list[Offer]], str],
        form_class: type[forms.Form] = ConfirmOfferStepForm,
    ) -> HttpResponse | None:
        """Runs `step` on each selected offer, all or none: a refusal names the offer and
        shows the service's message on the page, and nothing is changed."""

        def apply(form: forms.Form) -> str:
            results: list[Offer] = []
            with transaction.atomic():
                for offer in queryset.order_by("pk"):
                    try:
                        results.append(step(offer, form))
                    except ValidationError as error:
                        raise about(offer, error) from None
            return done(results)

        return run_action_form(
            self, request, queryset, form_class=form_class, title=title, apply=apply
        )

    @admin.action(description="Submit the selected offers for approval", permissions=["change"])
    def submit_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        def done(offers: list[Offer]) -> str:
            approved = sum(o.status == Offer.Status.APPROVED for o in offers)
            waiting = len(offers) - approved
            return (
                f"Submitted {len(offers)} offer(s): {approved} approved at once (no rule applies), "
                f"{waiting} waiting for approval."
            )

        return self._step(
            request,
            queryset,
            title="Submit for approval",
            step=lambda offer, form: submit_for_approval(offer, by=request.user),
            done=done,
        )

    @admin.action(description="Approve the selected offers", permissions=["decide"])
    def approve_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        def done(offers: list[Offer]) -> str:
            approved = sum(o.status == Offer.Status.APPROVED for o in offers)
            return (
                f"Approved {len(offers)} offer(s); {approved} fully approved, "
                f"{len(offers) - approved} still waiting for another group."
            )

        return self._step(
            request,
            queryset,
            title="Approve",
            form_class=ApproveOfferForm,
            step=lambda offer, form: approve_offer(
                offer, by=request.user, comment=form.cleaned_data["comment"]
            ),
            done=done,
        )

    @admin.action(description="Reject the selected offers (back to draft)", permissions=["decide"])
    def reject_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        return self._step(
            request,
            queryset,
            title="Reject",
            form_class=RejectOfferForm,
            step=lambda offer, form: reject_offer(
                offer, by=request.user, comment=form.cleaned_data["comment"]
            ),
            done=lambda offers: f"Rejected {len(offers)} offer(s); they are drafts again.",
        )

    @admin.action(description="Send the selected offers", permissions=["change"])
    def send_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        return self._step(
            request,
            queryset,
            title="Send",
            form_class=SendOfferForm,
            step=lambda offer, form: send_offer(
                offer, by=request.user, confirm_stale_rate=form.cleaned_data["confirm_stale_rate"]
            ),
            done=lambda offers: f"Sent {len(offers)} offer(s); their exchange rate is now fixed.",
        )

    @admin.action(description="Record the candidate's acceptance", permissions=["change"])
    def accept_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        return self._step(
            request,
            queryset,
            title="Record acceptance",
            step=lambda offer, form: accept_offer(offer, by=request.user),
            done=lambda offers: f"Recorded {len(offers)} acceptance(s).",
        )

    @admin.action(description="Record the candidate's decline", permissions=["change"])
    def decline_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        return self._step(
            request,
            queryset,
            title="Record decline",
            step=lambda offer, form: decline_offer(offer, by=request.user),
            done=lambda offers: f"Recorded {len(offers)} decline(s).",
        )

    @admin.action(description="Rescind the selected offers", permissions=["change"])
    def rescind_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        return self._step(
            request,
            queryset,
            title="Rescind",
            step=lambda offer, form: rescind_offer(offer, by=request.user),
            done=lambda offers: f"Rescinded {len(offers)} offer(s).",
        )

    @admin.action(
        description="Revise the selected offers (new draft version)", permissions=["change"]
    )
    def revise_action(
        self, request: AuthenticatedRequest, queryset: QuerySet[Offer]
    ) -> HttpResponse | None:
        def done(offers: list[Offer]) -> SafeString:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:offers_offer_change", args=[o.pk]), o) for o in offers),
            )
            return format_html("New draft version(s), ready to edit: {}.", links)

        return self._step(
            request,
            queryset,
            title="Revise",
            step=lambda offer, form: revise_offer(offer, by=request.user),
            done=done,
        )


def about(offer: Offer, error: ValidationError) -> ValidationError:
    """The service's refusal, naming the offer it is about (several may be selected)."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [f"{offer}: {m}" for m in ValidationError(errors).messages]
                for field, errors in error.error_dict.items()
            }
        )
    return ValidationError([f"{offer}: {m}" for m in error.messages])


# --- Approvals -----------------------------------------------------------------------------


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin[ApprovalRule]):
    list_display = ("step", "name", "condition", "amount", "currency", "group", "active")
    list_display_links = ("name",)
    list_filter = ("active", "step", "condition", "group")
    list_select_related = ("group", "currency")
    search_fields = ("name",)
    ordering = ("step", "name")
    fields = ("name", "step", "condition", "amount", "currency", "group", "active")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_see_compensation(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: ApprovalRule | None = None) -> bool:
        return can_see_compensation(request.user) and super().has_change_permission(request, obj)

    # A rule's name is written by people and says its threshold ("Signing bonus of $10M or
    # more"): without view_compensation it is shown with its amounts hidden, and not searched
    # (a search for "10M" would tell what the name hides).
    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[ApprovalRule]:
        if can_see_compensation(request.user):
            return self.list_display
        return tuple(
            "name_without_amounts" if f == "name" else f for f in self.list_display if f != "amount"
        )

    def get_list_display_links(
        self, request: HttpRequest, list_display: _ListDisplayT[ApprovalRule]
    ) -> _ListDisplayT[ApprovalRule]:
        return ("name",) if "name" in list_display else ("name_without_amounts",)

    def get_search_fields(self, request: HttpRequest) -> list[str] | tuple[str, ...]:
        return self.search_fields if can_see_compensation(request.user) else ()

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> ApprovalRule | None:
        rule = super().get_object(request, object_id, from_field)
        if rule is not None and not can_see_compensation(request.user):
            rule.name = hide_amounts(rule.name)  # their page is read-only: never saved
        return rule

    def get_fields(self, request: HttpRequest, obj: ApprovalRule | None = None) -> _FieldGroups:
        if can_see_compensation(request.user):
            return self.fields
        return tuple(f for f in self.fields if f != "amount")

    @admin.display(description="name", ordering="name")
    def name_without_amounts(self, rule: ApprovalRule) -> str:
        return hide_amounts(rule.name)


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin[Approval]):
    """A read-only list: approvals are asked for by submit_for_approval and decided by the
    actions on the offer list. There is no page per approval: its name carries the reason,
    amounts included, and the list shows everything."""

    list_display = (
        "offer_link",
        "step",
        "group",
        "status",
        "reason",
        "requested_at",
        "decided_by",
        "on_behalf_of",
        "decided_at",
        "comment",
    )
    list_display_links = None
    list_filter = ("status", "step", "group")
    list_select_related = (
        "offer__application__candidate",
        "group",
        "decided_by",
        "on_behalf_of",
    )
    search_fields = ("offer__application__candidate__name",)
    search_help_text = "Search by candidate name."
    show_facets = admin.ShowFacets.NEVER
    date_hierarchy = "requested_at"

    def has_view_permission(self, request: HttpRequest, obj: Approval | None = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Approval | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Approval | None = None) -> bool:
        return False

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[Approval]:
        if can_see_compensation(request.user):
            return self.list_display
        return tuple(f for f in self.list_display if f not in ("reason", "comment"))

    @admin.display(description="offer", ordering="offer__application__candidate__name")
    def offer_link(self, approval: Approval) -> SafeString:
        url = reverse("admin:offers_offer_change", args=[approval.offer_id])
        return format_html('<a href="{}">{}</a>', url, approval.offer)


class DelegationForm(forms.ModelForm[Delegation]):
    """A delegation added in the admin obeys the rules of the approvals inbox's."""

    class Meta:
        model = Delegation
        fields = ("delegator", "delegate", "starts_on", "ends_on", "reason")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        delegator, delegate = data.get("delegator"), data.get("delegate")
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if delegator and delegate and starts_on and ends_on and not self.errors:
            try:
                check_delegation(delegator, delegate, starts_on, ends_on)
            except OfferError as refused:
                add_service_error(self, refused)
        return data


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin[Delegation]):
    """Who approves for whom, and when: added here or in the approvals inbox; kept once ended,
    as the record of who could decide for whom."""

    form = DelegationForm
    list_display = (
        "delegator",
        "delegate",
        "starts_on",
        "ends_on",
        "reason",
        "created_by",
        "created_at",
        "ended_at",
    )
    list_filter = ("starts_on", "ends_on")
    list_select_related = ("delegator", "delegate", "created_by")
    search_fields = ("delegator__username", "delegate__username", "delegator__last_name")
    actions = ("end_now",)

    def has_change_permission(self, request: HttpRequest, obj: Delegation | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Delegation | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Delegation, form: Any, change: bool) -> None:
        made = delegate_approvals(
            obj.delegator,
            to=obj.delegate,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            reason=obj.reason,
            by=admin_user(request),
        )
        obj.pk = made.pk

    @admin.action(description="End the selected delegations now")
    def end_now(self, request: HttpRequest, queryset: QuerySet[Delegation]) -> None:
        for delegation in queryset:
            end_delegation(delegation, by=admin_user(request))
        self.message_user(request, f"Ended {queryset.count()} delegation(s).")


# --- Reference data ------------------------------------------------------------------------


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ("base", "quote", "rate", "as_of")
    list_filter = ("base", "quote")
    date_hierarchy = "as_of"
    ordering = ("base", "quote", "-as_of")


@admin.register(CompensationBand)
class CompensationBandAdmin(admin.ModelAdmin[CompensationBand]):
    list_display = (
        "family",
        "level",
        "zone",
        "effective_on",
        "currency",
        "base_min",
        "base_target",
        "base_max",
        "total_min",
        "total_target",
        "total_max",
    )
    list_filter = ("family", "level", "zone", "effective_on")
    fieldsets: ClassVar[_FieldsetSpec] = (
        (None, {"fields": ("family", "level", "zone", "currency", "effective_on")}),
        ("Base salary per year", {"fields": ("base_min", "base_target", "base_max")}),
        ("Total compensation per year", {"fields": ("total_min", "total_target", "total_max")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_see_compensation(request.user) and super().has_add_permission(request)

    def has_change_permission(
        self, request: HttpRequest, obj: CompensationBand | None = None
    ) -> bool:
        return can_see_compensation(request.user) and super().has_change_permission(request, obj)

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[CompensationBand]:
        if can_see_compensation(request.user):
            return self.list_display
        return self.list_display[:5]

    def get_fieldsets(
        self, request: HttpRequest, obj: CompensationBand | None = None
    ) -> _FieldsetSpec:
        if can_see_compensation(request.user):
            return self.fieldsets
        return (self.fieldsets[0], ("Amounts", {"fields": ("amounts",)}))

    def get_readonly_fields(
        self, request: HttpRequest, obj: CompensationBand | None = None
    ) -> tuple[str, ...]:
        return () if can_see_compensation(request.user) else ("amounts",)

    @admin.display(description="amounts")
    def amounts(self, band: CompensationBand) -> str:
        return HIDDEN


@admin.register(SharePrice)
class SharePriceAdmin(admin.ModelAdmin[SharePrice]):
    """Companies' dated share prices. A private company's prices are as sensitive as pay: the
    price itself is shown only to users who may see compensation."""

    list_display = ("company", "basis", "as_of", "source", "price", "currency")
    list_filter = ("basis", "as_of")
    search_fields = ("company__name", "source")
    autocomplete_fields = ("company", "currency")
    list_select_related = ("company",)
    date_hierarchy = "as_of"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_see_compensation(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: SharePrice | None = None) -> bool:
        return can_see_compensation(request.user) and super().has_change_permission(request, obj)

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[SharePrice]:
        if can_see_compensation(request.user):
            return self.list_display
        return self.list_display[:4]

    def get_fields(self, request: HttpRequest, obj: SharePrice | None = None) -> _FieldGroups:
        fields = ("company", "basis", "as_of", "source", "price", "currency")
        return fields if can_see_compensation(request.user) else fields[:4]
