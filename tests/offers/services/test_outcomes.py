"""Accepting, declining, rescinding and expiring offers: a new hire marks the application
hired, a retention offer keeps it open; nothing past its expiry; who and when kept."""

from __future__ import annotations

import pytest
from django.utils import timezone

from candidates.models import Candidate
from offers.services import (
    accept_offer,
    decline_offer,
    draft_offer,
    expire_offer,
    rescind_offer,
    send_offer,
    submit_for_approval,
)
from offers.terms import OfferError
from recruiting.pipeline.models import Application
from tests.factories import ApplicationFactory, CandidateFactory, offer_terms
from tests.offers.services.helpers import M, Status, draft, move_expiry_to_the_past, reload

pytestmark = pytest.mark.django_db


# --- Accepting, declining, rescinding, expiring --------------------------------------------


@pytest.fixture
def sent(application, recruiter):
    offer = submit_for_approval(draft(application, recruiter), by=recruiter)
    return send_offer(offer, by=recruiter)


def test_accepting_a_new_hire_offer_marks_the_application_hired(sent, hiring_manager):
    before = timezone.now()

    accept_offer(sent, by=hiring_manager)

    offer = reload(sent)
    assert offer.status == Status.ACCEPTED
    assert offer.closed_by == hiring_manager
    assert before <= offer.closed_at <= timezone.now()
    application = Application.objects.get(pk=offer.application_id)
    assert application.status == Application.Status.HIRED
    assert application.stage.kind == "hired"
    assert application.candidate.relationship == Candidate.Relationship.EMPLOYEE


def test_an_offer_past_its_expiry_cannot_be_accepted(sent, recruiter):
    move_expiry_to_the_past(sent)
    expires = reload(sent).expires_at

    with pytest.raises(OfferError) as refused:
        accept_offer(sent, by=recruiter)

    assert refused.value.messages == [f"The offer expired on {expires:%d %b %Y %H:%M}; revise it."]
    assert reload(sent).status == Status.SENT
    assert Application.objects.get(pk=sent.application_id).status == Application.Status.OPEN


def test_accepting_a_retention_offer_keeps_the_employee_application_open(recruiter, role):
    employee = CandidateFactory(name="Grace Hopper", relationship=Candidate.Relationship.EMPLOYEE)
    application = ApplicationFactory(candidate=employee, role=role)
    offer = draft_offer(
        application, offer_terms(retention_payments=[(12, 3 * M)]), by=recruiter, kind="retention"
    )
    offer = send_offer(submit_for_approval(offer, by=recruiter), by=recruiter)

    accept_offer(offer, by=recruiter)

    assert reload(offer).status == Status.ACCEPTED
    assert Application.objects.get(pk=application.pk).status == Application.Status.OPEN


def test_a_declined_offer_is_closed_with_who_and_when(sent, recruiter):
    before = timezone.now()

    decline_offer(sent, by=recruiter)

    offer = reload(sent)
    assert (offer.status, offer.closed_by) == (Status.DECLINED, recruiter)
    assert before <= offer.closed_at <= timezone.now()
    assert Application.objects.get(pk=offer.application_id).status == Application.Status.OPEN


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_an_open_offer_can_be_rescinded(offer_in, hiring_manager, status):
    offer = offer_in(status)
    before = timezone.now()

    rescind_offer(offer, by=hiring_manager)

    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.RESCINDED, hiring_manager)
    assert before <= offer.closed_at <= timezone.now()


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_an_offer_expires_only_once_past_its_expiry(offer_in, status):
    offer = offer_in(status)

    with pytest.raises(OfferError) as refused:
        expire_offer(offer)

    assert refused.value.messages == [f"The offer runs until {offer.expires_at:%d %b %Y %H:%M}."]
    assert reload(offer).status == status

    move_expiry_to_the_past(offer)
    expire_offer(offer)  # by the reminder scan: nobody

    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.EXPIRED, None)
    assert offer.closed_at is not None
