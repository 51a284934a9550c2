"""Replies and bounces read from a real mailbox: Dovecot (tests/imap.py) started by the test,
the outreach jobs run by a real Celery worker on a Redis of the test's own, the email sent to
the tests' SMTP server. The worker lives at the real time: a step comes due by moving the rows
back (days_pass), and the candidate lives where it is office hours now."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.db.models import F
from django.utils import timezone

from recruiting.alerts.models import Alert
from recruiting.outreach.mailbox import parse
from recruiting.outreach.models import (
    Enrollment,
    InboundMessage,
    MailboxState,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import enroll
from recruiting.outreach.tasks import read_mailbox, read_mailboxes, send_due
from recruiting.pipeline.models import Activity, Stage
from tests.factories import ApplicationFactory, CandidateFactory, UserFactory
from tests.imap import Dovecot
from tests.outreach.inbound_helpers import REPLY_TEXT, dsn, out_of_office, reply

pytestmark = pytest.mark.django_db(transaction=True)

RITA = "rita@closer.example"
EVERY_DAY = "0,1,2,3,4,5,6"
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def every_day_here(settings):
    """This process enrolls (and so sets the first step's time) with the window open every
    day, as the workers do: a zone where it is office hours now may be on a weekend."""
    settings.OUTREACH_WINDOW = {**settings.OUTREACH_WINDOW, "weekdays": list(range(7))}


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.set_password(RITA, "app-password")
    server.start()
    yield server
    server.stop()


class Workers:
    """Starts workers that read Rita's mailbox (and whose window is open every day)."""

    def __init__(self, own_worker, dovecot: Dovecot) -> None:
        self.own_worker, self.dovecot = own_worker, dovecot
        self.started: list = []

    def start(self):
        process = self.own_worker(
            OUTREACH_MAILBOXES=self.dovecot.url(RITA), OUTREACH_WINDOW_WEEKDAYS=EVERY_DAY
        )
        self.started.append(process)
        return process


@pytest.fixture
def workers(own_worker, dovecot) -> Workers:
    return Workers(own_worker, dovecot)


@pytest.fixture
def mailbox_name(dovecot) -> str:
    return parse(dovecot.url(RITA)).name


def an_office_hours_zone() -> str:
    now = timezone.now()
    for offset in range(-12, 15):
        name = "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"
        if now.astimezone(ZoneInfo(name)).hour in range(10, 16):
            return name
    raise AssertionError("unreachable: some zone is in office hours now")


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", first_name="Rita", last_name="Recruiter", email=RITA)


@pytest.fixture
def first_step_sent(rita, workers, drain, mail):
    """Ada's enrollment once the worker sent step one; step two is due (days passed)."""
    workers.start()
    ada = CandidateFactory(
        name="Ada Lovelace", owner=rita, timezone=an_office_hours_zone(), email="ada@example.org"
    )
    application = ApplicationFactory(candidate=ada)
    template = MessageTemplate.objects.create(
        name="Touch",
        subject="Ada, a word from {{ sender.name }}",
        body_text="Hi {{ candidate.first_name }},\n\nShall we talk?\n\n{{ sender.name }}",
    )
    sequence = Sequence.objects.create(name="Researchers")
    SequenceStep.objects.create(sequence=sequence, position=1, template=template)
    SequenceStep.objects.create(
        sequence=sequence, position=2, template=template, delay_business_days=2
    )
    enrollment = enroll(ada, sequence, by=rita, application=application, now=timezone.now())
    Enrollment.objects.filter(pk=enrollment.pk).update(next_send_at=timezone.now() - MINUTE)
    send_due.delay()
    mail.wait_for(1)
    drain()
    assert len(to_ada(mail)) == 1
    days_pass(enrollment)
    return enrollment


def days_pass(enrollment: Enrollment) -> None:
    """Step two comes due: the enrollment and what it sent move back in time."""
    enrollment.refresh_from_db()
    assert enrollment.next_send_at is not None
    wait = enrollment.next_send_at - timezone.now() + MINUTE
    Enrollment.objects.filter(pk=enrollment.pk).update(
        enrolled_at=F("enrolled_at") - wait, next_send_at=F("next_send_at") - wait
    )
    SentMessage.objects.filter(enrollment=enrollment).update(
        claimed_at=F("claimed_at") - wait, sent_at=F("sent_at") - wait
    )


def our_id(enrollment: Enrollment) -> str:
    return SentMessage.objects.get(enrollment=enrollment).message_id


def read(name: str) -> dict:
    """The mailbox job, run by the worker."""
    return read_mailbox.delay(name).get(timeout=120)


def to_ada(mail) -> list:
    """The outreach emails Ada got (the sink also takes the owner's alerts)."""
    return [message for message in mail.messages if message["To"] == "ada@example.org"]


def send_due_now(drain) -> None:
    send_due.delay()
    drain()


def test_a_reply_in_the_thread_stops_the_next_step_which_was_due(
    first_step_sent, dovecot, mailbox_name, drain, mail, rita
):
    dovecot.deliver(RITA, reply(in_reply_to=our_id(first_step_sent)))

    assert read(mailbox_name) == {"reply": 1}
    send_due_now(drain)

    assert len(to_ada(mail)) == 1  # step two never went
    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.REPLIED
    assert first_step_sent.application.stage.kind == Stage.Kind.REPLIED
    activity = Activity.objects.filter(summary__startswith="Replied to the outreach").get()
    assert activity.body == REPLY_TEXT
    assert Alert.objects.get(kind="outreach_reply").recipient == rita
    [told] = [message for message in mail.wait_for(2) if message["To"] == RITA]
    assert told["Subject"] == "[Closer] Ada Lovelace replied to Researchers"
    assert REPLY_TEXT.splitlines()[0] in told.get_body(("plain",)).get_content()
    # The mailbox is as Rita keeps it: the reply is there, still unread.
    assert dovecot.flags(RITA) == {1: ()}


def test_an_out_of_office_reply_does_not_stop_the_next_step(
    first_step_sent, dovecot, mailbox_name, drain, mail
):
    dovecot.deliver(RITA, out_of_office(in_reply_to=our_id(first_step_sent)))

    assert read(mailbox_name) == {"auto_reply": 1}
    send_due_now(drain)

    mail.wait_for(2)
    assert len(to_ada(mail)) == 2  # step two went
    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.COMPLETED
    assert not Alert.objects.filter(kind="outreach_reply").exists()


def test_a_dsn_for_a_hard_bounce_stops_the_enrollment(
    first_step_sent, dovecot, mailbox_name, drain, mail
):
    dovecot.deliver(RITA, dsn(recipient="ada@example.org", original_id=our_id(first_step_sent)))

    assert read(mailbox_name) == {"bounce": 1}
    send_due_now(drain)

    assert len(to_ada(mail)) == 1
    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.BOUNCED
    assert first_step_sent.candidate.emails.get().bounce.is_hard


def test_a_message_read_by_two_runs_acts_once(first_step_sent, dovecot, mailbox_name, drain):
    dovecot.deliver(RITA, reply(in_reply_to=our_id(first_step_sent)))

    assert read(mailbox_name) == {"reply": 1}
    assert read(mailbox_name) == {}  # nothing new since
    read_mailboxes.delay()  # the scheduler's job: a read of each mailbox
    drain()
    # Even a run that reads it again (the mark lost) finds it claimed.
    MailboxState.objects.update(last_uid=0, uidvalidity=None)
    assert read(mailbox_name) == {"read_before": 1}

    assert Activity.objects.filter(summary__startswith="Replied to the outreach").count() == 1
    assert Alert.objects.filter(kind="outreach_reply").count() == 1


def test_a_worker_killed_mid_run_leaves_each_message_acted_on_once(
    first_step_sent, dovecot, mailbox_name, workers, own_broker
):
    replies = 150
    dovecot.deliver(RITA, *(reply(in_reply_to=our_id(first_step_sent)) for _ in range(replies)))
    [doomed] = workers.started

    read_mailbox.delay(mailbox_name)
    deadline = time.monotonic() + 60
    while InboundMessage.objects.count() < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    doomed.kill()
    doomed.wait()
    handled_before = InboundMessage.objects.count()
    assert 5 <= handled_before < replies, "the worker was to be killed mid-run"

    workers.start()
    # Its lock would expire; the next run need not wait for it.
    with redis.Redis.from_url(own_broker.url) as client:
        client.delete(f"closer:outreach-mailbox:{mailbox_name}")
    result = read(mailbox_name)

    # It read again what the killed run had acted on since its last mark, and acted on none.
    assert result.get("read_before", 0) >= 1
    assert InboundMessage.objects.count() == replies
    assert Activity.objects.filter(summary__startswith="Replied to the outreach").count() == replies
    assert Alert.objects.filter(kind="outreach_reply").count() == replies


def test_an_unreachable_mailbox_alerts_its_owner_once_an_outage(
    rita, workers, dovecot, mailbox_name
):
    workers.start()
    assert read(mailbox_name) == {}

    dovecot.halt()  # the server is down
    for _ in range(3):
        assert read(mailbox_name) == {"unreachable": 1}
    [alert] = Alert.objects.filter(kind="outreach_mailbox_unreachable")
    assert alert.recipient == rita
    assert alert.subject == "Closer cannot read the mailbox rita@closer.example on 127.0.0.1"

    dovecot.start()
    assert read(mailbox_name) == {}
    assert MailboxState.objects.get().failing_since is None

    dovecot.halt()
    assert read(mailbox_name) == {"unreachable": 1}
    assert Alert.objects.filter(kind="outreach_mailbox_unreachable").count() == 2


def test_only_the_messages_acted_on_are_marked_read_and_only_when_the_setting_says(
    first_step_sent, dovecot, mailbox_name, settings
):
    from recruiting.outreach.inbound import read_mailbox as read_here

    dovecot.deliver(
        RITA,
        reply(sender="bob@example.com", subject="Lunch on Friday?"),
        reply(in_reply_to=our_id(first_step_sent)),
    )
    settings.OUTREACH_MAILBOX_MARK_SEEN = True

    assert read_here(parse(dovecot.url(RITA))) == {"other": 1, "reply": 1}

    assert dovecot.flags(RITA) == {1: (), 2: (b"\\Seen",)}
