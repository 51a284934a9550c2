"""Outreach through the real parts: Redis, a Celery worker process and an SMTP server."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import enroll
from recruiting.outreach.tasks import send_due
from tests.factories import CandidateFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def every_day_worker(own_broker, smtp_server, tmp_path):  # type: ignore[no-untyped-def]
    """A real worker whose outreach window is open every day of the week (the test runs at
    the real time, which may be a weekend everywhere), on the test's own Redis."""
    from tests.integration.conftest import _start_worker, _stop_worker

    process = _start_worker(
        tmp_path / "worker.log",
        smtp_server,
        CELERY_BROKER_URL=own_broker.url,
        OUTREACH_WINDOW_WEEKDAYS="0,1,2,3,4,5,6",
    )
    yield process
    _stop_worker(process)


def a_timezone_in_office_hours() -> str:
    """A fixed-offset zone where it is now between 10:00 and 16:00: the zones span 26 hours."""
    now = timezone.now()
    for hours in range(-12, 15):
        name = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT+N is N hours behind
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 16:
            return name
    raise AssertionError("unreachable: some zone has office hours now")


def test_the_send_job_run_twice_by_the_worker_sends_step_one_once(every_day_worker, drain, mail):
    zone = a_timezone_in_office_hours()
    rita = UserFactory(
        username="rita", first_name="Rita", last_name="Recruiter", email="rita@closer.example"
    )
    ada = CandidateFactory(name="Ada Lovelace", owner=rita, timezone=zone, email="ada@example.org")
    template = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, a word from {{ sender.name }}",
        body_text="Hi {{ candidate.first_name }},\n\nShall we talk?\n\n{{ sender.name }}",
    )
    sequence = Sequence.objects.create(name="Researchers")
    SequenceStep.objects.create(sequence=sequence, position=1, template=template)
    SequenceStep.objects.create(
        sequence=sequence, position=2, template=template, delay_business_days=2
    )
    enrollment = enroll(ada, sequence, by=rita, now=timezone.now() - timedelta(minutes=1))

    send_due.delay()
    send_due.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1
    assert message["From"] == "Rita Recruiter <rita@closer.example>"
    assert message["Reply-To"] == "Rita Recruiter <rita@closer.example>"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Ada, a word from Rita Recruiter"
    assert "/outreach/opt-out/" in message.get_body(("plain",)).get_content()
    assert "/outreach/opt-out/" in message.get_body(("html",)).get_content()
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.SENT
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.next_position == 2
