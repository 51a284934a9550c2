"""What the offer and competing-offer admins share: the component inlines, hiding amounts from
users who may not see pay, and valuing a page of offers once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from recruiting.lib.access import can_see_compensation

from .. import compensation as engine
from ..forms import (
    ComponentFormSet,
    EquityGrantForm,
    percentages_text,
)
from ..models import (
    EquityGrant,
    Offer,
    OfferPayment,
    OtherAmount,
)
from ..presentation import (
    HIDDEN,
)
from ..selectors import OfferValuation, RateMissing

COMPONENT_INLINE_TEMPLATE = "admin/offers/edit_inline/tabular_components.html"
OFFER_AMOUNT_FIELDS = ("base_salary", "target_bonus_percent", "relocation")


# --- Valuing a page of offers --------------------------------------------------------------


@dataclass(frozen=True)
class Unvalued:
    """Why an offer could not be valued (no rate for its currency, say)."""

    message: str


def valuation_of(
    offer: Offer, value: Callable[[Offer], OfferValuation]
) -> OfferValuation | Unvalued:
    """Values the offer once per page (the result is kept on it); a missing rate or a package
    the engine refuses becomes a message instead of an error page."""
    if not hasattr(offer, "_admin_valuation"):
        try:
            offer._admin_valuation = value(offer)
        except RateMissing as missing:
            offer._admin_valuation = Unvalued(" ".join(missing.messages))
        except engine.CompensationError as error:
            offer._admin_valuation = Unvalued(error.message)
    return offer._admin_valuation


# --- Inlines -------------------------------------------------------------------------------


class OfferPartInline(admin.TabularInline):
    """A part of an offer: editable only on a draft (or a new offer), by users who may see
    amounts. The rows' own names are not printed (they would show amounts)."""

    template = COMPONENT_INLINE_TEMPLATE
    extra = 0

    def _editable(self, request: HttpRequest, obj: Offer | None) -> bool:
        return can_see_compensation(request.user) and (
            obj is None or obj.status == Offer.Status.DRAFT
        )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self._editable(request, obj) and super().has_delete_permission(request, obj)

    def get_extra(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        return 1 if obj is None else 0


class ComponentInline(OfferPartInline):
    formset = ComponentFormSet
    amount_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        if can_see_compensation(request.user):
            return self.fields
        return tuple(f for f in self.fields if f not in self.amount_fields)


class PaymentInline(ComponentInline):
    model = OfferPayment
    fields = ("kind", "month", "amount")
    amount_fields = ("amount",)
    verbose_name = "bonus payment"
    verbose_name_plural = "signing and retention bonus payments"


class EquityGrantInline(ComponentInline):
    model = EquityGrant
    form = EquityGrantForm
    fields = ("kind", "value", "cliff_months", "frequency", "vesting")
    amount_fields = ("value",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("vesting_years")

    @admin.display(description="vesting per year (%)")
    def vesting(self, grant: EquityGrant) -> str:
        return percentages_text(grant) or "—"


class OtherAmountInline(ComponentInline):
    model = OtherAmount
    fields = ("name", "amount", "year")
    amount_fields = ("amount",)


# --- History -------------------------------------------------------------------------------


class HiddenAmountsContextHelper(HistoricalRecordContextHelper):
    """Shows a change of an amount as "hidden" to users who may not see compensation."""

    hidden_fields = (*OFFER_AMOUNT_FIELDS, "last_comment")

    def format_delta_change(self, change):  # type: ignore[no-untyped-def]
        formatted = super().format_delta_change(change)
        if change.field in self.hidden_fields:
            return dataclasses.replace(formatted, old=HIDDEN, new=HIDDEN)
        return formatted


# --- Offers --------------------------------------------------------------------------------


class ServiceSavedPackageAdmin(SimpleHistoryAdmin):
    """An admin whose object and component rows a service writes (draft_offer,
    record_competing_offer...) in save_model: nothing is left for save_related, and the log
    names the components that changed."""

    def _currency_of(self, pk: int) -> str:
        """The package's currency, for its history's amounts (empty once it is deleted)."""
        return self.model.objects.filter(pk=pk).values_list("currency_id", flat=True).first() or ""

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        pass  # the service wrote every component row

    def construct_change_message(self, request, form, formsets, add=False):  # type: ignore[no-untyped-def]
        message = super().construct_change_message(request, form, [], add)
        changed = [str(f.model._meta.verbose_name_plural) for f in formsets if f.has_changed()]
        if changed and not add:
            message.append({"changed": {"fields": changed}})
        return message
