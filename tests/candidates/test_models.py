"""The rules a candidate record keeps: the form reports them on the field, the database holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from candidates.models import Candidate, CandidateEmail, Company, CompanyPause, Currency, Tag
from tests.factories import CandidateFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db


def field_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_a_complete_candidate_is_valid():
    candidate = Candidate(
        name="Ada Lovelace",
        timezone="Europe/London",
        linkedin_url="https://www.linkedin.com/in/ada",
        current_base=Decimal("250000.00"),
        current_pay_currency=Currency.objects.get(code="GBP"),
        source=Candidate.Source.REFERRAL,
        referrer="Charles Babbage",
        consent_basis=Candidate.ConsentBasis.CONSENT,
        consent_date=dt.date(2025, 1, 6),
        motivator_pay=0,
        motivator_location=5,
    )

    candidate.full_clean()
    candidate.save()

    assert Candidate.objects.filter(name="Ada Lovelace").exists()


# --- Emails --------------------------------------------------------------------------------


def test_the_database_refuses_an_email_that_differs_only_in_case():
    CandidateFactory(name="Ada Lovelace", email="ada@example.org")
    grace = CandidateFactory(name="Grace Hopper", email="grace@example.org")

    with transaction.atomic(), pytest.raises(IntegrityError):
        CandidateEmail.objects.create(candidate=grace, email="ADA@Example.ORG")

    assert list(grace.emails.values_list("email", flat=True)) == ["grace@example.org"]


def test_full_clean_names_the_candidate_who_already_has_the_email():
    CandidateFactory(name="Ada Lovelace", email="ada@example.org")
    grace = CandidateFactory(name="Grace Hopper", email="grace@example.org")

    errors = field_errors(CandidateEmail(candidate=grace, email="ADA@Example.ORG"))

    assert list(errors) == ["email"]
    assert "Ada Lovelace" in errors["email"][0]


def test_a_candidate_may_keep_their_own_email_on_a_second_clean():
    ada = CandidateFactory(name="Ada Lovelace", email="ada@example.org")
    email = ada.emails.get()

    email.email = "Ada@Example.org"
    email.full_clean()
    email.save()

    assert ada.emails.get().email == "Ada@Example.org"


def test_an_invalid_email_address_is_refused():
    ada = CandidateFactory()

    errors = field_errors(CandidateEmail(candidate=ada, email="ada.example.org"))

    assert list(errors) == ["email"]


def test_a_candidate_has_only_one_primary_email():
    ada = CandidateFactory(email="ada@example.org")

    with transaction.atomic(), pytest.raises(IntegrityError):
        CandidateEmail.objects.create(candidate=ada, email="ada@work.example", is_primary=True)


# --- Rules held by both full_clean and the database ------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param({"motivator_pay": 6}, "motivator_pay", "5", id="motivator-above-5"),
        pytest.param({"motivator_location": -1}, "motivator_location", "0", id="motivator-below-0"),
        pytest.param(
            {"current_base": Decimal("-1.00"), "current_pay_currency_id": "USD"},
            "current_base",
            "negative",
            id="negative-base",
        ),
        pytest.param(
            {"current_bonus": Decimal("-0.01"), "current_pay_currency_id": "USD"},
            "current_bonus",
            "negative",
            id="negative-bonus",
        ),
        pytest.param(
            {"current_equity_per_year": Decimal("-5"), "current_pay_currency_id": "EUR"},
            "current_equity_per_year",
            "negative",
            id="negative-equity",
        ),
        pytest.param(
            {"current_base": Decimal("180000")},
            "current_pay_currency",
            "needs a currency",
            id="pay-without-currency",
        ),
        pytest.param(
            {"source": Candidate.Source.REFERRAL, "referrer": ""},
            "referrer",
            "referrer's name",
            id="referral-without-referrer",
        ),
        pytest.param(
            {"consent_basis": Candidate.ConsentBasis.CONSENT, "consent_date": None},
            "consent_date",
            "date",
            id="consent-without-date",
        ),
    ],
)
def test_a_broken_candidate_rule_is_reported_on_its_field_and_held_by_the_database(
    values, field, message
):
    candidate = Candidate(name="Ada Lovelace", **values)

    errors = field_errors(candidate)

    assert field in errors
    assert any(message in text for text in errors[field])
    # The rule is shown once, on the field a person fixes, not again at the top of the form.
    assert NON_FIELD_ERRORS not in errors

    with transaction.atomic(), pytest.raises(IntegrityError):
        candidate.save()
    assert not Candidate.objects.filter(name="Ada Lovelace").exists()


def test_a_referral_with_only_spaces_for_a_referrer_is_refused():
    errors = field_errors(
        Candidate(name="Ada Lovelace", source=Candidate.Source.REFERRAL, referrer="   ")
    )

    assert "referrer" in errors


def test_an_unknown_timezone_is_refused():
    errors = field_errors(Candidate(name="Ada Lovelace", timezone="Mars/Olympus_Mons"))

    assert list(errors) == ["timezone"]
    assert "Mars/Olympus_Mons" in errors["timezone"][0]


@pytest.mark.parametrize("field", ["linkedin_url", "github_url", "scholar_url", "website_url"])
def test_an_invalid_url_is_refused(field):
    errors = field_errors(Candidate(name="Ada Lovelace", **{field: "not a web address"}))

    assert list(errors) == [field]


def test_an_invalid_phone_number_is_refused():
    errors = field_errors(Candidate(name="Ada Lovelace", phone="call me maybe"))

    assert list(errors) == ["phone"]


# --- Companies, pauses and tags ------------------------------------------------------------


def test_a_pause_ending_before_it_starts_is_refused_by_full_clean_and_the_database():
    company = CompanyFactory()
    pause = CompanyPause(
        company=company, starts_on=dt.date(2025, 12, 22), ends_on=dt.date(2025, 12, 21)
    )

    errors = field_errors(pause)

    assert list(errors) == ["ends_on"]
    assert "cannot end before it starts" in errors["ends_on"][0]

    with transaction.atomic(), pytest.raises(IntegrityError):
        pause.save()
    assert not company.pauses.exists()


def test_a_one_day_pause_is_valid():
    pause = CompanyPause(
        company=CompanyFactory(), starts_on=dt.date(2025, 12, 22), ends_on=dt.date(2025, 12, 22)
    )

    pause.full_clean()


def test_company_names_are_unique_whatever_the_case():
    CompanyFactory(name="DeepMind")

    with pytest.raises(ValidationError) as caught:
        Company(name="deepmind").full_clean()
    assert "already exists" in str(caught.value)

    with transaction.atomic(), pytest.raises(IntegrityError):
        Company.objects.create(name="DEEPMIND")


def test_only_one_company_is_our_own():
    CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)

    with pytest.raises(ValidationError):
        Company(name="Another Us", kind=Company.Kind.OURS).full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Company.objects.create(name="Another Us", kind=Company.Kind.OURS)


def test_tag_names_are_unique_whatever_the_case():
    TagFactory(name="Safety")

    with transaction.atomic(), pytest.raises(IntegrityError):
        Tag.objects.create(name="safety")
