"""Submitting, approving and rejecting offers: approved at once when no rule applies, else
one approval per group with the reasons; who may decide; a rejection needs a comment,
sends the offer back to draft and tells the drafter at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from offers.models import Approval
from offers.permissions import APPROVER_GROUP
from offers.services import (
    approve_offer,
    reject_offer,
    revise_offer,
    submit_for_approval,
    update_draft,
)
from offers.terms import EquityTerms, OfferError
from tests.factories import ApprovalRuleFactory, UserFactory, offer_terms
from tests.offers.services.helpers import (
    EVEN_4_YEARS,
    SIGNING_150M,
    Condition,
    M,
    Status,
    draft,
    move_expiry_to_the_past,
    reload,
    take,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee():
    return Group.objects.create(name="Compensation committee")


@pytest.fixture
def cfo(committee):
    user = UserFactory(username="cfo", first_name="Cora", last_name="Finance")
    user.groups.add(committee)
    return user


# --- Submitting ----------------------------------------------------------------------------


def test_an_offer_no_rule_applies_to_is_approved_at_once(application, recruiter):
    offer = draft(application, recruiter)
    before = timezone.now()

    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.APPROVED
    assert offer.submitted_by == recruiter
    assert before <= offer.submitted_at == offer.approved_at <= timezone.now()
    assert not offer.approvals.exists()


def test_an_offer_that_meets_rules_waits_for_one_approval_per_group_with_the_reasons(
    application, recruiter, approvers, committee
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    ApprovalRuleFactory(name="Big equity", condition=Condition.EQUITY_AT_OR_ABOVE, amount=20 * M)
    ApprovalRuleFactory(
        name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD", group=committee
    )
    offer = draft(
        application,
        recruiter,
        signing_payments=SIGNING_150M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )

    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.PENDING_APPROVAL
    assert offer.approved_at is None
    approvals = {a.group.name: a for a in offer.approvals.select_related("group")}
    assert set(approvals) == {APPROVER_GROUP, "Compensation committee"}
    # Two rules for one group: asked once, with both reasons (rules in order of name).
    assert approvals[APPROVER_GROUP].reason == (
        "equity 32,000,000.00 USD ≥ 20,000,000.00 USD; "
        "signing bonus 150,000,000.00 USD ≥ 100,000,000.00 USD"
    )
    assert approvals["Compensation committee"].reason == "an offer in USD"
    assert all(
        a.status == Approval.Status.PENDING and a.decided_by is None for a in approvals.values()
    )


# --- Approving and rejecting ---------------------------------------------------------------


@pytest.fixture
def pending(application, recruiter, approvers):
    """An offer with a $150M signing bonus, waiting for the Compensation approvers."""
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    offer = draft(application, recruiter, signing_payments=SIGNING_150M)
    return submit_for_approval(offer, by=recruiter)


def test_an_approver_approves_and_the_decision_is_recorded(pending, approver):
    before = timezone.now()

    approve_offer(pending, by=approver, comment="Worth it to win her.")

    offer = reload(pending)
    assert offer.status == Status.APPROVED
    assert before <= offer.approved_at <= timezone.now()
    assert offer.last_comment == "Worth it to win her."
    approval = offer.approvals.get()
    assert (approval.status, approval.decided_by, approval.comment) == (
        Approval.Status.APPROVED,
        approver,
        "Worth it to win her.",
    )
    assert approval.decided_at == offer.approved_at


@pytest.mark.parametrize("who", ["outsider", "hiring_manager"])
def test_only_a_member_of_a_waiting_group_decides(pending, request, who):
    user = request.getfixturevalue(who)

    for decide in (
        lambda: approve_offer(pending, by=user),
        lambda: reject_offer(pending, by=user, comment="No."),
    ):
        with pytest.raises(OfferError) as refused:
            decide()
        assert refused.value.messages == [
            "Only a member of a group whose approval is waiting at this step (or someone they "
            "delegated to) can decide."
        ]
    offer = reload(pending)
    assert offer.status == Status.PENDING_APPROVAL
    assert offer.approvals.get().status == Approval.Status.PENDING


def test_whoever_drafted_an_offer_never_approves_it_even_as_an_approver(
    application, recruiter, approvers
):
    recruiter.groups.add(approvers)
    ApprovalRuleFactory(name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD")
    offer = submit_for_approval(draft(application, recruiter), by=recruiter)

    for decide in (
        lambda: approve_offer(offer, by=recruiter),
        lambda: reject_offer(offer, by=recruiter, comment="Too low."),
    ):
        with pytest.raises(OfferError) as refused:
            decide()
        assert refused.value.messages == ["Whoever drafted an offer cannot approve or reject it."]
    assert reload(offer).status == Status.PENDING_APPROVAL
    assert reload(offer).approvals.get().status == Approval.Status.PENDING


def test_two_groups_must_both_approve(pending, approver, cfo, committee):
    # A second round, asking both groups: the committee too wants to see nine-figure offers.
    ApprovalRuleFactory(
        name="Committee: nine figures",
        condition=Condition.SIGNING_AT_OR_ABOVE,
        amount=100 * M,
        group=committee,
    )
    offer = reject_offer(pending, by=approver, comment="Ask the committee too.")
    offer = submit_for_approval(offer, by=offer.drafted_by)
    assert offer.approvals.filter(status=Approval.Status.PENDING).count() == 2

    approve_offer(offer, by=approver)

    assert reload(offer).status == Status.PENDING_APPROVAL
    with pytest.raises(OfferError, match="Only a member of a group whose approval is waiting"):
        approve_offer(offer, by=approver)

    approve_offer(offer, by=cfo, comment="Agreed.")

    offer = reload(offer)
    assert offer.status == Status.APPROVED
    decided = offer.approvals.filter(status=Approval.Status.APPROVED).select_related("group")
    assert {(a.group.name, a.decided_by.username) for a in decided} == {
        (APPROVER_GROUP, "approver"),
        ("Compensation committee", "cfo"),
    }


def test_a_rejection_needs_a_comment(pending, approver):
    with pytest.raises(OfferError) as refused:
        reject_offer(pending, by=approver, comment="   ")

    assert refused.value.message_dict == {
        "comment": ["Say why the offer is rejected; the recruiter reads it."]
    }
    assert reload(pending).status == Status.PENDING_APPROVAL


def test_a_rejection_sends_the_offer_back_to_draft_and_resubmitting_asks_again(
    application, recruiter, approver, cfo, committee
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    ApprovalRuleFactory(
        name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD", group=committee
    )
    offer = submit_for_approval(
        draft(application, recruiter, signing_payments=SIGNING_150M), by=recruiter
    )
    before = timezone.now()

    reject_offer(offer, by=approver, comment="Pay it over 5 years, not 4.")

    offer = reload(offer)
    assert offer.status == Status.DRAFT
    assert offer.last_comment == "Pay it over 5 years, not 4."
    # The committee's approval of that round is moot: only the rejection remains.
    rejection = offer.approvals.get()
    assert (rejection.group.name, rejection.status, rejection.decided_by, rejection.comment) == (
        APPROVER_GROUP,
        Approval.Status.REJECTED,
        approver,
        "Pay it over 5 years, not 4.",
    )
    assert before <= rejection.decided_at <= timezone.now()

    update_draft(
        offer,
        offer_terms(signing_payments=[(12 * m, Decimal(30_000_000)) for m in range(5)]),
        by=recruiter,
    )
    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.PENDING_APPROVAL
    waiting = offer.approvals.filter(status=Approval.Status.PENDING).select_related("group")
    assert {a.group.name for a in waiting} == {APPROVER_GROUP, "Compensation committee"}
    assert offer.approvals.filter(status=Approval.Status.REJECTED).count() == 1


@pytest.mark.parametrize("step", ["rescinded", "revised", "expired"])
def test_an_offer_leaving_approval_leaves_no_approval_waiting(pending, recruiter, approver, step):
    if step == "expired":
        move_expiry_to_the_past(pending)
    if step == "revised":
        revise_offer(pending, by=recruiter)
    else:
        take(step, pending, recruiter=recruiter, approver=approver)

    assert not Approval.objects.filter(offer=pending, status=Approval.Status.PENDING).exists()


def test_the_drafter_hears_of_a_rejection_at_once(pending, recruiter, approver):
    from recruiting.alerts.models import Alert

    reject_offer(pending, by=approver, comment="Pay it over 5 years, not 4.")

    alert = Alert.objects.get(kind="offer_rejected")
    candidate = pending.application.candidate
    assert alert.recipient == recruiter
    assert alert.subject.startswith(f"Ava Approver rejected offer v1 to {candidate.name} (")
    assert alert.context["message"] == (
        f"{APPROVER_GROUP} rejected it: “Pay it over 5 years, not 4.” The offer is back in "
        "draft: change it and submit it again."
    )
    assert alert.link == pending.get_absolute_url()
