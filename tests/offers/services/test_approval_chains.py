"""Approval chains: ordered steps, each asked only when every step before it approved, with
thresholds on the four-year total (the CFO at $10M, the CEO at $100M); delegation to another
approver for a period, recorded on the decision; an alert to each step as it opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from offers.models import Approval, Delegation
from offers.services import (
    approve_offer,
    delegate_approvals,
    end_delegation,
    reject_offer,
    submit_for_approval,
)
from offers.terms import EquityTerms, OfferError
from recruiting.alerts.models import Alert
from tests.factories import ApprovalRuleFactory, UserFactory
from tests.offers.services.helpers import EVEN_4_YEARS, Condition, M, Status, draft, reload, today

pytestmark = pytest.mark.django_db


def member(username: str, first: str, last: str, group: str):
    user = UserFactory.create(username=username, first_name=first, last_name=last)
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def chain():
    """Recruiting lead, then head of compensation, then the CFO from a $10M four-year total,
    then the CEO from $100M."""
    people = {
        "lead": member("rosa", "Rosa", "Lead", "Recruiting leads"),
        "comp": member("hana", "Hana", "Comp", "Head of compensation"),
        "cfo": member("cora", "Cora", "Finance", "CFO"),
        "ceo": member("cyrus", "Cyrus", "Chief", "CEO"),
        "deputy": UserFactory(username="dan", first_name="Dan", last_name="Deputy"),
    }
    for step, name, condition, amount, group in (
        (1, "Every offer: a recruiting lead", Condition.ANY_OFFER, None, "Recruiting leads"),
        (2, "Every offer: compensation", Condition.ANY_OFFER, None, "Head of compensation"),
        (3, "CFO from $10M", Condition.TOTAL_AT_OR_ABOVE, 10 * M, "CFO"),
        (4, "CEO from $100M", Condition.TOTAL_AT_OR_ABOVE, 100 * M, "CEO"),
    ):
        ApprovalRuleFactory(
            name=name,
            step=step,
            condition=condition,
            amount=amount,
            group=Group.objects.get(name=group),
        )
    return people


def big_offer(application, recruiter, **changes):
    """$2M base and $32M of RSUs over four years: $40M over years one to four."""
    return draft(
        application,
        recruiter,
        base_salary=2 * M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
        **changes,
    )


def asked(offer):
    """Who was alerted that their approval is asked, in order."""
    return list(
        Alert.objects.filter(kind="approval_asked", about_id=offer.pk)
        .order_by("id")
        .values_list("recipient__username", flat=True)
    )


def steps(offer):
    return list(
        Approval.objects.filter(offer=offer)
        .order_by("step")
        .values_list("step", "group__name", "status")
    )


def test_a_40m_offer_needs_three_ordered_steps_and_only_the_first_is_asked(
    application, recruiter, chain
):
    offer = submit_for_approval(big_offer(application, recruiter), by=recruiter)

    assert steps(offer) == [
        (1, "Recruiting leads", "pending"),
        (2, "Head of compensation", "queued"),
        (3, "CFO", "queued"),
    ]
    cfo = Approval.objects.get(offer=offer, step=3)
    assert cfo.reason == "four-year total 40,000,000.00 USD ≥ 10,000,000.00 USD"
    assert asked(offer) == ["rosa"]


def test_a_later_step_waits_for_the_one_before_it(application, recruiter, chain):
    offer = submit_for_approval(big_offer(application, recruiter), by=recruiter)

    with pytest.raises(OfferError, match="waiting at this step"):
        approve_offer(offer, by=chain["comp"])

    approve_offer(offer, by=chain["lead"])
    assert steps(offer)[:2] == [
        (1, "Recruiting leads", "approved"),
        (2, "Head of compensation", "pending"),
    ]
    assert reload(offer).status == Status.PENDING_APPROVAL
    assert asked(offer) == ["rosa", "hana"]

    approve_offer(offer, by=chain["comp"])
    approve_offer(offer, by=chain["cfo"])
    assert reload(offer).status == Status.APPROVED
    assert asked(offer) == ["rosa", "hana", "cora"]


def test_a_delegate_decides_for_the_approver_away_and_it_is_recorded(application, recruiter, chain):
    delegation = delegate_approvals(
        chain["comp"],
        to=chain["deputy"],
        starts_on=today(),
        ends_on=today() + timedelta(days=7),
        reason="On leave",
        by=chain["comp"],
    )
    offer = submit_for_approval(big_offer(application, recruiter), by=recruiter)
    approve_offer(offer, by=chain["lead"])

    # The step opens: Hana and Dan, who decides for her this week, hear of it.
    assert asked(offer) == ["rosa", "hana", "dan"]
    approve_offer(offer, by=chain["deputy"], comment="For Hana, on leave")

    decided = Approval.objects.get(offer=offer, step=2)
    assert (decided.decided_by, decided.on_behalf_of) == (chain["deputy"], chain["comp"])
    assert steps(offer)[2] == (3, "CFO", "pending")
    # Once ended, the delegation no longer lets Dan decide.
    end_delegation(delegation, by=chain["comp"])
    approve_offer(offer, by=chain["cfo"])
    assert reload(offer).status == Status.APPROVED


def test_a_delegation_out_of_its_dates_lets_nobody_decide(application, recruiter, chain):
    delegate_approvals(
        chain["lead"],
        to=chain["deputy"],
        starts_on=today() + timedelta(days=1),
        ends_on=today() + timedelta(days=5),
        by=chain["lead"],
    )
    offer = submit_for_approval(big_offer(application, recruiter), by=recruiter)

    with pytest.raises(OfferError, match="or someone they delegated to"):
        approve_offer(offer, by=chain["deputy"])


def test_a_100m_package_goes_up_to_the_ceo(application, recruiter, chain):
    offer = big_offer(application, recruiter, signing_payments=[(0, 100 * M)])

    offer = submit_for_approval(offer, by=recruiter)

    # $40M + $100M of signing bonus = $140M over four years.
    assert [s[:2] for s in steps(offer)] == [
        (1, "Recruiting leads"),
        (2, "Head of compensation"),
        (3, "CFO"),
        (4, "CEO"),
    ]
    assert Approval.objects.get(offer=offer, step=4).reason == (
        "four-year total 140,000,000.00 USD ≥ 100,000,000.00 USD"
    )


def test_a_small_offer_needs_the_two_every_offer_steps(application, recruiter, chain):
    offer = submit_for_approval(draft(application, recruiter), by=recruiter)

    # $400k base: $1.6M over four years, under the CFO's threshold.
    assert [s[:2] for s in steps(offer)] == [(1, "Recruiting leads"), (2, "Head of compensation")]


def test_a_rejection_at_any_step_ends_the_chain(application, recruiter, chain):
    offer = submit_for_approval(big_offer(application, recruiter), by=recruiter)
    approve_offer(offer, by=chain["lead"])

    reject_offer(offer, by=chain["comp"], comment="Too rich for this level.")

    assert reload(offer).status == Status.DRAFT
    assert steps(offer) == [
        (1, "Recruiting leads", "approved"),
        (2, "Head of compensation", "rejected"),
    ]


@pytest.mark.parametrize(
    ("who", "starts", "ends", "field", "message"),
    [
        ("self", 0, 3, "delegate", "Delegate to someone else."),
        ("deputy", 3, 1, "ends_on", "A delegation ends on or after the day it starts."),
        ("deputy", -5, -1, "ends_on", "This period is over: choose an end today or later."),
        ("deputy", 0, 400, "ends_on", "A delegation lasts a year at most."),
    ],
)
def test_a_delegation_that_cannot_be_is_refused_on_its_field(
    chain, who, starts, ends, field, message
):
    delegator = chain["comp"]
    to = delegator if who == "self" else chain["deputy"]

    with pytest.raises(OfferError) as refused:
        delegate_approvals(
            delegator,
            to=to,
            starts_on=today() + timedelta(days=starts),
            ends_on=today() + timedelta(days=ends),
            by=delegator,
        )

    assert refused.value.message_dict == {field: [message]}
    assert not Delegation.objects.exists()


def test_overlapping_delegations_and_inactive_delegates_are_refused(chain):
    comp, deputy = chain["comp"], chain["deputy"]
    delegate_approvals(
        comp, to=deputy, starts_on=today(), ends_on=today() + timedelta(days=7), by=comp
    )

    with pytest.raises(OfferError, match="already delegates to dan"):
        delegate_approvals(
            comp,
            to=chain["cfo"],
            starts_on=today() + timedelta(days=3),
            ends_on=today() + timedelta(days=9),
            by=comp,
        )
    chain["cfo"].is_active = False
    chain["cfo"].save()
    with pytest.raises(OfferError, match="cannot sign in"):
        delegate_approvals(
            chain["lead"], to=chain["cfo"], starts_on=today(), ends_on=today(), by=chain["lead"]
        )
    assert Delegation.objects.count() == 1


def test_rules_without_a_step_are_one_step_chains_asked_at_once(application, recruiter):
    """The rules as they were: every group asked together, at step 1."""
    ApprovalRuleFactory(name="Dollars", condition=Condition.CURRENCY_IS, currency_id="USD")
    finance = Group.objects.create(name="Finance")
    ApprovalRuleFactory(name="All", condition=Condition.ANY_OFFER, group=finance)

    offer = submit_for_approval(draft(application, recruiter), by=recruiter)

    assert sorted(s[2] for s in steps(offer)) == ["pending", "pending"]
    assert {s[0] for s in steps(offer)} == {1}
