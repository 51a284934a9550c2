"""The columns of a file of candidates (CSV and the other tablib formats), through
django-import-export: the admin's export writes them; candidates/imports.py reads them, cell by
cell with these fields' widgets, in batches of rows (how rows find their candidate, and what
is created, is said there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model, Prefetch, QuerySet
from django_countries import countries
from django_countries.fields import Country
from django_stubs_ext import StrOrPromise
from import_export import fields, resources, widgets
from tablib import Dataset

from .models import Candidate, Company, Currency, Level, Tag

# The estimated current pay: exported and imported only for users who may see compensation.
PAY_FIELDS = ("current_base", "current_bonus", "current_equity_per_year", "current_pay_currency")


# A row as import_export hands it to widgets and resources: column name to cell.
Row = Mapping[str, Any]


# The columns that name rows of other tables (a company, an owner, a currency, tags) are read
# by candidates/imports.py, which looks them up a batch of rows at a time; these widgets write
# them on export.


class CompanyWidget(widgets.Widget):
    def render(self, value: Company | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.name if value else ""


class OwnerWidget(widgets.Widget):
    def render(self, value: User | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.get_username() if value else ""


class CurrencyWidget(widgets.Widget):
    def render(self, value: Currency | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.code if value else ""


class MoneyWidget(widgets.Widget):
    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> Decimal | None:
        if value in (None, ""):
            return None
        text = str(value).strip().replace(",", "").replace("_", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{value}” is not an amount; write it like 250000.00.") from None
        if not amount.is_finite():
            raise ValueError(f"“{value}” is not an amount; write it like 250000.00.")
        return amount

    def render(self, value: Decimal | None, obj: Model | None = None, **kwargs: Any) -> str:
        return "" if value is None else f"{value:.2f}"


class ChoiceWidget(widgets.Widget):
    """Reads a choice by its label ("Post-training / RLHF") or its code, in any case; writes
    the label, as the admin shows it."""

    def __init__(self, choices: Iterable[tuple[str, StrOrPromise]]) -> None:
        super().__init__()
        self.choices = [(code, str(label)) for code, label in choices]

    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> str:
        text = " ".join(str(value or "").split()).casefold()
        if not text:
            return ""
        for code, label in self.choices:
            if text in (code.casefold(), label.casefold()):
                return code
        allowed = ", ".join(label for code, label in self.choices if code)
        raise ValueError(f"“{value}” is not one of: {allowed}.")

    def render(self, value: str | None, obj: Model | None = None, **kwargs: Any) -> str:
        return dict(self.choices).get(value, value or "") if value else ""


class CountryWidget(widgets.Widget):
    """Reads a country by ISO code ("FR") or English name ("France")."""

    def __init__(self) -> None:
        super().__init__()
        # A name is looked up through every country's translated name (a millisecond and a
        # half): once per name and file, not once per row.
        self._codes: dict[str, str] = {}

    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return ""
        if text not in self._codes:
            self._codes[text] = (
                text.upper() if text.upper() in countries else countries.by_name(text)
            )
        code = self._codes[text]
        if not code:
            raise ValueError(f"“{value}” is not a country; use its name or ISO code, e.g. FR.")
        return code

    def render(self, value: Country | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.code if value else ""


def _choice(name: str, choices: Iterable[tuple[str, StrOrPromise]]) -> fields.Field:
    return fields.Field(column_name=name, attribute=name, widget=ChoiceWidget(choices))


class TagsWidget(widgets.ManyToManyWidget):
    def __init__(self) -> None:
        super().__init__(Tag, separator=",", field="name")


class EmailsField(fields.Field):
    """A candidate's emails, "a@x; b@y"."""

    def export(self, instance: Candidate | None, **kwargs: Any) -> str:
        if instance is None or not instance.pk:
            return ""
        return "; ".join(e.email for e in instance.emails.all())


class CandidateResource(resources.ModelResource):
    # The id only finds the candidate to update; it is never written.
    id = fields.Field(
        column_name="id", attribute="id", readonly=True, widget=widgets.IntegerWidget()
    )
    emails = EmailsField(column_name="emails", attribute=None)
    # An empty cell leaves the company, owner and tags as they are; tags are added, never
    # removed, so a partial list cannot wipe the ones a recruiter set by hand.
    current_company = fields.Field(
        column_name="current_company",
        attribute="current_company",
        widget=CompanyWidget(),
        saves_null_values=False,
    )
    owner = fields.Field(
        column_name="owner", attribute="owner", widget=OwnerWidget(), saves_null_values=False
    )
    tags = fields.Field(column_name="tags", attribute="tags", widget=TagsWidget(), m2m_add=True)
    current_pay_currency = fields.Field(
        column_name="current_pay_currency",
        attribute="current_pay_currency",
        widget=CurrencyWidget(),
    )
    current_base = fields.Field(
        column_name="current_base", attribute="current_base", widget=MoneyWidget()
    )
    current_bonus = fields.Field(
        column_name="current_bonus", attribute="current_bonus", widget=MoneyWidget()
    )
    current_equity_per_year = fields.Field(
        column_name="current_equity_per_year",
        attribute="current_equity_per_year",
        widget=MoneyWidget(),
    )
    country = fields.Field(column_name="country", attribute="country", widget=CountryWidget())
    specialty = _choice("specialty", Candidate.Specialty.choices)
    level = _choice("level", Level.choices)
    source = _choice("source", Candidate.Source.choices)
    relationship = _choice("relationship", Candidate.Relationship.choices)
    consent_basis = _choice("consent_basis", Candidate.ConsentBasis.choices)
    flight_risk_reason = _choice("flight_risk_reason", Candidate.FlightRiskReason.choices)

    class Meta:
        model = Candidate
        fields: tuple[str, ...] = (
            "id",
            "name",
            "emails",
            "phone",
            "city",
            "country",
            "timezone",
            "current_company",
            "current_title",
            "specialty",
            "level",
            "linkedin_url",
            "github_url",
            "scholar_url",
            "website_url",
            "source",
            "referrer",
            "owner",
            "tags",
            "relationship",
            "do_not_contact",
            "consent_basis",
            "consent_date",
            "current_base",
            "current_bonus",
            "current_equity_per_year",
            "current_pay_currency",
            "motivator_pay",
            "motivator_team_lead",
            "motivator_work_quality",
            "motivator_research_freedom",
            "motivator_publishing",
            "motivator_ethics_impact",
            "motivator_location",
            "flight_risk",
            "flight_risk_reason",
        )
        import_id_fields = ["id"]
        clean_model_instances = True
        skip_unchanged = False
        use_transactions = True

    # --- export ----------------------------------------------------------------------------

    def export(self, queryset: QuerySet[Candidate] | None = None, **kwargs: Any) -> Dataset:
        if queryset is not None:
            queryset = queryset.select_related(
                "current_company", "owner", "current_pay_currency"
            ).prefetch_related(Prefetch("emails"), "tags")
        return super().export(queryset=queryset, **kwargs)


class CandidateResourceWithoutPay(CandidateResource):
    """The same file less the estimated current pay, for users without the permission to see
    compensation: the pay columns are neither written on export nor read on import."""

    class Meta(CandidateResource.Meta):
        fields = tuple(f for f in CandidateResource.Meta.fields if f not in PAY_FIELDS)
