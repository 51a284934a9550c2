"""CSV (and other tablib formats) import and export of candidates, through django-import-export.

Rows are matched to existing candidates by `id` when given, else by any of their emails, so
importing the same list twice updates instead of duplicating. Companies and tags named in a
row are created when missing; an unknown owner or currency is an error on that row. The admin
imports all rows or none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model, Prefetch, Q, QuerySet
from django_countries import countries
from django_countries.fields import Country
from django_stubs_ext import StrOrPromise
from import_export import fields, resources, widgets
from tablib import Dataset

from .models import Candidate, CandidateEmail, Company, Currency, Level, Tag
from .services import find_or_create_company, find_or_create_tags

_EMAIL_SPLIT = re.compile(r"[;,\s]+")

# The estimated current pay: exported and imported only for users who may see compensation.
PAY_FIELDS = ("current_base", "current_bonus", "current_equity_per_year", "current_pay_currency")


# A row as import_export hands it to widgets and resources: column name to cell.
Row = Mapping[str, Any]


class CompanyWidget(widgets.Widget):
    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> Company | None:
        return find_or_create_company(str(value)) if value not in (None, "") else None

    def render(self, value: Company | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.name if value else ""


class OwnerWidget(widgets.Widget):
    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> User | None:
        if value in (None, ""):
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(username__iexact=str(value).strip()).first()
        if user is None:
            raise ValueError(f"No user is named “{value}”; use the owner's username.")
        if not (user.is_active and user.is_staff):
            raise ValueError(
                f"{user.get_username()} is not an active recruiter and cannot own candidates."
            )
        return user

    def render(self, value: User | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.get_username() if value else ""


class CurrencyWidget(widgets.Widget):
    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> Currency | None:
        if value in (None, ""):
            return None
        code = str(value).strip().upper()
        currency = Currency.objects.filter(code=code).first()
        if currency is None:
            known = ", ".join(Currency.objects.values_list("code", flat=True))
            raise ValueError(f"Unknown currency “{value}”; known currencies: {known}.")
        return currency

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

    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return ""
        if text.upper() in countries:
            return text.upper()
        code = countries.by_name(text)
        if not code:
            raise ValueError(f"“{value}” is not a country; use its name or ISO code, e.g. FR.")
        return code

    def render(self, value: Country | None, obj: Model | None = None, **kwargs: Any) -> str:
        return value.code if value else ""


def _choice(name: str, choices: Iterable[tuple[str, StrOrPromise]]) -> fields.Field:
    return fields.Field(column_name=name, attribute=name, widget=ChoiceWidget(choices))


def _same_person(a: str, b: str) -> bool:
    def key(name: str) -> str:
        plain = unicodedata.normalize("NFKD", name)
        return " ".join(
            "".join(c for c in plain if not unicodedata.combining(c)).split()
        ).casefold()

    return key(a) == key(b)


class TagsWidget(widgets.ManyToManyWidget):
    def __init__(self) -> None:
        from .models import Tag

        super().__init__(Tag, separator=",", field="name")

    def clean(self, value: Any, row: Row | None = None, **kwargs: Any) -> list[Tag]:
        return find_or_create_tags(str(value or "").split(","))


class EmailsField(fields.Field):
    """A candidate's emails, "a@x; b@y": in an import's preview, those it will have once
    saved (its own and the file's, which are added, never removed); in an export, its own.
    The preview reads a field's export(), not the resource's dehydrate methods."""

    def export(self, instance: Candidate | None, **kwargs: Any) -> str:
        if instance is None:
            return ""
        own = [e.email for e in instance.emails.all()] if instance.pk else []
        pending = getattr(instance, "_import_emails", None) or []
        known = {e.lower() for e in own}
        return "; ".join([*own, *(e for e in pending if e.lower() not in known)])


class CandidateResource(resources.ModelResource):
    # The id only finds the candidate to update (get_instance); it is never written.
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seen_emails: dict[str, int] = {}

    def before_import(self, dataset: Dataset, **kwargs: Any) -> None:
        self._seen_emails = {}  # emails met earlier in this file, by row number

    # --- matching rows to candidates -------------------------------------------------------

    @staticmethod
    def _parse_emails(row: Row) -> list[str]:
        raw = str(row.get("emails") or "").strip()
        return [e for e in _EMAIL_SPLIT.split(raw) if e]

    def get_instance(self, instance_loader: Any, row: Row) -> Candidate | None:
        raw_id = str(row.get("id") or "").strip()
        if raw_id:
            if not raw_id.isdigit():
                raise ValidationError({"id": f"“{raw_id}” is not a candidate id."})
            instance = Candidate.objects.filter(pk=int(raw_id)).first()
            if instance is None:
                raise ValidationError(
                    {"id": f"No candidate #{raw_id}; leave id empty to add a new candidate."}
                )
            return instance
        emails = self._parse_emails(row)
        if emails:
            any_of = Q()
            for email in emails:
                any_of |= Q(email__iexact=email)
            match = CandidateEmail.objects.filter(any_of).select_related("candidate").first()
            if match is not None:
                match.candidate._matched_email = match.email
                match.candidate._name_before_import = match.candidate.name
                return match.candidate
        return None

    # --- validation ------------------------------------------------------------------------

    def import_instance(self, instance: Candidate, row: Row, **kwargs: Any) -> None:
        # The parent's ValidationErrors, by field, then the messages of the emails check.
        errors: dict[str, list[Any]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        email_errors = self._check_emails(instance, row, kwargs.get("row_number"))
        matched = getattr(instance, "_matched_email", None)
        if (
            matched
            and instance.name
            and not _same_person(instance.name, instance._name_before_import)
        ):
            # An email match updates that candidate; a different name says it is someone else
            # (or a typo in the email), and overwriting them would lose a real person's record.
            email_errors.append(
                f"{matched} belongs to {instance._name_before_import} (#{instance.pk}), not to "
                f"{instance.name}. To update {instance._name_before_import}, put "
                f"{instance.pk} in the id column; otherwise correct the email."
            )
        if email_errors:
            errors["emails"] = email_errors
        if errors:
            raise ValidationError(errors)

    def validate_instance(
        self,
        instance: Candidate,
        import_validation_errors: dict[str, list[Any]] | None = None,
        validate_unique: bool = True,
    ) -> None:
        # Copied first: the parent extends these very lists with full_clean()'s messages.
        unread = {field: list(errs) for field, errs in (import_validation_errors or {}).items()}
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            # A cell that could not be read (an unknown currency) is reported once, as that;
            # not again as the rule its empty value then breaks (pay without a currency).
            raise ValidationError(
                {field: unread.get(field, messages) for field, messages in error.error_dict.items()}
            ) from None

    def _check_emails(self, instance: Candidate, row: Row, row_number: int | None) -> list[str]:
        problems: list[str] = []
        emails = self._parse_emails(row)
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"“{email}” is not a valid email address.")
                continue
            key = email.lower()
            if key in self._seen_emails and self._seen_emails[key] != row_number:
                problems.append(f"{email} is also in row {self._seen_emails[key]} of this file.")
                continue
            self._seen_emails[key] = row_number or 0
            other = CandidateEmail.objects.filter(email__iexact=email)
            if instance.pk:
                other = other.exclude(candidate_id=instance.pk)
            owner = other.select_related("candidate").first()
            if owner is not None:
                problems.append(
                    f"{email} already belongs to {owner.candidate.name} (#{owner.candidate_id})."
                )
        instance._import_emails = emails  # saved in after_save_instance
        return problems

    def after_save_instance(self, instance: Candidate, row: Row, **kwargs: Any) -> None:
        emails = getattr(instance, "_import_emails", [])
        existing = {e.lower() for e in instance.emails.values_list("email", flat=True)}
        has_primary = instance.emails.filter(is_primary=True).exists()
        for email in emails:
            if email.lower() not in existing:
                CandidateEmail.objects.create(
                    candidate=instance, email=email, is_primary=not has_primary
                )
                existing.add(email.lower())
                has_primary = True

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
