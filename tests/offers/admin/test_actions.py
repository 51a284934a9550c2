"""An offer's steps as actions on the admin's list: submit, approve or reject with a
comment, send, record the outcome, revise; who is offered which; all or none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from offers.models import Offer
from offers.permissions import APPROVER_GROUP
from offers.services import send_offer, submit_for_approval
from recruiting.pipeline.models import Application
from tests.offers.admin.helpers import (
    OFFERS,
    M,
    Status,
    change_url,
    offer_for,
    reload,
    run_action,
    saved_rows,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The steps, as actions on the list -----------------------------------------------------


def page_errors(response) -> str:
    assert response.status_code == 200
    form = response.context["form"]
    return " ".join(m for msgs in form.errors.values() for m in msgs)


@pytest.fixture
def approver_client(approver):
    """A second browser, logged in as the approver (the recruiter uses `client`)."""
    from django.test import Client

    client = Client()
    client.force_login(approver)
    return client


def test_submitting_an_offer_no_rule_applies_to_approves_it(recruiter_client, recruiter, role):
    offer = offer_for(role, recruiter)

    response = run_action(recruiter_client, "submit_action", [offer])

    assert response.status_code == 302
    assert reload(offer).status == Status.APPROVED
    assert "1 approved at once" in messages_of(response)[0]


def test_an_offer_meeting_a_rule_waits_and_an_approver_approves_it_with_a_comment(
    recruiter_client, approver_client, recruiter, approver, role, signing_rule
):
    offer = offer_for(role, recruiter, signing_payments=[(0, 2 * M)])
    run_action(recruiter_client, "submit_action", [offer])
    assert reload(offer).status == Status.PENDING_APPROVAL

    response = run_action(approver_client, "approve_action", [offer], comment="Worth it.")

    assert response.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.last_comment) == (Status.APPROVED, "Worth it.")
    approval = offer.approvals.get()
    assert (approval.status, approval.decided_by, approval.comment) == (
        "approved",
        approver,
        "Worth it.",
    )


def test_a_rejection_needs_a_comment_and_sends_the_offer_back_to_draft(
    approver_client, recruiter, role, signing_rule
):
    offer = submit_for_approval(
        offer_for(role, recruiter, signing_payments=[(0, 2 * M)]), by=recruiter
    )

    refused = run_action(approver_client, "reject_action", [offer], comment="  ")
    assert "Say why the offer is rejected" in " ".join(refused.context["form"].errors["comment"])
    assert reload(offer).status == Status.PENDING_APPROVAL

    response = run_action(approver_client, "reject_action", [offer], comment="Too rich.")

    assert response.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.last_comment) == (Status.DRAFT, "Too rich.")


def test_whoever_drafted_an_offer_cannot_approve_it_even_as_an_approver(
    recruiter_client, recruiter, role, signing_rule
):
    recruiter.groups.add(Group.objects.get(name=APPROVER_GROUP))
    offer = submit_for_approval(
        offer_for(role, recruiter, signing_payments=[(0, 2 * M)]), by=recruiter
    )

    response = run_action(recruiter_client, "approve_action", [offer], comment="Fine by me.")

    assert "Whoever drafted an offer cannot approve or reject it." in page_errors(response)
    assert reload(offer).status == Status.PENDING_APPROVAL
    assert offer.approvals.get().status == "pending"


def test_a_recruiter_is_not_offered_the_approval_actions(recruiter_client, recruiter, role):
    offer_for(role, recruiter)

    actions = dict(recruiter_client.get(OFFERS).context["action_form"].fields["action"].choices)

    assert "submit_action" in actions
    assert "approve_action" not in actions
    assert "reject_action" not in actions


def test_an_approver_is_offered_only_the_approval_actions(approver_client, recruiter, role):
    offer_for(role, recruiter)

    actions = dict(approver_client.get(OFFERS).context["action_form"].fields["action"].choices)

    assert set(actions) - {""} == {"approve_action", "reject_action"}


def test_send_then_record_the_acceptance(recruiter_client, recruiter, role):
    offer = submit_for_approval(offer_for(role, recruiter), by=recruiter)

    sent = run_action(recruiter_client, "send_action", [offer])
    assert sent.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.sent_by, offer.sent_rate_currency_id) == (
        Status.SENT,
        recruiter,
        "USD",
    )

    accepted = run_action(recruiter_client, "accept_action", [offer])

    assert accepted.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.ACCEPTED, recruiter)
    assert offer.application.status == Application.Status.HIRED


@pytest.mark.parametrize(
    ("action", "status"),
    [("decline_action", Status.DECLINED), ("rescind_action", Status.RESCINDED)],
)
def test_a_sent_offer_is_declined_or_rescinded(recruiter_client, recruiter, role, action, status):
    offer = send_offer(submit_for_approval(offer_for(role, recruiter), by=recruiter), by=recruiter)

    response = run_action(recruiter_client, action, [offer])

    assert response.status_code == 302
    assert reload(offer).status == status


def test_a_step_the_status_does_not_allow_is_refused_with_the_services_message(
    recruiter_client, recruiter, role
):
    offer = offer_for(role, recruiter)
    before = saved_rows()

    response = run_action(recruiter_client, "send_action", [offer])

    assert "An offer that is draft cannot be sent." in page_errors(response)
    assert reload(offer).status == Status.DRAFT
    assert saved_rows() == before


def test_a_step_on_several_offers_is_taken_on_all_or_none(recruiter_client, recruiter, role):
    approved = submit_for_approval(offer_for(role, recruiter, "Ada Lovelace"), by=recruiter)
    draft = offer_for(role, recruiter, "Grace Hopper")

    response = run_action(recruiter_client, "send_action", [approved, draft])

    assert "Grace Hopper" in page_errors(response)
    assert "cannot be sent" in page_errors(response)
    assert reload(approved).status == Status.APPROVED
    assert reload(approved).sent_at is None
    assert reload(draft).status == Status.DRAFT


def test_revising_makes_a_new_draft_version_and_links_to_it(recruiter_client, recruiter, role):
    sent = send_offer(submit_for_approval(offer_for(role, recruiter), by=recruiter), by=recruiter)

    response = run_action(recruiter_client, "revise_action", [sent])

    assert response.status_code == 302
    new = Offer.objects.get(revises=sent)
    assert (new.version, new.status) == (2, Status.DRAFT)
    # The candidate still holds version 1 until version 2 is sent.
    assert reload(sent).status == Status.SENT
    assert change_url(new) in messages_of(response)[0]
