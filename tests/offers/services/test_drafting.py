"""Drafting, revising and editing offers: every component as typed, totals and instalments
in dollars (0.847 EUR per USD), a new version after a decline, a revision as the next
version with the old one kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from offers.compensation import Component
from offers.models import EquityGrant, Offer, VestingYear
from offers.selectors import value_offer
from offers.services import (
    accept_offer,
    decline_offer,
    draft_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
    update_draft,
)
from offers.terms import EquityTerms, OfferError
from tests.factories import ApprovalRuleFactory, offer_terms
from tests.offers.services.helpers import EVEN_4_YEARS, SIGNING_150M, M, Status, draft, reload

pytestmark = pytest.mark.django_db


EUR_PER_USD = Decimal("0.847")


# --- Drafting ------------------------------------------------------------------------------


def test_a_draft_is_version_1_with_every_component_as_typed(application, recruiter):
    terms = offer_terms(
        base_salary=2 * M,
        target_bonus_percent=Decimal(15),
        relocation=Decimal(100_000),
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
        retention_payments=[(24, Decimal(5_000_000))],
        retention_clawback_months=12,
        equity=[
            EquityTerms(
                32 * M,
                [Decimal(p) for p in (40, 30, 20, 10)],
                cliff_months=12,
                frequency="monthly",
                kind=EquityGrant.Kind.OPTIONS,
            )
        ],
        other=[("Research compute stipend", Decimal(250_000), 2)],
    )
    before = timezone.now()

    offer = reload(draft_offer(application, terms, by=recruiter))

    assert (offer.version, offer.status, offer.kind, offer.currency_id) == (
        1,
        Status.DRAFT,
        Offer.Kind.NEW_HIRE,
        "USD",
    )
    assert offer.revises is None
    assert offer.drafted_by == recruiter
    assert before <= offer.drafted_at <= timezone.now()
    assert (offer.base_salary, offer.target_bonus_percent, offer.relocation) == (
        Decimal("2000000.00"),
        Decimal("15.00"),
        Decimal("100000.00"),
    )
    assert [(p.kind, p.month, p.amount) for p in offer.payments.all()] == [
        ("retention", 24, Decimal("5000000.00")),
        *[("signing", month, Decimal("37500000.00")) for month in (0, 12, 24, 36)],
    ]
    assert (offer.signing_clawback_months, offer.retention_clawback_months) == (24, 12)
    grant = offer.equity_grants.get()
    assert (grant.kind, grant.value, grant.cliff_months, grant.frequency) == (
        "options",
        Decimal("32000000.00"),
        12,
        "monthly",
    )
    assert [(y.year, y.percentage) for y in grant.vesting_years.all()] == [
        (1, 40),
        (2, 30),
        (3, 20),
        (4, 10),
    ]
    assert [(o.name, o.amount, o.year) for o in offer.other_amounts.all()] == [
        ("Research compute stipend", Decimal("250000.00"), 2)
    ]
    # What was saved values exactly as what was typed.
    assert offer.to_package() == terms.to_package()


def test_base_2m_and_8m_of_equity_a_year_is_10m_a_year(application, recruiter):
    offer = draft(
        application, recruiter, base_salary=2 * M, equity=[EquityTerms(32 * M, EVEN_4_YEARS)]
    )

    valuation = value_offer(reload(offer))

    pay = valuation.compensation
    assert pay.by_component[Component.BASE_SALARY] == (2 * M,) * 4
    assert pay.by_component[Component.EQUITY] == (8 * M,) * 4
    assert pay.yearly_totals == (10 * M,) * 4
    assert (pay.year_one, pay.annual_average, pay.total) == (10 * M, 10 * M, 40 * M)
    # Reported in USD, the offer's own currency: the same amounts at a rate of 1.
    assert valuation.rate == 1
    assert (valuation.reporting.currency, valuation.reporting.total) == ("USD", 40 * M)
    # $10M a year against a senior scientist's band ($900k–$2M, target $1.4M).
    assert str(valuation.band_position) == "above band (7.14× target)"
    assert str(valuation.base_position) == "above band (5.33× target)"


def test_a_150m_signing_bonus_in_4_instalments_with_a_2_year_clawback(application, recruiter):
    offer = draft(
        application,
        recruiter,
        base_salary=2 * M,
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
    )

    package = reload(offer).to_package()
    pay = value_offer(reload(offer)).compensation

    assert package.signing_bonus.total == 150 * M
    assert package.signing_bonus.clawback_months == 24
    # Leaving after 6 months: 18 of the first instalment's 24 clawback months are left.
    assert package.signing_bonus.repayable_if_leaving_at(6) == Decimal("28125000.00")
    assert pay.by_component[Component.SIGNING_BONUS] == (Decimal("37500000.00"),) * 4
    assert pay.yearly_totals == (Decimal("39500000.00"),) * 4
    assert (pay.year_one, pay.total) == (Decimal("39500000.00"), 158 * M)


def test_a_eur_offer_is_reported_in_usd_at_0_847_eur_per_usd(application, recruiter):
    offer = draft(
        application,
        recruiter,
        currency="EUR",
        base_salary=Decimal(847_000),
        signing_payments=[(0, Decimal(127_050_000))],
    )

    valuation = value_offer(reload(offer))

    assert valuation.compensation.currency == "EUR"
    assert valuation.compensation.year_one == Decimal(127_897_000)
    assert valuation.rate == Decimal(1) / EUR_PER_USD
    assert valuation.reporting.currency == "USD"
    assert valuation.reporting.component_total(Component.BASE_SALARY) == Decimal("1000000.00")
    assert valuation.reporting.component_total(Component.SIGNING_BONUS) == 150 * M


def test_an_application_whose_offer_was_declined_gets_a_new_version(application, recruiter):
    first = send_offer(
        submit_for_approval(draft(application, recruiter), by=recruiter), by=recruiter
    )
    decline_offer(first, by=recruiter)

    second = draft(application, recruiter, base_salary=Decimal(450_000))

    assert (second.version, second.status, second.revises) == (2, Status.DRAFT, None)
    assert reload(first).status == Status.DECLINED


# --- Revising and editing ------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_a_revision_is_the_next_version_and_the_old_one_stays_as_it_was(
    offer_in, hiring_manager, status
):
    old = offer_in(status)
    package, sent_rate = old.to_package(), old.sent_rate
    before = timezone.now()

    new = revise_offer(
        old,
        by=hiring_manager,
        terms=offer_terms(base_salary=Decimal(450_000), signing_payments=[(0, 2 * M)]),
    )

    new, old = reload(new), reload(old)
    assert (new.version, new.status, new.revises, new.drafted_by) == (
        2,
        Status.DRAFT,
        old,
        hiring_manager,
    )
    assert before <= new.drafted_at <= timezone.now()
    assert new.base_salary == Decimal(450_000)
    assert [(p.month, p.amount) for p in new.payments.all()] == [(0, 2 * M)]
    # Still in approval, the old version gives way at once; sent, the candidate holds it
    # until the new one is sent.
    assert old.status == (Status.SENT if status == Status.SENT else Status.SUPERSEDED)
    assert (old.version, old.base_salary, old.sent_rate) == (1, Decimal(400_000), sent_rate)
    assert old.to_package() == package


def test_a_revision_without_new_terms_copies_every_component(application, recruiter):
    offer = draft(
        application,
        recruiter,
        base_salary=2 * M,
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS, cliff_months=6)],
        other=[("Visa costs", Decimal(20_000), 1)],
    )
    offer = submit_for_approval(offer, by=recruiter)

    new = revise_offer(offer, by=recruiter)

    assert reload(new).to_package() == reload(offer).to_package()
    assert EquityGrant.objects.count() == 2 and VestingYear.objects.count() == 8


def test_a_draft_is_edited_in_place(application, recruiter, hiring_manager):
    offer = draft(application, recruiter, signing_payments=SIGNING_150M)

    update_draft(
        offer,
        offer_terms(base_salary=Decimal(450_000), equity=[EquityTerms(4 * M, EVEN_4_YEARS)]),
        by=hiring_manager,
    )

    offer = reload(offer)
    assert (offer.version, offer.status, offer.base_salary) == (1, Status.DRAFT, 450_000)
    assert not offer.payments.exists()
    assert offer.equity_grants.get().value == 4 * M
    assert Offer.objects.count() == 1


# --- A sent offer stands while its revision is prepared ----------------------------------------


def test_a_sent_offer_stands_until_its_revision_is_sent(application, recruiter, offer_in):
    held = offer_in(Status.SENT)
    revision = revise_offer(held, by=recruiter, terms=offer_terms(base_salary=Decimal(450_000)))

    # Being prepared: the candidate still holds version 1, and may accept it.
    assert reload(held).status == Status.SENT
    with pytest.raises(OfferError, match="Version 2 is already being prepared"):
        revise_offer(held, by=recruiter)

    submit_for_approval(revision, by=recruiter)  # no rule applies: approved at once
    send_offer(reload(revision), by=recruiter)

    assert reload(revision).status == Status.SENT
    assert reload(held).status == Status.SUPERSEDED


def test_accepting_the_offer_held_withdraws_the_revision_being_prepared(
    application, recruiter, offer_in, approver
):
    held = offer_in(Status.SENT)
    ApprovalRuleFactory(name="Every offer", condition="any_offer")
    revision = submit_for_approval(revise_offer(held, by=recruiter), by=recruiter)
    assert reload(revision).status == Status.PENDING_APPROVAL

    accept_offer(held, by=recruiter)

    assert reload(held).status == Status.ACCEPTED
    assert reload(revision).status == Status.SUPERSEDED
    assert not revision.approvals.exists()  # nothing left waiting for the approvers
