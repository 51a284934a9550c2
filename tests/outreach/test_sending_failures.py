"""SMTP failures while sending: a refused address is a bounce, an outage is retried and
sends once, a server that cannot be reached costs no attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candidates.models import CandidateEmail
from recruiting.outreach.models import Enrollment, SentMessage
from recruiting.outreach.services import send_due_steps
from tests.outreach.sending_helpers import WEDNESDAY_10_LA, enrolled

pytestmark = pytest.mark.django_db


def test_a_refused_address_is_a_bounce(ada, sequence, recruiter, smtp, monkeypatch):
    enrollment = enrolled(ada, sequence, recruiter)
    CandidateEmail.objects.filter(candidate=ada).update(email="nobody@example.org")

    import smtplib

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.org": (550, b"No such user")})

    monkeypatch.setattr(smtplib.SMTP, "sendmail", refuse)
    assert send_due_steps(WEDNESDAY_10_LA) == {"failed": 1}
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.BOUNCED


def test_an_smtp_outage_is_retried_later_and_sends_once(ada, sequence, recruiter, smtp):
    enrollment = enrolled(ada, sequence, recruiter)
    smtp.refuse = True
    assert send_due_steps(WEDNESDAY_10_LA) == {"retry": 1}
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.FAILED and "451" in sent.last_error

    smtp.refuse = False
    enrollment.refresh_from_db()
    assert send_due_steps(enrollment.next_send_at) == {"sent": 1}
    assert len(smtp.wait_for(1)) == 1
    sent.refresh_from_db()
    assert sent.status == SentMessage.Status.SENT and sent.attempts == 2
    [message] = smtp.messages
    assert message["From"] == "Rita Recruiter <recruiter@closer.test>"
    assert message["To"] == "ada@example.org"


def test_an_smtp_server_that_cannot_be_reached_costs_no_attempt(
    ada, sequence, recruiter, smtp, settings
):
    import socket

    enrollment = enrolled(ada, sequence, recruiter)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]

    assert send_due_steps(WEDNESDAY_10_LA) == {"smtp_down": 1}
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(minutes=1)) == {"smtp_down": 1}
    assert not SentMessage.objects.exists()  # nothing claimed: no attempt spent

    settings.EMAIL_PORT = smtp.port  # back
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(minutes=2)) == {"sent": 1}
    [sent] = SentMessage.objects.all()
    assert sent.attempts == 1 and len(smtp.wait_for(1)) == 1
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2
