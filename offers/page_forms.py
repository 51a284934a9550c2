"""The forms of Closer's offer pages (the admin has its own, in offers/forms.py).

A package (our offer, or a competing offer) is typed as one form for its own fields and three
formsets for its components: bonus instalments, equity grants and other amounts. Together
(`PackageForms`) they read the terms the services take. Each row is checked on its own as it is
typed (a payment before the start, a vesting schedule not adding up to 100%), so that the error
sits on the row's field; whatever the services then refuse comes back on the field, or the
section, it names, with what was typed kept. Nothing here saves anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Model
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from candidates.models import Company, Currency

from . import compensation as engine
from .forms import TERM_LABELS, check_vesting
from .models import (
    CompetingOffer,
    EquityGrant,
    Offer,
    OfferDecline,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from .models.offer import CLAWBACK_CHOICES
from .terms import EquityTerms, PackageTerms

if TYPE_CHECKING:
    from django.forms.renderers import BaseRenderer
    from django.forms.utils import ErrorList

# Rows of one component: far above any real package, far below a page nobody can use.
MAX_ROWS = 50
# Where a service error about a component with no field of its own is shown: its formset.
SECTIONS = {
    "signing_bonus": "payments",
    "retention_bonus": "payments",
    "equity": "equity",
    "vesting": "equity",
    "cliff_months": "equity",
    "shares": "equity",
    "price": "equity",
    "strike": "equity",
    "fair_value": "equity",
    "cap": "equity",
    "grant_month": "equity",
    "expiry_years": "equity",
    "exercise_window_months": "equity",
    "other": "other",
}
# A new grant vests evenly over four years, as most do.
EVEN_4_YEARS = [Decimal(25)] * 4
# An <input type="datetime-local"> sends and shows minutes.
MINUTES = "%Y-%m-%dT%H:%M"


def model_field(model: type[Model], name: str, **kwargs: Any) -> forms.Field:
    """The form field of a model field: its label, limits and validators, as the admin has.
    A model's own validators (an amount not negative, a percentage up to 200) run only in
    a ModelForm; here they are handed to the form field, so that every such mistake shows on
    its field at once, beside the others."""
    # `name` is a concrete field (not a reverse relation), and each has a form field.
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    limits = [v for v in field.validators if isinstance(v, MinValueValidator | MaxValueValidator)]
    return cast(forms.Field, field.formfield(validators=limits, **kwargs))


def months_field(label: str, *, initial: int = 0, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, initial=initial, min_value=0, max_value=engine.MAX_MONTHS, **kwargs
    )


def to_minute(moment: datetime) -> datetime:
    """A saved moment as the page shows it: in the current timezone, to the minute."""
    return timezone.localtime(moment).replace(second=0, microsecond=0)


def datetime_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTES),
        help_text=f"Time in {timezone.get_default_timezone_name()}.",
        **kwargs,
    )


def columns(*names: str, css: str = "col-12 col-sm-6 col-lg-4") -> Row:
    return Row(*(Column(name, css_class=css) for name in names), css_class="g-2")


# --- The components: one formset each ------------------------------------------------------


class RowForm(forms.Form):
    """A row of a component formset: its fields' columns (`layout`, pairs of a field's name and
    its CSS classes), and the crispy helper ComponentFormSet.add_fields gives it."""

    layout: ClassVar[Sequence[tuple[str, str]]]
    helper: FormHelper


class PaymentForm(RowForm):
    kind = forms.ChoiceField(
        label="Bonus", choices=OfferPayment.Kind.choices, initial=OfferPayment.Kind.SIGNING
    )
    month = months_field(
        "Paid in month",
        error_messages={
            "min_value": "A payment cannot be made before the start: month 0 is the start date."
        },
    )
    amount = model_field(OfferPayment, "amount")

    layout = (
        ("kind", "col-12 col-sm-4"),
        ("month", "col-5 col-sm-3"),
        ("amount", "col-7 col-sm-5"),
    )


class VestingYearForm(RowForm):
    """One year of a grant's vesting schedule: the share of the grant vesting in it."""

    percentage = model_field(VestingYear, "percentage", label="Year")

    layout = (("percentage", "col-12"),)


