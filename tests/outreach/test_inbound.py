"""What a message read from the mailbox does (outreach/inbound.py `handle`, bounces.py): a
reply stops the sequence as "Mark replied" does, an auto-reply does not, a bounce marks the
address, each message acts once; and the OUTREACH_MAILBOXES URLs. The IMAP reading itself,
through a real server and worker: tests/integration/test_outreach_mailbox.py."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core.exceptions import ImproperlyConfigured

from recruiting.alerts.models import Alert
from recruiting.outreach.inbound import Outcome, handle, read
from recruiting.outreach.mailbox import parse
from recruiting.outreach.models import AddressBounce, Enrollment, InboundMessage, SentMessage
from recruiting.outreach.services import send_due_steps
from recruiting.pipeline.models import Activity, Stage
from tests.outreach.inbound_helpers import (
    QUOTED,
    REPLY_TEXT,
    dsn,
    exim_bounce,
    out_of_office,
    reply,
)
from tests.outreach.sending_helpers import WEDNESDAY_10_LA, enrolled

pytestmark = pytest.mark.django_db

BOX = "recruiter@closer.test@imap.closer.test:993/INBOX"
LATER = WEDNESDAY_10_LA + timedelta(hours=1)
STEP_TWO_DUE = WEDNESDAY_10_LA + timedelta(days=7)


@pytest.fixture
def first_step_sent(ada, application, sequence, recruiter, mailoutbox):
    """Ada's enrollment after step one went (step two is due three business days on)."""
    enrollment = enrolled(ada, sequence, recruiter, application)
    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}
    enrollment.refresh_from_db()
    return enrollment


def our_id(enrollment: Enrollment) -> str:
    return SentMessage.objects.get(enrollment=enrollment).message_id


def arrives(raw: bytes, uid: int = 1, mailbox: str = BOX) -> Outcome:
    return handle(mailbox, uidvalidity=7, uid=uid, raw=raw, now=LATER)


def test_a_reply_in_the_thread_stops_the_sequence_and_tells_the_owner(
    first_step_sent, application, recruiter, mailoutbox
):
    assert arrives(reply(in_reply_to=our_id(first_step_sent))) == Outcome.REPLY

    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.REPLIED
    assert first_step_sent.stopped_reason == "Replied (read from the mailbox)."
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.REPLIED
    activity = Activity.objects.filter(candidate=application.candidate).latest("id")
    assert activity.summary.startswith("Replied to the outreach sequence Researchers: Re: Ada")
    assert activity.body == REPLY_TEXT  # without the quoted history
    [alert] = Alert.objects.filter(kind="outreach_reply")
    assert alert.recipient == recruiter
    assert alert.subject == "Ada Lovelace replied to Researchers"
    assert send_due_steps(STEP_TWO_DUE) == {}
    assert len(mailoutbox) == 1


def test_the_unsubscribe_mailto_opts_them_out(first_step_sent, mailoutbox):
    # What a mail client sends for the mailto of List-Unsubscribe: to the sender, with the
    # subject the header names.
    [email] = mailoutbox
    mailto = email.extra_headers["List-Unsubscribe"].split(", ")[1].strip("<>")
    subject = unquote(mailto.partition("?subject=")[2])

    assert arrives(reply(subject=subject, body="")) == Outcome.UNSUBSCRIBE

    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.OPTED_OUT
    assert first_step_sent.candidate.do_not_contact
    assert InboundMessage.objects.get().kind == InboundMessage.Kind.UNSUBSCRIBE
    assert send_due_steps(STEP_TWO_DUE) == {}


def test_an_unsubscribe_subject_with_a_forged_token_is_just_a_reply(first_step_sent):
    assert arrives(reply(subject="unsubscribe 12:forged")) == Outcome.REPLY
    first_step_sent.refresh_from_db()
    assert not first_step_sent.candidate.do_not_contact


def test_a_reply_without_thread_headers_is_known_by_its_sender(first_step_sent):
    raw = reply(sender="ADA@example.org", subject="About your email")
    assert arrives(raw) == Outcome.REPLY
    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.REPLIED


def test_a_message_from_anyone_else_changes_nothing(first_step_sent):
    assert arrives(reply(sender="someone@example.com", subject="Lunch?")) == Outcome.OTHER
    first_step_sent.refresh_from_db()
    assert first_step_sent.is_active
    assert not Alert.objects.filter(kind="outreach_reply").exists()


@pytest.mark.parametrize(
    "headers, subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Ada"),
        ({"X-Autoreply": "yes"}, "Re: Ada"),
        ({"X-Autorespond": "Out of office"}, "Re: Ada"),
        ({"Precedence": "auto_reply"}, "Re: Ada"),
        ({"Precedence": "bulk"}, "Re: Ada"),
        ({}, "Out of Office: Re: Ada"),
        ({}, "Automatic reply: Ada"),
        ({}, "Abwesenheitsnotiz: Ada"),
    ],
)
def test_an_auto_reply_stops_nothing(first_step_sent, mailoutbox, headers, subject):
    raw = reply(in_reply_to=our_id(first_step_sent), subject=subject, headers=headers)
    assert arrives(raw) == Outcome.AUTO_REPLY

    first_step_sent.refresh_from_db()
    assert first_step_sent.is_active
    assert send_due_steps(STEP_TWO_DUE) == {"sent": 1}
    assert len(mailoutbox) == 2


def test_auto_submitted_no_is_a_person_writing(first_step_sent):
    raw = reply(in_reply_to=our_id(first_step_sent), headers={"Auto-Submitted": "no"})
    assert arrives(raw) == Outcome.REPLY


