"""The outreach demo: what a person starting Closer sees under Outreach."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from recruiting.outreach.demo import SEQUENCE
from recruiting.outreach.figures import figures
from recruiting.outreach.models import Enrollment, SentMessage, Sequence
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
    assert f"{shown.enrolled} enrollments" in printed
    # The history was played through the services: an activity per email, none sent for real.
    sent = SentMessage.objects.filter(status=SentMessage.Status.SENT).count()
    assert Activity.objects.filter(summary__startswith="Outgoing email").count() == sent
    assert mailoutbox == []
    # Someone is waiting for their first email, due now: the worker sends it in their window.
    assert Enrollment.objects.filter(
        status=Enrollment.Status.ACTIVE, next_position=1, next_send_at__lte=timezone.now()
    ).exists()


def test_seeding_the_outreach_demo_twice_changes_nothing():
    first = seed()
    rows = (Enrollment.objects.count(), SentMessage.objects.count(), Activity.objects.count())

    second = seed()

    assert (Enrollment.objects.count(), SentMessage.objects.count(), Activity.objects.count()) == (
        rows
    )
    assert second == first