class EquityForm(RowForm):
    """A grant, with its vesting schedule as rows of years (`years`, a formset nested in the
    row, its prefix the row's own: equity-0-years-...). Its cleaned data has `vesting`, the
    percentages of the years kept, in order."""

    kind = model_field(EquityGrant, "kind")
    # No initial values: a blank new row must read as untouched (Django then skips it).
    shares = model_field(
        EquityGrant,
        "shares",
        required=False,
        initial=None,
        help_text="Shares, options or units granted.",
    )
    value = model_field(
        EquityGrant,
        "value",
        required=False,
        label="Value",
        help_text="Only when the equity is valued as recorded: the grant's worth as an amount.",
    )
    strike = model_field(
        EquityGrant, "strike", required=False, initial=None, help_text="Options only."
    )
    fair_value = model_field(
        EquityGrant,
        "fair_value",
        required=False,
        help_text="Options only: replaces the spread (price less strike).",
    )
    cap = model_field(EquityGrant, "cap", required=False, help_text="Profit units only.")
    expiry_years = forms.IntegerField(
        label="Options expire (years)",
        required=False,
        min_value=1,
        max_value=15,
        help_text="Options only: years after the grant, often 10.",
    )
    exercise_window_months = forms.IntegerField(
        label="Exercise window after leaving (months)",
        required=False,
        min_value=0,
        max_value=120,
        help_text="Options only: often 3.",
    )
    grant_month = forms.IntegerField(
        label="Granted at month",
        required=False,
        min_value=0,
        max_value=engine.MAX_MONTHS,
        help_text="Empty or 0 for a new-hire grant; 12 for a refresh a year in.",
    )
    cliff_months = months_field("Cliff (months)", initial=12)
    frequency = model_field(EquityGrant, "frequency", label="Vests")
    schedule = forms.ChoiceField(
        label="Schedule",
        required=False,
        choices=[("", "As typed: the cliff, how often and the years below")]
        + [(name, name) for name in engine.STANDARD_SCHEDULES],
        help_text="A standard schedule replaces the cliff, the frequency and the years.",
    )

    layout = (
        ("schedule", "col-12 col-md-6"),
        ("kind", "col-6 col-md-3"),
        ("shares", "col-6 col-md-3"),
        ("value", "col-6 col-md-3"),
        ("grant_month", "col-6 col-md-3"),
        ("strike", "col-6 col-md-3"),
        ("fair_value", "col-6 col-md-3"),
        ("cap", "col-6 col-md-3"),
        ("expiry_years", "col-6 col-md-3"),
        ("exercise_window_months", "col-6 col-md-3"),
        ("cliff_months", "col-6 col-md-3"),
        ("frequency", "col-6 col-md-3"),
    )
    tail = (HTML('{% include "offers/_form_formset.html" with formset=form.years %}'),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        percentages = self.initial.get("vesting") or EVEN_4_YEARS
        self.years = VestingFormSet(
            self.data if self.is_bound else None,
            prefix=f"{self.prefix}-years" if self.prefix else "years",
            initial=[{"percentage": p} for p in percentages],
        )

    @property
    def skipped(self) -> bool:
        """A new row left as shown: neither it nor its years are read (as Django skips it)."""
        return self.empty_permitted and not self.has_changed()

    def has_changed(self) -> bool:
        return super().has_changed() or self.years.has_changed()

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return valid and (self.skipped or self.years.is_valid())

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # a Form's clean() gives its cleaned_data
        standard = engine.STANDARD_SCHEDULES.get(data.get("schedule") or "")
        if standard is not None:
            data["vesting"] = list(standard.yearly_percentages)
            data["cliff_months"] = standard.cliff_months
            data["frequency"] = standard.frequency.value
        elif self.years.is_valid():
            data["vesting"] = [year["percentage"] for year in self.years.kept_rows()]
            check_vesting(ScheduleErrors(self), data)
        return data


class ScheduleErrors:
    """check_vesting's report on a grant: a schedule's mistake goes on the grant's years (their
    section, shown above them), any other on the grant's own field."""

    def __init__(self, form: EquityForm) -> None:
        self.form = form

    def add_error(self, field: str, message: str) -> None:
        if field == "vesting":
            self.form.years.add_section_errors([message])
        else:
            self.form.add_error(field, message)


class OtherForm(RowForm):
    name = model_field(OtherAmount, "name", label="What")
    amount = model_field(OtherAmount, "amount")
    year = forms.IntegerField(
        label="Paid in year", initial=1, min_value=1, max_value=engine.MAX_YEARS
    )

    layout = (("name", "col-12 col-sm-5"), ("amount", "col-7 col-sm-4"), ("year", "col-5 col-sm-3"))


class ComponentFormSet(forms.BaseFormSet[Any]):
    """The rows of one component. A blank new row is left out; a row is removed by ticking
    "Remove"; each row's layout is a responsive row of columns, stacked on a phone."""

    title = ""
    add_label = "Add a row"
    empty_text = ""
    delete_label = "Remove this row"
    rows_class = ""
    row_class = "formset-row border rounded px-2 pt-2 mb-2"

    if TYPE_CHECKING:
        # Django's, left out of its stubs.
        renderer: BaseRenderer
        _non_form_errors: ErrorList

        def _should_delete_form(self, form: forms.BaseForm) -> bool: ...

    def add_fields(self, form: RowForm, index: int | None) -> None:
        super().add_fields(form, index)
        parts = [Column(name, css_class=css) for name, css in form.layout]
        parts += [Column(part, css_class="col-12") for part in getattr(form, "tail", ())]
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = self.delete_label
            parts.append(Column("DELETE", css_class="col-12"))
        form.helper = FormHelper()
        form.helper.form_tag = False
        form.helper.disable_csrf = True
        form.helper.layout = Layout(Row(*parts, css_class="g-2"))

    def kept_rows(self) -> list[dict[str, Any]]:
        """The cleaned rows the person kept: neither removed nor left blank."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and self._should_delete_form(form))
        ]

    def add_section_errors(self, messages: Iterable[str]) -> None:
        self.non_form_errors()  # cleans the formset first, so that these are kept
        self._non_form_errors.extend(messages)

    def new_row(self, index: int) -> forms.Form:
        """An empty row at `index`, as the formset would build it there."""
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            renderer=self.renderer,
            **self.get_form_kwargs(index),
        )
        self.add_fields(form, index)
        return form


def component_formset(form: type[forms.Form], **attrs: str) -> type[ComponentFormSet]:
    base = forms.formset_factory(
        form,
        formset=ComponentFormSet,
        extra=1,
        can_delete=True,
        can_delete_extra=False,
        max_num=MAX_ROWS,
        validate_max=True,
        absolute_max=MAX_ROWS,
    )
    return type(base.__name__, (base,), attrs)


class YearFormSet(ComponentFormSet):
    """A grant's years, labelled "Year 1", "Year 2"... in order. Every year shown for a saved
    (or a new) grant is to be filled in; a year added and left blank is left out."""

    title = "Vesting per year (%)"
    add_label = "Add a year"
    empty_text = "The share of the grant vesting in each year, adding up to 100."
    delete_label = "Remove this year"
    # The years side by side, four to a line, as a schedule is read.
    rows_class = "row g-2"
    row_class = "year-row col-6 col-sm-3"

    def add_fields(self, form: RowForm, index: int | None) -> None:
        super().add_fields(form, index)
        if index is not None:
            form.fields["percentage"].label = f"Year {index + 1}"

    def clean(self) -> None:
        if not any(self.errors) and not self.kept_rows():
            raise ValidationError("A grant vests over at least one year.")


# formset_factory makes a subclass of `formset`.
VestingFormSet = cast(
    type[YearFormSet],
    forms.formset_factory(
        VestingYearForm,
        formset=YearFormSet,
        extra=0,
        can_delete=True,
        max_num=engine.MAX_YEARS,
        validate_max=True,
        absolute_max=engine.MAX_YEARS,
    ),
)
PaymentFormSet = component_formset(
    PaymentForm,
    title="Bonus instalments",
    add_label="Add an instalment",
    empty_text="Each instalment of the signing or retention bonus: the month after the start "
    "it is paid in (0 is the start date, 12 the first anniversary) and its amount.",
)
EquityFormSet = component_formset(
    EquityForm,
    title="Equity grants",
    add_label="Add a grant",
    empty_text="Each grant's value at grant and its vesting: the share of each year, the cliff "
    "(anything due before it vests at the cliff) and how often it vests.",
)
OtherFormSet = component_formset(
    OtherForm,
    title="Other amounts",
    add_label="Add an amount",
    empty_text="Anything else paid in a given year: a housing allowance, a research budget.",
)
FORMSETS: dict[str, type[ComponentFormSet]] = {
    "payments": PaymentFormSet,
    "equity": EquityFormSet,
    "other": OtherFormSet,
}


# --- A package's own fields ----------------------------------------------------------------


class CurrencyField(forms.ModelChoiceField[Currency]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Currency.objects.all(),
            empty_label=None,
            error_messages={"invalid_choice": "“%(value)s” is not a currency Closer knows."},
            **kwargs,
        )

    def label_from_instance(self, obj: Currency) -> str:
        return f"{obj.code} · {obj.name}"


class PackageForm(forms.Form):
    """What an offer and a competing offer share, besides their component rows."""

    currency = CurrencyField()
    base_salary = model_field(Offer, "base_salary")
    target_bonus_percent = model_field(Offer, "target_bonus_percent")
    relocation = model_field(Offer, "relocation")
    signing_clawback_months = months_field(
        "Signing bonus clawback (months)",
        help_text="Repaid, as the terms below say, if they leave within this many months.",
    )
    signing_clawback = forms.ChoiceField(
        label="Signing bonus clawback terms",
        choices=CLAWBACK_CHOICES,
        initial=engine.Clawback.PRO_RATA_FROM_PAYMENT.value,
        required=False,  # left out: pro rata from each payment
    )
    retention_clawback_months = months_field("Retention bonus clawback (months)")
    retention_clawback = forms.ChoiceField(
        label="Retention bonus clawback terms",
        choices=CLAWBACK_CHOICES,
        initial=engine.Clawback.PRO_RATA_FROM_PAYMENT.value,
        required=False,
    )
    equity_basis = forms.ChoiceField(
        label="Equity valued at",
        choices=[(b.value, b.label) for b in engine.PriceBasis],
        initial=engine.PriceBasis.RECORDED.value,
        required=False,  # left out: as recorded
        help_text="The granting company's latest price on this basis (Offers → Share prices) "
        "values its shares; “Value as recorded” takes each grant's value as typed.",
    )

    def pay_layout(self) -> list[Any]:
        return [
            Fieldset("Pay", columns("base_salary", "target_bonus_percent", "relocation")),
            Fieldset(
                "Signing and retention bonuses",
                columns("signing_clawback_months", "signing_clawback", css="col-12 col-sm-6"),
                columns("retention_clawback_months", "retention_clawback", css="col-12 col-sm-6"),
                HTML('{% include "offers/_form_formset.html" with formset=package.payments %}'),
            ),
            Fieldset(
                "Equity",
                columns("equity_basis", css="col-12 col-md-6"),
                HTML('{% include "offers/_form_formset.html" with formset=package.equity %}'),
            ),
            Fieldset(
                "Other amounts",
                HTML('{% include "offers/_form_formset.html" with formset=package.other %}'),
            ),
        ]

    def make_helper(self, *head: Any) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*head, *self.pay_layout())


class OfferForm(PackageForm):
    """An offer's own fields; `kind` only on a new offer (a version keeps the kind)."""

    kind = forms.ChoiceField(label="Kind of offer", choices=Offer.Kind.choices)
    start_date = forms.DateField(
        label="Start date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    expires_at = datetime_field("Offer expires")

    def __init__(self, *args: Any, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        head = ["currency", "start_date", "expires_at"]
        if new:
            head.insert(0, "kind")
        else:
            del self.fields["kind"]
        self.make_helper(Fieldset("The offer", columns(*head, css="col-12 col-sm-6 col-lg-3")))


class OfferedCompanies(ModelChoiceIterator[Company]):
    def __init__(self, field: forms.ModelChoiceField[Company]) -> None:
        super().__init__(field)
        self.queryset = self.queryset.exclude(kind=Company.Kind.OURS)


class CompetitorField(forms.ModelChoiceField[Company]):
    """Lists every company but our own. Any company is read, so that our own, posted by hand,
    is refused by the service with its reason rather than as a choice not offered."""

    iterator = OfferedCompanies

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Company.objects.order_by("name"), **kwargs)


class CompetingForm(PackageForm):
    competitor = CompetitorField(
        label="Competitor",
        help_text="The company making the offer. Companies are added in the admin.",
    )
    deadline = datetime_field("Their decision deadline")
    confidence = forms.ChoiceField(
        label="How sure we are",
        choices=CompetingOffer.Confidence.choices,
        initial=CompetingOffer.Confidence.VERBAL,
    )
    source = model_field(CompetingOffer, "source")
    notes = model_field(CompetingOffer, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.make_helper(
            Fieldset(
                "Their offer",
                columns("competitor", "deadline", "confidence", css="col-12 col-md-4"),
                columns("currency", "source", css="col-12 col-md-6"),
                "notes",
            )
        )


# --- The page's forms together ---------------------------------------------------------------


class PackageForms:
    """A package's own form with its component formsets, bound or not: validated together,
    read together into terms, and given back the services' refusals."""

    def __init__(
        self,
        form_class: type[PackageForm],
        data: Any = None,
        *,
        initial: dict[str, Any] | None = None,
        rows: dict[str, list[dict[str, Any]]] | None = None,
        **form_kwargs: Any,
    ) -> None:
        self._made = (form_class, initial, rows, form_kwargs)
        rows = rows or {}
        self.form = form_class(data, initial=initial, **form_kwargs)
        self.payments = PaymentFormSet(data, prefix="payments", initial=rows.get("payments"))
        self.equity = EquityFormSet(data, prefix="equity", initial=rows.get("equity"))
        self.other = OtherFormSet(data, prefix="other", initial=rows.get("other"))

    @property
    def formsets(self) -> list[ComponentFormSet]:
        return [self.payments, self.equity, self.other]

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *[formset.is_valid() for formset in self.formsets]])

    def components(self) -> dict[str, Any]:
        """The PackageTerms fields, from valid forms."""
        data = self.form.cleaned_data
        payments = self.payments.kept_rows()

        def paid(kind: str) -> list[tuple[int, Decimal]]:
            return [(p["month"], p["amount"]) for p in payments if p["kind"] == kind]

        return dict(
            currency=data["currency"].pk,
            base_salary=data["base_salary"],
            target_bonus_percent=data["target_bonus_percent"],
            relocation=data["relocation"],
            signing_payments=paid(OfferPayment.Kind.SIGNING),
            signing_clawback_months=data["signing_clawback_months"],
            signing_clawback=data["signing_clawback"] or engine.Clawback.PRO_RATA_FROM_PAYMENT,
            retention_payments=paid(OfferPayment.Kind.RETENTION),
            retention_clawback_months=data["retention_clawback_months"],
            retention_clawback=data["retention_clawback"] or engine.Clawback.PRO_RATA_FROM_PAYMENT,
            equity=[
                EquityTerms(
                    g["value"],
                    list(g["vesting"]),
                    g["cliff_months"],
                    g["frequency"],
                    g["kind"],
                    shares=g["shares"],
                    strike=g["strike"] or Decimal(0),
                    fair_value=g["fair_value"],
                    cap=g["cap"],
                    grant_month=g["grant_month"] or 0,
                    expiry_years=g["expiry_years"],
                    exercise_window_months=g["exercise_window_months"],
                )
                for g in self.equity.kept_rows()
            ],
            other=[(o["name"], o["amount"], o["year"]) for o in self.other.kept_rows()],
            equity_basis=data.get("equity_basis") or engine.PriceBasis.RECORDED.value,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """A refusal of the services, on the field it names; one about a component on that
        component's rows; any other at the top, naming what it is about."""
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            messages = ValidationError(errors).messages
            if field in self.form.fields:
                self.form.add_error(field, messages)
            elif field in SECTIONS:
                getattr(self, SECTIONS[field]).add_section_errors(
                    f"{TERM_LABELS[field]}: {message}" for message in messages
                )
            else:
                self.form.add_error(None, labelled(field, messages))

    def problems(self, *, ignore: Iterable[str] = ()) -> list[str]:
        """Every error in words, naming its field and row: the page's summary of what to fix,
        and the live preview's message."""
        ignore = set(ignore)
        found: list[str] = []
        for name, errors in self.form.errors.items():
            if name not in ignore:
                label = self.form[name].label if name in self.form.fields else ""
                # An ErrorList gives its messages as text.
                found += [f"{label}: {e}" if label else cast(str, e) for e in errors]
        for formset in self.formsets:
            found += [f"{formset.title}: {e}" for e in formset.non_form_errors()]
            for number, form in enumerate(formset.forms, start=1):
                if formset.can_delete and formset._should_delete_form(form):
                    continue
                found += form_problems(form, f"{formset.title}, row {number}")
                if isinstance(form, EquityForm) and not form.skipped:
                    years = form.years
                    where = f"{formset.title}, row {number}, {years.title.lower()}"
                    found += [f"{where}: {e}" for e in years.non_form_errors()]
                    for year in years.forms:
                        if not years._should_delete_form(year):
                            found += form_problems(year, f"{formset.title}, row {number}")
        return found

    def all_formsets(self) -> list[ComponentFormSet]:
        """The component formsets and, within the grants, each grant's years."""
        return [*self.formsets, *(form.years for form in self.equity.forms)]

    def with_new_row(self, prefix: str) -> PackageForms | None:
        """The same forms, bound to what was typed, with one more blank row in `prefix`'s
        formset: "add a row" without JavaScript. None when the data does not allow one."""
        formset = {f.prefix: f for f in self.all_formsets()}.get(prefix)
        if formset is None or not formset.is_bound:
            return None
        data = cast(dict[str, Any], formset.data).copy()  # a QueryDict (or a dict), as bound
        key = f"{prefix}-TOTAL_FORMS"
        try:
            total = int(data.get(key, ""))
        except ValueError:
            return None
        if not 0 <= total < formset.max_num:
            return None
        data[key] = str(total + 1)
        form_class, initial, rows, form_kwargs = self._made
        return PackageForms(form_class, data, initial=initial, rows=rows, **form_kwargs)


def form_problems(form: forms.Form, where: str) -> list[str]:
    """A row's errors in words: where it is, and the field's label when on a field."""
    found = []
    for name, errors in form.errors.items():
        label = where
        if name != NON_FIELD_ERRORS and name in form.fields:
            label += f", {form[name].label.lower()}"
        found += [f"{label}: {e}" for e in errors]
    return found


def labelled(field: str, messages: Iterable[str]) -> list[str]:
    label = TERM_LABELS.get(field)
    return [f"{label}: {message}" if label else message for message in messages]


def package_initial(terms: PackageTerms) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The forms' initial data for saved terms: the package's own fields, and its rows."""
    own = dict(
        currency=terms.currency,
        base_salary=terms.base_salary,
        target_bonus_percent=terms.target_bonus_percent,
        relocation=terms.relocation,
        signing_clawback_months=terms.signing_clawback_months,
        signing_clawback=terms.signing_clawback,
        retention_clawback_months=terms.retention_clawback_months,
        retention_clawback=terms.retention_clawback,
        equity_basis=terms.equity_basis,
    )
    rows: dict[str, list[dict[str, Any]]] = {
        "payments": [
            {"kind": kind, "month": month, "amount": amount}
            for kind, payments in (
                (OfferPayment.Kind.SIGNING, terms.signing_payments),
                (OfferPayment.Kind.RETENTION, terms.retention_payments),
            )
            for month, amount in payments
        ],
        "equity": [
            {
                "kind": e.kind,
                "value": e.value,
                "shares": e.shares,
                "strike": e.strike or None,
                "fair_value": e.fair_value,
                "cap": e.cap,
                "grant_month": e.grant_month or None,
                "expiry_years": e.expiry_years,
                "exercise_window_months": e.exercise_window_months,
                "cliff_months": e.cliff_months,
                "frequency": e.frequency,
                "vesting": list(e.percentages),
            }
            for e in terms.equity
        ],
        "other": [{"name": n, "amount": a, "year": y} for n, a, y in terms.other],
    }
    return own, rows


# --- The counter-offer's settings --------------------------------------------------------------


class CounterForm(forms.Form):
    """How a counter-offer is worked out; read from the page's address (GET)."""

    measure = forms.ChoiceField(
        label="Beat them on",
        choices=[(m.value, m.label.capitalize()) for m in engine.Measure],
    )
    margin_percent = forms.DecimalField(
        label="By a margin of (%)", min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    lowest_certainty = forms.ChoiceField(
        label="Answer offers at least",
        choices=CompetingOffer.Confidence.choices,
        required=False,
        help_text="Less certain competing offers are shown, not answered.",
    )
    above_band = forms.BooleanField(
        label="Allow going above the band",
        required=False,
        help_text="Above the band's max, the offer needs the approvals the rules ask for.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "measure": settings.COMPETING_OFFER_MEASURE,
                "margin_percent": settings.COUNTER_OFFER_MARGIN_PERCENT,
                "lowest_certainty": settings.COUNTER_OFFER_MIN_CERTAINTY,
            },
        )
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("measure", css_class="col-12 col-sm-6 col-lg-3"),
                Column("margin_percent", css_class="col-12 col-sm-6 col-lg-3"),
                Column("lowest_certainty", css_class="col-12 col-sm-6 col-lg-3"),
                Column("above_band", css_class="col-12 col-sm-6 col-lg-3 pt-lg-4"),
                css_class="g-2",
            ),
            # A StrictButton takes its classes as given (Submit adds them to btn-primary).
            StrictButton(
                "Suggest again", type="submit", name="suggest", css_class="btn-outline-primary"
            ),
        )

    def options(self) -> dict[str, Any]:
        """suggest_counter_offer's keywords, from valid data or else the defaults."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else self.initial
        return {
            "measure": data["measure"],
            "margin_percent": Decimal(data["margin_percent"]),
            "within_band": not data.get("above_band", False),
            "lowest_certainty": data.get("lowest_certainty")
            or settings.COUNTER_OFFER_MIN_CERTAINTY,
        }


# --- Delegating approvals -----------------------------------------------------------------------


class PersonField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class DelegationForm(forms.Form):
    """An approver away names who decides for them, and for when."""

    delegate: PersonField = PersonField(
        queryset=None,
        label="Who approves for you",
        error_messages={"invalid_choice": "Choose an active colleague."},
    )
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="Until (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label="Why", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "delegation")
        kwargs.setdefault("initial", {"starts_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        field = cast(PersonField, self.fields["delegate"])
        field.queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .exclude(pk=user.pk)
            .order_by("first_name", "last_name", "username")
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("delegate", css_class="col-12 col-md-4"),
                Column("starts_on", css_class="col-6 col-md-2"),
                Column("ends_on", css_class="col-6 col-md-2"),
                Column("reason", css_class="col-12 col-md-4"),
                css_class="g-2",
            )
        )


# --- The candidate's answer (offers/views/candidate.py) -------------------------------------


class CandidateSignForm(forms.Form):
    """Signing: the letter read (its SHA-256, from the page), consent, the typed name."""

    letter_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    consent = forms.BooleanField(
        required=False, label="I agree to sign electronically (the words above)."
    )
    typed_name = forms.CharField(
        label="Your full name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class CandidateDeclineForm(forms.Form):
    """Declining, with the reason; whose offer they chose, if they say. The recruiter records
    a decline heard by phone with the same questions (RecordDeclineForm)."""

    reason = forms.ChoiceField(
        label="Why are you declining?",
        choices=OfferDecline.Reason.choices,
        widget=forms.RadioSelect,
    )
    competitor = forms.ModelChoiceField(
        label="Whose offer did you choose? (optional)",
        queryset=Company.objects.filter(kind=Company.Kind.COMPETITOR).order_by("name"),
        required=False,
    )
    rival_offer = forms.CharField(
        label="What did they offer? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label="Anything else you would like us to know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RecordDeclineForm(CandidateDeclineForm):
    """A decline the candidate told the recruiter (by phone, by email)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why did they decline?"
        self.fields["competitor"].label = "Whose offer did they choose?"
        self.fields["rival_offer"].label = "What do we know of that offer?"
        self.fields["note"].label = "In their words"


class ExtendDeadlineForm(forms.Form):
    expires_at = datetime_field("New deadline")


class KeepOpenForm(forms.Form):
    keep_open = forms.BooleanField(
        label="If the candidate declines, keep the application open for a revised offer",
        required=False,
    )
