"""Exploding offers and what the recruiter does around the candidate's answer: the offer
expires by itself at its deadline (the team hears), a sent offer's deadline is extended (its
history keeps it, the candidate is told, the link follows), an expired or declined offer is
reopened as a new version in one step, a draft nobody sent is discarded, the link is resent
or revoked, and an offer opened but not answered near its deadline reminds the recruiter."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from offers.answers import DeclineAnswer, Visitor, decline, record_view
from offers.links import deadline_text, live_link, token_for
from offers.models import Offer, OfferDecline, OfferLink
from offers.reminders import offers_opened_unanswered
from offers.services import (
    discard_draft,
    expire_due_offers,
    extend_deadline,
    reopen_offer,
)
from offers.terms import OfferError, OfferTerms
from recruiting.alerts.delivery import send_alert
from recruiting.alerts.models import Alert
from recruiting.pipeline.models import Application
from tests.offers.services.helpers import Status, move_expiry_to_the_past, reload

VISITOR = Visitor(ip_address="198.51.100.4", user_agent="Firefox")


def the_link(offer: Offer) -> OfferLink:
    link = live_link(offer)
    assert link is not None
    return link


# --- Expiring by itself ----------------------------------------------------------------------


def test_an_offer_past_its_deadline_expires_by_itself_and_the_team_hears(offer_in, recruiter):
    sent = offer_in(Status.SENT)
    move_expiry_to_the_past(sent)

    expired = expire_due_offers()

    assert [o.pk for o in expired] == [sent.pk]
    assert reload(sent).status == Status.EXPIRED
    alert = Alert.objects.get(kind="offer_expired", recipient=recruiter)
    assert alert.subject.startswith("Offer v1 to Ada Lovelace expired")
    assert expire_due_offers() == []  # nothing twice
    page = Client().get(reverse("offers:for_candidate", args=[token_for(the_link(sent))]))
    assert "This offer has expired." in page.content.decode()


def test_an_offer_still_running_is_left_alone(offer_in):
    sent = offer_in(Status.SENT)

    assert expire_due_offers() == []
    assert reload(sent).status == Status.SENT


# --- Extending -----------------------------------------------------------------------------------


def test_extending_a_sent_offer_tells_the_candidate_and_the_link_follows(offer_in, recruiter):
    sent = offer_in(Status.SENT)
    later = sent.expires_at + timedelta(days=3)

    extend_deadline(sent, expires_at=later, by=recruiter)

    offer = reload(sent)
    assert offer.expires_at == later
    history = offer.history.order_by("-history_date").first()
    assert history.expires_at == later and history.history_user == recruiter
    alert = Alert.objects.get(kind="offer_extended_to_candidate")
    send_alert(alert.pk)
    email = mail.outbox[-1]
    assert email.to == [offer.application.candidate.emails.get().email]
    assert "is now open until" in email.body
    assert token_for(the_link(offer)) in email.body
    page = Client().get(reverse("offers:for_candidate", args=[token_for(the_link(offer))]))
    assert page.status_code == 200
    assert f"Open until <strong>{deadline_text(offer)}</strong>" in page.content.decode()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (timedelta(days=-1), "The new deadline must be later than the current one"),
        (None, "The new deadline must be in the future."),
    ],
)
def test_a_deadline_is_only_moved_later_and_into_the_future(offer_in, recruiter, when, message):
    sent = offer_in(Status.SENT)
    new = sent.expires_at + when if when else timezone.now() - timedelta(hours=1)

    with pytest.raises(OfferError, match=message):
        extend_deadline(sent, expires_at=new, by=recruiter)

    assert reload(sent).expires_at == sent.expires_at


def test_only_a_sent_offer_is_extended(offer_in, recruiter):
    approved = offer_in(Status.APPROVED)

    with pytest.raises(OfferError, match="Only a sent offer's deadline is extended"):
        extend_deadline(approved, expires_at=approved.expires_at + timedelta(days=1), by=recruiter)


# --- Reopening -----------------------------------------------------------------------------------


def test_an_expired_offer_reopens_as_a_new_version_on_the_same_terms(offer_in, recruiter):
    expired = offer_in(Status.EXPIRED)

    new = reopen_offer(expired, by=recruiter)

    assert new.version == 2 and new.status == Status.DRAFT and new.revises == expired
    same = timezone.now()
    assert replace(OfferTerms.of(new), expires_at=same) == replace(
        OfferTerms.of(expired), expires_at=same
    )
    assert new.expires_at > timezone.now()
    with pytest.raises(OfferError, match="Version 2 was made from this one already."):
        reopen_offer(expired, by=recruiter)


def test_a_declined_offer_reopens_and_so_does_the_application_it_closed(offer_in, recruiter):
    sent = offer_in(Status.SENT)
    decline(sent, DeclineAnswer(reason=OfferDecline.Reason.COMPENSATION), by=recruiter)
    assert Application.objects.get(pk=sent.application_id).status == Application.Status.LOST

    new = reopen_offer(reload(sent), by=recruiter)

    application = Application.objects.get(pk=sent.application_id)
    assert application.status == Application.Status.OPEN
    assert application.stage.name == "Offer"
    assert application.lost_reason == ""
    assert new.version == 2


def test_an_open_or_accepted_offer_is_not_reopened(offer_in, recruiter):
    sent = offer_in(Status.SENT)

    with pytest.raises(OfferError, match="Only an expired or declined offer is reopened"):
        reopen_offer(sent, by=recruiter)


# --- Discarding ----------------------------------------------------------------------------------


def test_a_draft_nobody_sent_is_discarded(offer_in, recruiter):
    draft = offer_in(Status.DRAFT)

    discard_draft(draft, by=recruiter)

    assert not Offer.objects.filter(pk=draft.pk).exists()
    assert Offer.history.filter(id=draft.pk, history_type="-").get().history_user == recruiter


def test_a_submitted_offer_is_not_discarded(offer_in, recruiter):
    pending = offer_in(Status.PENDING_APPROVAL)

    with pytest.raises(OfferError, match="Only a draft is discarded"):
        discard_draft(pending, by=recruiter)

    assert Offer.objects.filter(pk=pending.pk).exists()


# --- The link, from the offer's page -------------------------------------------------------------


def test_the_recruiter_revokes_and_resends_the_link(client, offer_in, recruiter):
    sent = offer_in(Status.SENT)
    first = the_link(sent)
    client.force_login(recruiter)

    revoked = client.post(reverse("offers:step", args=[sent.pk, "revoke_link"]), follow=True)
    assert "The link no longer opens the offer." in revoked.content.decode()
    old_page = Client().get(reverse("offers:for_candidate", args=[token_for(first)]))
    assert "This link was withdrawn by the recruiter." in old_page.content.decode()

    resent = client.post(reverse("offers:step", args=[sent.pk, "resend_link"]), follow=True)
    assert "The link is on its way to Ada Lovelace again." in resent.content.decode()
    second = the_link(sent)
    assert second.pk != first.pk
    new_page = Client().get(reverse("offers:for_candidate", args=[token_for(second)]))
    assert new_page.status_code == 200
    assert Alert.objects.filter(kind="offer_to_candidate").count() == 2


def test_the_offer_page_shows_what_the_candidate_did(client, offer_in, recruiter):
    sent = offer_in(Status.SENT)
    record_view(the_link(sent), VISITOR)
    client.force_login(recruiter)

    html = client.get(reverse("offers:detail", args=[sent.pk])).content.decode()

    assert 'id="with-candidate"' in html
    assert "1 view" in html
    assert "Opened their offer v1 for the first time" in html


def test_a_decline_recorded_by_the_recruiter_asks_the_reason(client, offer_in, recruiter):
    sent = offer_in(Status.SENT)
    client.force_login(recruiter)

    missing = client.post(reverse("offers:step", args=[sent.pk, "decline"]), {})
    recorded = client.post(
        reverse("offers:step", args=[sent.pk, "decline"]),
        {"decline-reason": "timing", "decline-note": "Told me on the phone"},
        follow=True,
    )

    assert "This field is required." in missing.content.decode()
    assert "Decline recorded." in recorded.content.decode()
    answer = OfferDecline.objects.get(offer=sent)
    assert answer.recorded_by == recruiter and answer.reason == "timing"


def test_keeping_the_application_open_is_a_choice_on_the_page(client, offer_in, recruiter):
    sent = offer_in(Status.SENT)
    client.force_login(recruiter)

    client.post(reverse("offers:step", args=[sent.pk, "keep_open"]), {"keep_open-keep_open": "on"})

    assert reload(sent).keep_open_on_decline is True


# --- Opened, not answered ------------------------------------------------------------------------


def test_an_offer_opened_and_not_answered_near_its_deadline_reminds_the_recruiter(
    offer_in, recruiter
):
    sent = offer_in(Status.SENT)
    unopened_near = sent.expires_at - timedelta(hours=23)
    assert offers_opened_unanswered(unopened_near) == []  # not opened: nothing

    record_view(the_link(sent), VISITOR)
    assert offers_opened_unanswered(sent.expires_at - timedelta(hours=25)) == []  # not near yet
    raised = offers_opened_unanswered(unopened_near)

    assert [a.recipient for a in raised] == [recruiter]
    assert "opened offer v1 but has not answered, 23 hours left" in raised[0].subject
    assert offers_opened_unanswered(unopened_near) == []  # once per deadline
