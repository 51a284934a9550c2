"""Competing offers' alerts through the real parts: the emails a Celery worker process sends
through Redis to a real SMTP server once the recording commits, none twice; the deadline
escalation found by the every-minute sweep."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer, update_competing_offer
from offers.models import CompetingOffer
from offers.terms import PackageTerms
from recruiting.alerts.models import Alert
from recruiting.alerts.tasks import sweep
from tests.factories import (
    CompanyFactory,
    OfferFactory,
)
from tests.integration.helpers import AHEAD_SUBJECT

pytestmark = pytest.mark.django_db(transaction=True)

M = Decimal(1_000_000)


@pytest.fixture
def helix():
    return CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)


def terms(helix, application, deadline, **changes) -> CompetingTerms:
    fields = dict(
        competitor=helix,
        application=application,
        currency="USD",
        deadline=deadline,
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
    )
    return CompetingTerms(**{**fields, **changes})


def edited(competing: CompetingOffer, **changes) -> CompetingTerms:
    """The terms of `competing` as saved, with `changes`."""
    fields = dict(
        PackageTerms.components_of(competing),
        competitor=competing.competitor,
        application=competing.application,
        deadline=competing.deadline,
        confidence=competing.confidence,
        source=competing.source,
        notes=competing.notes,
    )
    return CompetingTerms(**{**fields, **changes})


def parts(message) -> tuple[str, str]:
    """The text part, and the HTML part unescaped."""
    return (
        message.get_body(("plain",)).get_content(),
        html.unescape(message.get_body(("html",)).get_content()),
    )


def by_recipient(messages) -> dict[str, object]:
    return {message["To"]: message for message in messages}


def test_a_competing_offer_that_beats_ours_is_emailed_to_the_team_after_commit(
    celery_worker, drain, mail, application, helix, recruiter, hiring_manager, approver
):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=M)
    deadline = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)

    with transaction.atomic():
        theirs = record_competing_offer(
            application.candidate,
            terms(helix, application, deadline, base_salary=Decimal(1_200_000)),
            by=recruiter,
        )
        assert mail.messages == []  # nothing leaves before the commit

    mail.wait_for(2)
    drain()

    emails = by_recipient(mail.messages)
    assert len(mail.messages) == 2
    assert set(emails) == {"recruiter@closer.test", "hiring_manager@closer.test"}
    link = settings.SITE_URL.rstrip("/") + theirs.get_absolute_url()
    for message in emails.values():
        assert message["Subject"] == AHEAD_SUBJECT
        for part in parts(message):
            assert "Helix Intelligence pays 20.0% more (200,000 USD) in year one." in part
            assert f"Their decision deadline is {deadline:%a %d %b %Y at %H:%M} UTC" in part
            assert "What makes the gap: base salary +200,000 USD." in part
            assert link in part
    assert set(Alert.objects.values_list("kind", "status")) == {("competitor_ahead", "sent")}


def test_an_edit_that_keeps_it_ahead_sends_no_second_email(
    celery_worker, drain, mail, application, helix, recruiter, hiring_manager
):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=M)
    deadline = timezone.now() + timedelta(days=5)
    with transaction.atomic():
        theirs = record_competing_offer(
            application.candidate,
            terms(helix, application, deadline, base_salary=Decimal(1_200_000)),
            by=recruiter,
        )
    mail.wait_for(2)

    with transaction.atomic():
        theirs = update_competing_offer(
            theirs,
            edited(theirs, notes="Written offer seen.", base_salary=Decimal(1_250_000)),
            by=recruiter,
        )
    drain()

    assert sorted(message["To"] for message in mail.messages) == [
        "hiring_manager@closer.test",
        "recruiter@closer.test",
    ]
    assert {message["Subject"] for message in mail.messages} == {AHEAD_SUBJECT}
    theirs.refresh_from_db()
    assert theirs.notes == "Written offer seen." and theirs.ahead


def test_a_deadline_moved_within_a_day_is_emailed_once_to_recruiter_manager_and_approver(
    celery_worker, drain, mail, application, helix, recruiter, hiring_manager, approver
):
    # Theirs pays more (so the approvers hear of its deadline): the team is told so at once.
    OfferFactory(application=application, drafted_by=recruiter, base_salary=M)
    with transaction.atomic():
        theirs = record_competing_offer(
            application.candidate,
            terms(helix, application, timezone.now() + timedelta(days=5), base_salary=2 * M),
            by=recruiter,
        )
    mail.wait_for(2)
    # On the minute, so that at the sweep it is between 19 and 20 hours away.
    soon = (timezone.now() + timedelta(hours=20)).replace(second=0, microsecond=0)
    with transaction.atomic():
        update_competing_offer(theirs, edited(theirs, deadline=soon), by=recruiter)
    drain()
    assert len(mail.messages) == 2  # still ahead after the edit: nobody is told again
    mail.clear()

    sweep.delay()
    sweep.delay()
    mail.wait_for(3)
    drain()  # both sweeps and the batches they queued

    emails = by_recipient(mail.messages)
    assert len(mail.messages) == 3  # none twice
    assert set(emails) == {
        "recruiter@closer.test",
        "hiring_manager@closer.test",
        "approver@closer.test",
    }
    for message in emails.values():
        assert message["Subject"] == (
            "[Closer] Ada Lovelace must answer Helix Intelligence within 24 hours "
            "(Senior Research Scientist, San Francisco)"
        )
        for part in parts(message):
            assert (
                "Helix Intelligence's offer to Ada Lovelace (written) must be answered by "
                f"{soon:%a %d %b %Y at %H:%M} UTC, in 19 hours, and our offer is not accepted."
            ) in part
    assert set(Alert.objects.values_list("kind", "status")) == {
        ("competitor_ahead", "sent"),
        ("competitor_deadline_close", "sent"),
    }
