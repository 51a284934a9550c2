"""What the offer and competing-offer admins share: the component inlines, hiding amounts from
users who may not see pay, and valuing a page of offers once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
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
from ..models.offer import Package
from ..presentation import HIDDEN, component_history, equity_price_text
from ..selectors import OfferValuation, RateMissing

if TYPE_CHECKING:
    from simple_history.models import HistoricalChanges, ModelChange

COMPONENT_INLINE_TEMPLATE = "admin/offers/edit_inline/tabular_components.html"
OFFER_AMOUNT_FIELDS = ("base_salary", "target_bonus_percent", "relocation")

_T = TypeVar("_T")


def kept_on(obj: object, name: str, make: Callable[[], _T]) -> _T:
    """What `make()` gives, worked out once per object: kept on it as the attribute `name`."""
    if not hasattr(obj, name):
        setattr(obj, name, make())
    kept: _T = getattr(obj, name)
    return kept


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

    def valued() -> OfferValuation | Unvalued:
        try:
            return value(offer)
        except RateMissing as missing:
            return Unvalued(" ".join(missing.messages))
        except engine.CompensationError as error:
            return Unvalued(error.message)

    return kept_on(offer, "_admin_valuation", valued)


# --- Inlines -------------------------------------------------------------------------------


class OfferPartInline(admin.TabularInline[Any, Package]):
    """A part of an offer: editable only on a draft (or a new offer), by users who may see
    amounts. The rows' own names are not printed (they would show amounts). The parent `obj`
    is an offer, or a competing offer for the inlines of competing.py (CompetingPart)."""

    template = COMPONENT_INLINE_TEMPLATE
    extra = 0

    def _editable(self, request: HttpRequest, obj: Package | None) -> bool:
        # An offer's: CompetingPart has its own for a competing offer's.
        return can_see_compensation(request.user) and (
            obj is None or cast(Offer, obj).status == Offer.Status.DRAFT
        )

    def has_add_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Package | None = None) -> bool:
        return self._editable(request, obj) and super().has_delete_permission(request, obj)

    def get_extra(self, request: HttpRequest, obj: Package | None = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0


class ComponentInline(OfferPartInline):
    formset = ComponentFormSet
    fields: ClassVar[tuple[str, ...]]
    amount_fields: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Package | None = None) -> tuple[str, ...]:
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
    fields = (*EquityGrantForm.Meta.fields, "vesting")
    # A number of shares or a strike tells the pay as well as an amount does.
    amount_fields = ("shares", "value", "strike", "fair_value", "cap")

    def get_queryset(self, request: HttpRequest) -> QuerySet[EquityGrant]:
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

    def format_delta_change(self, change: ModelChange) -> ModelChange:
        formatted = super().format_delta_change(change)
        if change.field in self.hidden_fields:
            return dataclasses.replace(formatted, old=HIDDEN, new=HIDDEN)
        return formatted


# --- Offers --------------------------------------------------------------------------------


class ServiceSavedPackageAdmin(SimpleHistoryAdmin):
    """An admin whose object and component rows a service writes (draft_offer,
    record_competing_offer...) in save_model: nothing is left for save_related, and the log
    names the components that changed. Its history lists the components' changes too, never
    restores an old row, and hides amounts from users who may not see pay."""

    # The components' foreign key to the package, for their history.
    component_parent: ClassVar[str] = "offer"
    # Set on a request showing an old version of the package (its page is then read-only).
    history_version_flag: ClassVar[str]
    hidden_amounts_helper: ClassVar[type[HistoricalRecordContextHelper]] = (
        HiddenAmountsContextHelper
    )
    # How the pay access log names a page of this admin that showed amounts: one object's,
    # and the list's.
    pay_access_kind: ClassVar[PayAccess.Kind]
    pay_access_list_kind: ClassVar[PayAccess.Kind]

    def pay_access_label(self, package: Package) -> str:
        """Ids only: what the page has not loaded yet costs no query here."""
        return f"{package._meta.verbose_name} {package.pk}".capitalize()

    def _record_pay_access(self, request: HttpRequest, object_id: str, what: str) -> None:
        package = self.model(pk=int(object_id))  # the id is all the log keeps
        label = f"{self.pay_access_label(package)}, {what}"
        record_pay_access(request, kind=self.pay_access_kind, obj=package, label=label)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None and changelist.result_list:
            # The page's rows, with their amounts; many at once, so no one object.
            shown = ", ".join(str(row.pk) for row in changelist.result_list)
            plural = str(self.model._meta.verbose_name_plural).capitalize()
            record_pay_access(
                request, kind=self.pay_access_list_kind, label=f"{plural} listed: {shown}"
            )
        return response

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if change and obj is not None and obj.pk:
            record_pay_access(
                request, kind=self.pay_access_kind, obj=obj, label=self.pay_access_label(obj)
            )
        return response

    @admin.display(description="equity valued at")
    def equity_price(self, package: Package) -> str:
        return equity_price_text(package) or "each grant's value, as recorded"

    def showing_old_version(self, request: HttpRequest) -> bool:
        return bool(getattr(request, self.history_version_flag, False))

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # a change is made by the services, never by restoring an old row

    def _reachable_or_404(self, request: HttpRequest, object_id: str) -> None:
        """simple_history opens the history of any row that has one, whatever get_queryset
        leaves out: a package the user may not see is a 404 here as in the workspace."""
        if not str(object_id).isdigit() or self.get_object(request, object_id) is None:
            raise Http404

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._reachable_or_404(request, object_id)
        context = {
            "component_history": component_history(
                int(object_id),
                amounts=can_see_compensation(request.user),
                parent=self.component_parent,
            ),
            **(extra_context or {}),
        }
        response = super().history_view(request, object_id, extra_context=context)
        if response.status_code == 200:
            self._record_pay_access(request, object_id, "history")
        return response

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        self._reachable_or_404(request, object_id)
        setattr(request, self.history_version_flag, True)
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            self._record_pay_access(request, object_id, f"past version {version_id}")
        return response

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: HistoricalChanges
    ) -> HistoricalRecordContextHelper:
        if can_see_compensation(request.user):
            return super().get_historical_record_context_helper(request, historical_record)
        return self.hidden_amounts_helper(self.model, historical_record)

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Any],
        formsets: Iterable[BaseInlineFormSet[Any, Any, Any]],
        change: bool,
    ) -> None:
        pass  # the service wrote every component row

    def construct_change_message(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Any],
        formsets: Iterable[BaseInlineFormSet[Any, Any, Any]],
        add: bool = False,
    ) -> list[dict[str, Any]]:
        message = super().construct_change_message(request, form, [], add)
        # Inline formsets: each has its model.
        changed = [
            str(cast("type[Model]", f.model)._meta.verbose_name_plural)
            for f in formsets
            if f.has_changed()
        ]
        if changed and not add:
            message.append({"changed": {"fields": changed}})
        return message
