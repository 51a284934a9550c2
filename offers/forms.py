"""Forms of the offer admin.

An offer changes only through offers.services. The offer form and its component inlines
collect the terms (the offer's own fields and its payment, equity and other-amount rows); the
offer form's clean() runs the services' checks on the whole of them, so that a refusal is an
error on the field to fix and nothing is saved; the admin then hands the terms to draft_offer
or update_draft, which write the offer and every component row. A competing offer is collected
the same way, with the same inlines, for offers.competition's record_competing_offer and
update_competing_offer.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model

from . import compensation as engine
from .competition import CompetingTerms, check_competing_terms
from .models import CompetingOffer, EquityGrant, Offer, OfferPayment, OtherAmount
from .services import check_draft_offer
from .terms import EquityTerms, OfferError, OfferTerms, PackageTerms, check_terms

# Where the component inlines of the offer being edited leave themselves for the offer form.
COMPONENT_FORMSETS = "_admin_component_formsets"

# The fields of a service error that have no field on the offer form, in words.
TERM_LABELS = {
    "signing_bonus": "Signing bonus",
    "retention_bonus": "Retention bonus",
    "equity": "Equity",
    "vesting": "Vesting",
    "cliff_months": "Equity cliff",
    "shares": "Equity shares",
    "price": "Equity price",
    "strike": "Option strike",
    "fair_value": "Option fair value",
    "cap": "Profit unit cap",
    "grant_month": "Equity grant month",
    "expiry_years": "Option expiry",
    "exercise_window_months": "Option exercise window",
    "equity_basis": "Equity valued at",
    "other": "Other amounts",
    "horizon": "Horizon",
}


# --- The components ------------------------------------------------------------------------


class ComponentFormSet(forms.BaseInlineFormSet[Any, Any, forms.ModelForm[Any]]):
    """An inline of an offer's components. It saves nothing itself (the service writes the
    rows); it leaves itself on the offer so that the offer's form can read the whole terms."""

    if TYPE_CHECKING:
        # Django's, left out of its stubs.
        def _should_delete_form(self, form: forms.BaseForm) -> bool: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.__dict__.setdefault(COMPONENT_FORMSETS, {})[self.model] = self

    def kept_rows(self) -> list[dict[str, Any]]:
        """The cleaned rows the person kept: neither deleted nor left blank."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]


class PercentagesField(forms.CharField):
    """Yearly vesting percentages typed on one line: "25, 25, 25, 25" or "40/30/20/10"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(f"{p.normalize():f}" for p in value)
        return value

    # A list of percentages, where a CharField's is a str: hence Any, as the override allows.
    def to_python(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return list(value)
        text = cast(str, super().to_python(value))  # never None: empty_value is ""
        percentages = []
        for part in re.split(r"[,;/\s]+", text):
            part = part.strip().rstrip("%")
            if not part:
                continue
            try:
                percentage = Decimal(part)
            except InvalidOperation:
                raise ValidationError(
                    f"“{part}” is not a percentage; write one per year, such as 25, 25, 25, 25."
                ) from None
            if not percentage.is_finite() or not (0 <= percentage <= 100):
                raise ValidationError("Each year vests between 0% and 100%.")
            if percentage != percentage.quantize(Decimal("0.01")):
                raise ValidationError("A percentage has at most 2 decimal places.")
            percentages.append(percentage)
        return percentages


def percentages_of(grant: EquityGrant) -> list[Decimal]:
    return [year.percentage for year in grant.vesting_years.all()]


def percentages_text(grant: EquityGrant) -> str:
    return ", ".join(f"{p.normalize():f}" for p in percentages_of(grant))


class ErrorReport(Protocol):
    """Where check_vesting reports: a form, or anything that places its errors (ScheduleErrors
    in offers/page_forms.py)."""

    def add_error(self, field: str, error: str, /) -> None: ...


def check_vesting(form: ErrorReport, data: dict[str, Any]) -> dict[str, Any]:
    """The engine's own rules for an equity grant's schedule, reported on the row's field."""
    vesting, cliff, frequency = (data.get(k) for k in ("vesting", "cliff_months", "frequency"))
    if vesting and cliff is not None and frequency:
        try:
            engine.VestingSchedule(
                tuple(vesting), cliff_months=cliff, frequency=engine.Frequency(frequency)
            )
        except engine.CompensationError as error:
            field = "cliff_months" if error.field == "cliff_months" else "vesting"
            form.add_error(field, error.message)
    return data


class EquityGrantForm(forms.ModelForm[EquityGrant]):
    vesting = PercentagesField(
        label="vesting per year (%)",
        initial=[Decimal(25)] * 4,
        help_text="One percentage per year, adding up to 100: 25, 25, 25, 25 or 40, 30, 20, 10.",
    )

    class Meta:
        model = EquityGrant
        fields = (
            "kind",
            "shares",
            "value",
            "strike",
            "fair_value",
            "cap",
            "grant_month",
            "expiry_years",
            "exercise_window_months",
            "cliff_months",
            "frequency",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shares on a price basis, a value on the recorded one: the services say which is
        # missing, on the grant.
        for name in ("shares", "value", "strike", "grant_month"):
            if name in self.fields:
                self.fields[name].required = False
        if self.instance.pk:
            # A list, as cleaned: a read-only inline's rows are read from their initial data.
            self.initial["vesting"] = percentages_of(self.instance)

    def clean(self) -> dict[str, Any]:
        # A ModelForm's clean() gives its cleaned_data.
        return check_vesting(self, cast(dict[str, Any], super().clean()))


# --- The package: an offer's or a competing offer's own fields ----------------------------


class PackageAdminForm(forms.ModelForm[Any]):
    """The own fields of a package (an offer or a competing offer). Its clean() reads them with
    the component inlines into terms, for the services' checks."""

    def component_formsets(self) -> dict[type[Model], ComponentFormSet]:
        return self.instance.__dict__.get(COMPONENT_FORMSETS, {})

    def components_valid(self, formsets: dict[type[Model], ComponentFormSet]) -> bool:
        # Validating the inlines here (Django validates them again, from its cache, later)
        # lets the services' checks run on the whole terms before anything is saved.
        return not self.errors and all([formset.is_valid() for formset in formsets.values()])

    def value(self, data: dict[str, Any], name: str) -> Any:
        """The field as typed, or as saved when the form does not show it."""
        return data[name] if name in self.fields else getattr(self.instance, name)

    def package_components(
        self,
        data: dict[str, Any],
        formsets: dict[type[Model], ComponentFormSet],
        saved: PackageTerms | None,
    ) -> dict[str, Any]:
        """The PackageTerms fields: the package's own fields and its inlines' kept rows. A
        part without its inline (the user may not edit that model) stays as `saved`."""

        def rows(model: type[Model]) -> list[dict[str, Any]] | None:
            if model in formsets:
                return formsets[model].kept_rows()
            return None if saved else []

        # rows() is None only when there are saved terms, so `kept` is read only when set.
        kept = cast(PackageTerms, saved)

        payments = rows(OfferPayment)
        grants = rows(EquityGrant)
        others = rows(OtherAmount)
        currency = data["currency"].pk if "currency" in self.fields else self.instance.currency_id

        def paid(kind: str) -> list[tuple[int, Decimal]]:
            return [(p["month"], p["amount"]) for p in payments or () if p["kind"] == kind]

        return dict(
            currency=currency,
            base_salary=self.value(data, "base_salary"),
            target_bonus_percent=self.value(data, "target_bonus_percent"),
            relocation=self.value(data, "relocation"),
            signing_payments=(
                paid(OfferPayment.Kind.SIGNING) if payments is not None else kept.signing_payments
            ),
            signing_clawback_months=self.value(data, "signing_clawback_months"),
            signing_clawback=self.value(data, "signing_clawback"),
            retention_payments=(
                paid(OfferPayment.Kind.RETENTION)
                if payments is not None
                else kept.retention_payments
            ),
            retention_clawback_months=self.value(data, "retention_clawback_months"),
            retention_clawback=self.value(data, "retention_clawback"),
            equity=(
                [
                    EquityTerms(
                        g["value"],
                        list(g["vesting"]),
                        g["cliff_months"],
                        g["frequency"],
                        g["kind"],
                        shares=g.get("shares"),
                        strike=g.get("strike") or Decimal(0),
                        fair_value=g.get("fair_value"),
                        cap=g.get("cap"),
                        grant_month=g.get("grant_month") or 0,
                        expiry_years=g.get("expiry_years"),
                        exercise_window_months=g.get("exercise_window_months"),
                    )
                    for g in grants
                ]
                if grants is not None
                else kept.equity
            ),
            other=(
                [(o["name"], o["amount"], o["year"]) for o in others]
                if others is not None
                else kept.other
            ),
            equity_basis=self.value(data, "equity_basis"),
        )

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            if field in self.fields:
                self.add_error(field, errors)
            else:
                label = TERM_LABELS.get(field, field.replace("_", " ").capitalize())
                messages = ValidationError(errors).messages
                self.add_error(None, [f"{label}: {message}" for message in messages])


# --- The offer -----------------------------------------------------------------------------


class OfferAdminForm(PackageAdminForm):
    """The offer's own fields. Once valid, `terms` holds everything the service needs."""

    terms: OfferTerms | None = None

    class Meta:
        model = Offer
        fields = ()  # the admin's fieldsets add the rest

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # a ModelForm's clean(): its cleaned_data
        formsets = self.component_formsets()
        if not self.components_valid(formsets):
            return data
        terms = self.build_terms(data, formsets)
        try:
            if self.instance.pk is None:
                check_draft_offer(data["application"], terms, kind=data["kind"])
            else:
                check_terms(terms, new=self.instance.revises_id is None)
        except OfferError as error:
            self.add_service_errors(error)
        else:
            self.terms = terms
        return data

    def build_terms(
        self, data: dict[str, Any], formsets: dict[type[Model], ComponentFormSet]
    ) -> OfferTerms:
        saved = OfferTerms.of(self.instance) if self.instance.pk else None
        return OfferTerms(
            start_date=self.value(data, "start_date"),
            expires_at=self.value(data, "expires_at"),
            **self.package_components(data, formsets, saved),
        )


# --- A competing offer ---------------------------------------------------------------------


class CompetingOfferAdminForm(PackageAdminForm):
    """A competing offer's own fields. Once valid, `terms` holds everything
    record_competing_offer or update_competing_offer needs."""

    terms: CompetingTerms | None = None

    class Meta:
        model = CompetingOffer
        fields = ()  # the admin's fieldsets add the rest

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # a ModelForm's clean(): its cleaned_data
        formsets = self.component_formsets()
        if not self.components_valid(formsets):
            return data
        candidate = self.value(data, "candidate")
        terms = self.build_terms(data, formsets)
        # A deadline kept as it was may have passed since; only a new or moved one is checked.
        moved = self.instance.pk is None or terms.deadline != self.instance.deadline
        try:
            check_competing_terms(candidate, terms, deadline_changed=moved)
        except OfferError as error:
            self.add_service_errors(error)
        else:
            self.terms = terms
        return data

    def build_terms(
        self, data: dict[str, Any], formsets: dict[type[Model], ComponentFormSet]
    ) -> CompetingTerms:
        saved = (
            PackageTerms(**PackageTerms.components_of(self.instance)) if self.instance.pk else None
        )
        deadline = self.value(data, "deadline")
        if self.instance.pk and "deadline" not in self.changed_data:
            # The page shows the deadline to the second: kept as it was, it is the saved one
            # (which the service checks only when moved), not one cut to the second.
            deadline = self.instance.deadline
        return CompetingTerms(
            competitor=self.value(data, "competitor"),
            deadline=deadline,
            application=self.value(data, "application"),
            confidence=self.value(data, "confidence"),
            source=self.value(data, "source"),
            notes=self.value(data, "notes"),
            **self.package_components(data, formsets, saved),
        )


# --- Steps taken from the offer list -------------------------------------------------------


class ConfirmOfferStepForm(forms.Form):
    """No fields: the page lists the selected offers and asks to confirm the step."""


class SendOfferForm(forms.Form):
    confirm_stale_rate = forms.BooleanField(
        label="Send at a stale rate",
        required=False,
        help_text="Only if the latest exchange rate is older than a week and no fresher one "
        "can be had: the offer records that you confirmed it.",
    )


class ApproveOfferForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Optional; the recruiter sees it on the offer.",
    )


class RejectOfferForm(forms.Form):
    # Not required here: the service refuses an empty comment with its own message.
    comment = forms.CharField(
        label="Why (required)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="The offer goes back to draft; the recruiter reads this to revise it.",
    )
