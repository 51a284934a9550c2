"""The outreach demo: what a person starting Closer sees under Outreach."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from recruiting.outreach.demo import SECOND_SEQUENCE, SEQUENCE
from recruiting.outreach.figures import figures
from recruiting.outreach.models import AddressBounce, Enrollment, SentMessage, Sequence
from recruiting.pipeline.models import Activity

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_outreach", stdout=out)
    return out.getvalue()


def test_the_demo_sequence_has_a_history_and_sends_nothing_while_seeding(mailoutbox):
    printed = seed()

    sequence = Sequence.objects.get(name=SEQUENCE)
    shown = figures(sequence)
    assert [step.position for step in shown.steps] == [1, 2, 3]
    assert shown.enrolled >= 6 and shown.replied >= 2 and shown.opted_out == 1
    assert shown.steps[0].sent > shown.steps[1].sent > 0
    assert f"{Enrollment.objects.count()} enrollments" in printed  # both sequences'
    # The history was played through the services: an activity per email, none sent for real.
    sent = SentMessage.objects.filter(status=SentMessage.Status.SENT).count()
    assert Activity.objects.filter(summary__startswith="Step ").count() == sent
    assert mailoutbox == []
    # Two wait for their first email: the worker sends it when their window next opens.
    waiting = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, next_position=1)
    assert waiting.count() == 2
    assert all(
        e.next_send_at <= timezone.now() + timedelta(days=4) for e in waiting
    )  # the weekend at most
    # Those part-way through have their next step ahead, and every step went out in the past.
    assert not Enrollment.objects.filter(
        status=Enrollment.Status.ACTIVE, next_position__gt=1, next_send_at__lte=timezone.now()
    ).exists()
    assert not SentMessage.objects.filter(sent_at__gt=timezone.now()).exists()
    # A reply or an opt-out comes after the email it answers.
    for enrollment in Enrollment.objects.exclude(stopped_at=None):
        assert enrollment.stopped_at >= max(m.sent_at for m in enrollment.messages.all())


def test_the_second_sequence_has_a_bounce_a_reply_an_opt_out_and_a_silence():
    printed = seed()

    second = Sequence.objects.get(name=SECOND_SEQUENCE)
    statuses = sorted(second.enrollments.values_list("status", flat=True))
    assert statuses == ["bounced", "completed", "opted_out", "replied"]
    bounced = second.enrollments.get(status="bounced")
    assert AddressBounce.objects.filter(
        address__candidate=bounced.candidate, status=AddressBounce.Status.HARD
    ).exists()
    assert "1 bounced" in printed


def test_seeding_the_outreach_demo_twice_changes_nothing():
    first = seed()
    rows = (Enrollment.objects.count(), SentMessage.objects.count(), Activity.objects.count())

    second = seed()

    assert (Enrollment.objects.count(), SentMessage.objects.count(), Activity.objects.count()) == (
        rows
    )
    assert second == first
