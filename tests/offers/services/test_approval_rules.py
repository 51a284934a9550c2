"""The approval rules, one condition at a time (above the band, signing bonus, equity,
retention, currency, inactive), and the groups and permission migrate creates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from candidates.models import Candidate
from offers.models import Offer
from offers.permissions import APPROVER_GROUP, FINANCE_GROUP
from offers.selectors import Market
from offers.services import draft_offer, rescind_offer, submit_for_approval
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    RoleFactory,
    offer_terms,
)
from tests.offers.services.helpers import (
    EVEN_4_YEARS,
    Condition,
    M,
    Status,
    draft,
    reload,
    today,
)

pytestmark = pytest.mark.django_db


# --- The approval rules, one condition at a time -------------------------------------------


def submitted(application, recruiter, **changes) -> Offer:
    return reload(submit_for_approval(draft(application, recruiter, **changes), by=recruiter))


def reasons(offer: Offer) -> list[str]:
    return [a.reason for a in offer.approvals.all()]


@pytest.mark.parametrize(
    ("base", "needed"),
    [
        (Decimal(2_000_000), False),  # at the band's max: within it
        (Decimal("2000000.01"), True),
        (Decimal(400_000), False),  # below the band
    ],
)
def test_total_above_the_band_max_needs_approval(application, recruiter, base, needed):
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)

    offer = submitted(application, recruiter, base_salary=base)

    if needed:
        assert offer.status == Status.PENDING_APPROVAL
        assert reasons(offer) == [
            "total compensation above the band's max (1.43× target, one-time pay over 4 years)"
        ]
    else:
        assert offer.status == Status.APPROVED
        assert reasons(offer) == []


def test_the_band_is_compared_in_its_own_currency(recruiter):
    # A European senior scientist's band is in euros: total max €1,101,000.
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)
    role = RoleFactory(level="senior", zone=Role.Zone.EUROPE)

    # $1.2M is €1,016,400; $1.3M is €1,101,100.
    within = submitted(ApplicationFactory(role=role), recruiter, base_salary=Decimal(1_200_000))
    above = submitted(ApplicationFactory(role=role), recruiter, base_salary=Decimal(1_300_000))

    assert within.status == Status.APPROVED
    assert above.status == Status.PENDING_APPROVAL
    assert reasons(above) == [
        "total compensation above the band's max (1.43× target, one-time pay over 4 years)"
    ]


def test_a_role_without_a_band_is_never_above_it(recruiter):
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)
    role = RoleFactory(level="junior")

    offer = submitted(ApplicationFactory(role=role), recruiter, base_salary=10 * M)

    assert offer.status == Status.APPROVED


@pytest.mark.parametrize(
    ("currency", "signing", "reason"),
    [
        ("USD", 150 * M, "signing bonus 150,000,000.00 USD ≥ 150,000,000.00 USD"),
        ("USD", Decimal("149999999.99"), None),
        # €127.05M is $150M at 0.847; "about €127M" is just under it.
        (
            "EUR",
            Decimal(127_050_000),
            "signing bonus 150,000,000.00 USD ≥ 150,000,000.00 USD "
            "(at 1.180638 USD per EUR, the rate of 1 Nov 2025)",
        ),
        ("EUR", Decimal(127_000_000), None),
    ],
    ids=["$150M", "a cent under $150M", "€127.05M", "€127M"],
)
def test_a_signing_bonus_at_or_above_an_amount_in_dollars_needs_approval(
    application, recruiter, currency, signing, reason
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=150 * M
    )

    offer = submitted(application, recruiter, currency=currency, signing_payments=[(0, signing)])

    assert reasons(offer) == ([reason] if reason else [])
    assert offer.status == (Status.PENDING_APPROVAL if reason else Status.APPROVED)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (20 * M, "equity 20,000,000.00 USD ≥ 20,000,000.00 USD"),
        (Decimal("19999999.99"), None),
    ],
)
def test_equity_at_or_above_an_amount_needs_approval(application, recruiter, value, reason):
    ApprovalRuleFactory(name="Big equity", condition=Condition.EQUITY_AT_OR_ABOVE, amount=20 * M)

    offer = submitted(application, recruiter, equity=[EquityTerms(value, EVEN_4_YEARS)])

    assert reasons(offer) == ([reason] if reason else [])


def test_every_retention_offer_needs_approval(recruiter, role, application):
    ApprovalRuleFactory(name="Retention", condition=Condition.RETENTION_OFFER)
    employee = CandidateFactory(relationship=Candidate.Relationship.EMPLOYEE)
    keep = draft_offer(
        ApplicationFactory(candidate=employee, role=role),
        offer_terms(retention_payments=[(0, M)]),
        by=recruiter,
        kind=Offer.Kind.RETENTION,
    )

    retention = reload(submit_for_approval(keep, by=recruiter))
    new_hire = submitted(application, recruiter)

    assert (retention.status, reasons(retention)) == (
        Status.PENDING_APPROVAL,
        ["a retention offer"],
    )
    assert (new_hire.status, reasons(new_hire)) == (Status.APPROVED, [])


def test_every_offer_in_a_given_currency_needs_approval(recruiter, role, application):
    ApprovalRuleFactory(name="Euro offers", condition=Condition.CURRENCY_IS, currency_id="EUR")

    in_euros = submitted(ApplicationFactory(role=role), recruiter, currency="EUR")
    in_dollars = submitted(application, recruiter)

    assert (in_euros.status, reasons(in_euros)) == (Status.PENDING_APPROVAL, ["an offer in EUR"])
    assert (in_dollars.status, reasons(in_dollars)) == (Status.APPROVED, [])


def test_an_inactive_rule_is_ignored(application, recruiter):
    ApprovalRuleFactory(
        name="Old rule", condition=Condition.CURRENCY_IS, currency_id="USD", active=False
    )

    assert submitted(application, recruiter).status == Status.APPROVED


# --- Groups and the permission -------------------------------------------------------------


def test_the_groups_exist_after_migrate_and_both_see_compensation(
    recruiter, approver, hiring_manager, outsider
):
    permission = Permission.objects.get(
        content_type__app_label="offers", codename="view_compensation"
    )

    assert set(permission.group_set.values_list("name", flat=True)) == {
        "Recruiters",
        APPROVER_GROUP,
        FINANCE_GROUP,  # the demo chain's second step, the largest packages
    }
    assert recruiter.has_perm("offers.view_compensation")
    assert approver.has_perm("offers.view_compensation")
    assert not hiring_manager.has_perm("offers.view_compensation")
    assert not outsider.has_perm("offers.view_compensation")
    # Recruiters draft offers; approvers decide approvals but do not edit offers.
    assert recruiter.has_perm("offers.add_offer") and not recruiter.has_perm(
        "offers.change_approval"
    )
    assert approver.has_perm("offers.change_approval") and not approver.has_perm(
        "offers.change_offer"
    )


def test_padding_a_vesting_schedule_does_not_dodge_the_above_band_rule(application, recruiter):
    """$450k base and an $8M signing bonus: $450k + $8M / 4 = $2.45M a year on the band basis,
    above the $2M max. $4 of equity vesting over ten years once stretched the annual average
    over ten years ($1,250,000.40: within) and dodged the rule; it moves nothing now."""
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)
    ten_years = [Decimal(10)] * 10

    plain = submitted(
        application, recruiter, base_salary=Decimal(450_000), signing_payments=[(0, 8 * M)]
    )
    asked_of_plain = reasons(plain)
    rescind_offer(plain, by=recruiter)
    padded = submitted(
        application,
        recruiter,
        base_salary=Decimal(450_000),
        signing_payments=[(0, 8 * M)],
        equity=[EquityTerms(Decimal(4), ten_years)],
    )

    assert plain.status == padded.status == Status.PENDING_APPROVAL
    # 2,450,000 / 1,400,000 target = 1.75; the $4 adds $0.40 a year.
    assert (
        asked_of_plain
        == reasons(padded)
        == ["total compensation above the band's max (1.75× target, one-time pay over 4 years)"]
    )


def test_four_dollars_of_equity_does_not_move_a_package_in_its_band(application, recruiter):
    """The defect of the issue: $400k base and a $1M signing bonus averaged $1.4M over its
    one-year horizon (within the $900k–$2M band), and $650,001 once $4 of equity stretched it to
    four years (below). On the band basis both are $650,000 a year ($400k + $1M / 4), and the
    $4 adds $1: below the band either way."""
    market = Market(today())
    role = application.role
    plain = offer_terms(base_salary=Decimal(400_000), signing_payments=[(0, M)])
    padded = offer_terms(
        base_salary=Decimal(400_000),
        signing_payments=[(0, M)],
        equity=[EquityTerms(Decimal(4), [Decimal(25)] * 4)],
    )

    first = market.value_package(plain.to_package(), role)
    second = market.value_package(padded.to_package(), role)

    assert (first.basis_in_band.annual, second.basis_in_band.annual) == (
        Decimal("650000.00"),
        Decimal("650001.00"),
    )
    assert first.band_position.where == second.band_position.where == "below"
    assert first.recurring_position.where == "below"  # $400k of recurring pay