def test_an_auto_reply_postpones_the_next_step_when_the_setting_says(first_step_sent, settings):
    settings.OUTREACH_AUTO_REPLY_POSTPONE_DAYS = 5
    due = first_step_sent.next_send_at

    assert arrives(out_of_office(in_reply_to=our_id(first_step_sent))) == Outcome.AUTO_REPLY

    first_step_sent.refresh_from_db()
    assert first_step_sent.is_active
    # Wednesday + 5 business days, in Los Angeles: the next Wednesday, later than it was due.
    assert first_step_sent.next_send_at == LATER + timedelta(days=7)
    assert first_step_sent.next_send_at > due


def test_a_hard_bounce_stops_the_enrollment_and_marks_the_address(first_step_sent, mailoutbox):
    raw = dsn(original_id=our_id(first_step_sent))
    assert arrives(raw) == Outcome.BOUNCE

    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.BOUNCED
    assert first_step_sent.stopped_reason == (
        "Bounced: ada@example.org was reported undeliverable."
    )
    bounce = AddressBounce.objects.get(address__email="ada@example.org")
    assert bounce.is_hard
    assert InboundMessage.objects.get().enrollment == first_step_sent
    assert send_due_steps(STEP_TWO_DUE) == {}
    assert len(mailoutbox) == 1


def test_a_non_standard_bounce_is_read_too(first_step_sent):
    assert arrives(exim_bounce()) == Outcome.BOUNCE
    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.BOUNCED


def test_soft_bounces_count_until_the_limit(first_step_sent, settings):
    settings.OUTREACH_SOFT_BOUNCE_LIMIT = 3
    delayed = dict(original_id=our_id(first_step_sent), action="delayed", status="4.2.2")
    for uid in (1, 2):
        assert arrives(dsn(**delayed), uid=uid) == Outcome.BOUNCE
        first_step_sent.refresh_from_db()
        assert first_step_sent.is_active
    assert AddressBounce.objects.get().soft_bounces == 2

    assert arrives(dsn(**delayed), uid=3) == Outcome.BOUNCE

    first_step_sent.refresh_from_db()
    assert first_step_sent.status == Enrollment.Status.BOUNCED
    assert AddressBounce.objects.get().is_hard


def test_a_bounce_for_an_address_that_is_not_a_candidates_changes_nothing(first_step_sent):
    assert arrives(dsn(recipient="nobody@example.net")) == Outcome.BOUNCE
    first_step_sent.refresh_from_db()
    assert first_step_sent.is_active
    assert not AddressBounce.objects.exists()


def test_a_message_acts_once_read_again_or_found_in_another_mailbox(first_step_sent):
    raw = reply(in_reply_to=our_id(first_step_sent))
    assert arrives(raw) == Outcome.REPLY
    assert arrives(raw) == Outcome.READ_BEFORE
    assert arrives(raw, mailbox="team@closer.test@imap.closer.test:993/INBOX") == (
        Outcome.DUPLICATE
    )

    assert Activity.objects.filter(summary__startswith="Replied to the outreach").count() == 1
    assert Alert.objects.filter(kind="outreach_reply").count() == 1


def test_the_reply_text_of_an_html_reply_in_german():
    html = (
        "<div>Gerne, am Dienstag passt es mir.</div><div><br></div>"
        "<div>Am Mi., 2. Dez. 2026 um 10:00 Uhr schrieb Rita &lt;recruiter@closer.test&gt;:"
        "</div><blockquote>Hallo Ada</blockquote>"
    )
    assert read(reply(html=html)).text == "Gerne, am Dienstag passt es mir."


def test_the_reply_text_keeps_a_reply_with_nothing_quoted():
    assert read(reply(body="Yes, call me.")).text == "Yes, call me."
    assert QUOTED.strip().splitlines()[0] not in read(reply()).text


def test_a_mailbox_url_is_read_with_its_parts():
    box = parse("imaps://rita%40closer.test:app%2Fpass%2C1@imap.example.com/Replies?owner=x@y.z")
    assert (box.host, box.port, box.security) == ("imap.example.com", 993, "tls")
    assert (box.user, box.password, box.folder) == ("rita@closer.test", "app/pass,1", "Replies")
    assert box.owner_email == "x@y.z"
    assert box.name == "rita@closer.test@imap.example.com:993/Replies"
    assert "app" not in repr(box)
    starttls = parse("imap+starttls://team:secret@imap.example.com")
    assert (starttls.port, starttls.security, starttls.folder) == (143, "starttls", "INBOX")
    assert starttls.owner_email == ""


@pytest.mark.parametrize(
    "url, rule",
    [
        ("pop3://a:b@host/INBOX", "begins with imaps://, imap+starttls:// or imap://"),
        ("imaps://host/INBOX", "names its user, password and host"),
        ("imaps://user@host/INBOX", "names its user, password and host"),
        ("imaps://user:pw@host:port/INBOX", "port is a number"),
    ],
)
def test_a_bad_mailbox_url_is_refused_with_its_rule(url, rule):
    with pytest.raises(ImproperlyConfigured, match="OUTREACH_MAILBOXES") as refused:
        parse(url)
    assert rule in str(refused.value)


def test_a_message_that_cannot_be_handled_is_recorded_and_passed(first_step_sent, monkeypatch):
    from recruiting.outreach import inbound

    def broken(raw: bytes) -> inbound.Reading:
        raise UnicodeError("a message no parser expected")

    monkeypatch.setattr(inbound, "read", broken)
    outcome = inbound._handle_or_record(BOX, 7, 1, reply(), LATER)

    assert outcome == Outcome.FAILED
    assert InboundMessage.objects.get().kind == InboundMessage.Kind.FAILED
    first_step_sent.refresh_from_db()
    assert first_step_sent.is_active
