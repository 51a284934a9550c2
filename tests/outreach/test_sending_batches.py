"""Sending in batches (services.send_batch, due_batches): a batch is one sender's due steps,
read together; a stop that comes between the batch's read and a step's email wins, and one
under way as the email is let go is waited for; two batches of one sender never spend the same
room under the daily cap, one during the other or at once; what a batch that died left behind
is sent or recorded once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from candidates.models import Candidate
from recruiting.outreach.models import Enrollment, SentMessage
from recruiting.outreach.services import (
    STALE_CLAIM,
    due_batches,
    mark_replied,
    opt_out,
    send_batch,
    send_due_steps,
)
from recruiting.pipeline.models import Activity, Stage
from tests.factories import UserFactory, prospect
from tests.outreach.sending_helpers import WEDNESDAY_10_LA, enrolled


class StopsMeanwhile(EmailBackend):
    """The SMTP connection of a batch, through which `meanwhile` runs as the batch's first email
    goes: after the batch has read every enrollment, before its next steps are let go."""

    def __init__(self, meanwhile, **kwargs):
        super().__init__(**kwargs)
        self.meanwhile = meanwhile

    def send_messages(self, messages):
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super().send_messages(messages)


def three_of_ritas(sequence, recruiter):
    names = ["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"]
    return [enrolled(prospect(name=name, owner=recruiter), sequence, recruiter) for name in names]


# --- A stop during the batch -------------------------------------------------------------------


def replied(enrollment):
    mark_replied(enrollment, by=None)


def opted_out(enrollment):
    opt_out(enrollment)


def marked_do_not_contact(enrollment):
    candidate = enrollment.candidate
    candidate.do_not_contact = True
    candidate.save(update_fields=["do_not_contact"])  # as the admin's form saves it


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stop", "status"),
    [
        (replied, Enrollment.Status.REPLIED),
        (opted_out, Enrollment.Status.OPTED_OUT),
        (marked_do_not_contact, Enrollment.Status.STOPPED),
    ],
)
def test_a_stop_between_the_batchs_read_and_the_email_wins(
    sequence, recruiter, mailoutbox, stop, status
):
    ada, grace, edsger = three_of_ritas(sequence, recruiter)
    [batch] = due_batches(WEDNESDAY_10_LA)
    assert batch == [ada.pk, grace.pk, edsger.pk]

    outcomes = send_batch(batch, WEDNESDAY_10_LA, connection=StopsMeanwhile(lambda: stop(grace)))

    assert outcomes == {"sent": 2, "skipped": 1}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        e.candidate.emails.get().email for e in (ada, edsger)
    )
    grace.refresh_from_db()
    assert grace.status == status
    # Her claim was taken back: it spends none of Rita's day.
    assert not SentMessage.objects.filter(enrollment=grace).exists()
    assert SentMessage.objects.filter(status=SentMessage.Status.SENT).count() == 2


@pytest.mark.django_db
def test_do_not_contact_set_behind_the_services_back_during_the_batch_stops_it(
    sequence, recruiter, mailoutbox
):
    ada, grace, _ = three_of_ritas(sequence, recruiter)

    def raw_update():  # no signal: nothing stops the enrollment but the let-go's own check
        Candidate.objects.filter(pk=grace.candidate_id).update(do_not_contact=True)

    outcomes = send_batch(
        due_batches(WEDNESDAY_10_LA)[0], WEDNESDAY_10_LA, connection=StopsMeanwhile(raw_update)
    )

    assert outcomes == {"sent": 2, "stopped": 1}
    grace.refresh_from_db()
    assert grace.status == Enrollment.Status.STOPPED
    assert grace.stopped_reason == "The candidate is marked do-not-contact."


# --- The daily cap across batches ------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_batch_of_the_sender_during_the_first_gets_only_the_room_left(
    sequence, recruiter, mailoutbox, settings
):
    settings.OUTREACH_DAILY_CAP_PER_SENDER = 3
    people = [enrolled(prospect(owner=recruiter), sequence, recruiter) for _ in range(5)]
    first, second = [e.pk for e in people[:2]], [e.pk for e in people[2:]]
    during = {}

    def second_batch():  # the first batch has claimed its two, and sent none yet
        during.update(send_batch(second, WEDNESDAY_10_LA))

    outcomes = send_batch(first, WEDNESDAY_10_LA, connection=StopsMeanwhile(second_batch))

    assert outcomes == {"sent": 2}
    assert during == {"sent": 1, "deferred": 2}
    assert len(mailoutbox) == 3
    assert SentMessage.objects.filter(sender=recruiter).count() == 3


@pytest.mark.django_db(transaction=True)
def test_batches_of_one_sender_at_once_never_exceed_the_cap(
    sequence, recruiter, mailoutbox, settings
):
    """Four batches of Rita's in four threads (four database connections, as the worker's
    processes), started together: her cap of 5 holds exactly."""
    settings.OUTREACH_DAILY_CAP_PER_SENDER = 5
    people = [enrolled(prospect(owner=recruiter), sequence, recruiter) for _ in range(16)]
    batches = [[e.pk for e in people[i::4]] for i in range(4)]
    start = threading.Barrier(len(batches))
    results, errors = [], []

    def run(batch):
        try:
            start.wait()
            results.append(send_batch(batch, WEDNESDAY_10_LA))
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(r["sent"] for r in results if "sent" in r) == 5
    assert sum(r.get("deferred", 0) for r in results) == 11
    assert len(mail.outbox) == 5
    assert SentMessage.objects.filter(sender=recruiter).count() == 5
    assert Enrollment.objects.filter(next_position=2).count() == 5


# --- Batches -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_due_steps_are_batched_by_sender_the_longest_due_first(sequence, recruiter):
    sam = UserFactory(username="sam", email="sam@closer.test")
    ritas = [enrolled(prospect(owner=recruiter), sequence, recruiter) for _ in range(3)]
    sams = [enrolled(prospect(owner=sam), sequence, recruiter) for _ in range(2)]
    ownerless = enrolled(prospect(owner=None), sequence, sam)  # from who enrolled: Sam
    Enrollment.objects.filter(pk=ritas[2].pk).update(
        next_send_at=WEDNESDAY_10_LA - timedelta(hours=1)
    )

    assert due_batches(WEDNESDAY_10_LA, size=2) == [
        [ritas[2].pk, ritas[0].pk],
        [ritas[1].pk],
        [sams[0].pk, sams[1].pk],
        [ownerless.pk],
    ]
    assert due_batches(WEDNESDAY_10_LA - timedelta(minutes=1)) == [[ritas[2].pk]]


# --- What a batch that died left ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_never_let_go_by_a_batch_that_died_is_sent_once(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    SentMessage.objects.create(
        enrollment=enrollment,
        step=sequence.steps.get(position=1),
        sender=recruiter,
        claimed_at=WEDNESDAY_10_LA - STALE_CLAIM - timedelta(minutes=1),
    )

    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}
    assert send_due_steps(WEDNESDAY_10_LA) == {}

    assert len(mailoutbox) == 1
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.SENT and sent.message_id
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2


@pytest.mark.django_db
def test_an_email_let_go_by_a_batch_that_died_is_never_sent_again(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    SentMessage.objects.create(
        enrollment=enrollment,
        step=sequence.steps.get(position=1),
        sender=recruiter,
        message_id="<went@closer.test>",
        claimed_at=WEDNESDAY_10_LA - STALE_CLAIM - timedelta(minutes=1),
    )

    assert send_due_steps(WEDNESDAY_10_LA) == {"skipped": 1}

    assert mailoutbox == []
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.FAILED and "may have gone" in sent.last_error
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2


@pytest.mark.django_db
def test_an_email_sent_by_a_batch_that_died_before_its_record_is_recorded_once(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    SentMessage.objects.create(
        enrollment=enrollment,
        step=sequence.steps.get(position=1),
        sender=recruiter,
        status=SentMessage.Status.SENT,
        subject="Ada, Research Scientist in London?",
        message_id="<went@closer.test>",
        claimed_at=WEDNESDAY_10_LA,
        sent_at=WEDNESDAY_10_LA,
    )

    assert send_due_steps(WEDNESDAY_10_LA) == {"skipped": 1}
    assert send_due_steps(WEDNESDAY_10_LA) == {}

    assert mailoutbox == []
    [activity] = Activity.objects.filter(candidate=ada)
    assert activity.summary == "Step 1 of Researchers: Ada, Research Scientist in London?"
    assert activity.body.startswith("Hi Ada,")
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.CONTACTED
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2


def waits_for_a_lock(seconds: float = 20) -> bool:
    """Whether another connection to this database comes to wait for a lock (the batch's
    thread, once it has read and claimed), within `seconds`."""
    import time

    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is read once: read it afresh each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_stop_under_way_as_the_email_is_let_go_is_waited_for_and_wins(
    sequence, recruiter, mailoutbox
):
    """A reply being marked (its transaction not yet committed) when the batch lets the email
    go: the batch waits for it, then sends nothing."""
    from django.db import transaction

    enrollment = enrolled(prospect(owner=recruiter), sequence, recruiter)
    outcomes = []

    def batch():
        try:
            outcomes.append(send_batch([enrollment.pk], WEDNESDAY_10_LA))
        finally:
            connection.close()

    with transaction.atomic():
        mark_replied(enrollment, by=recruiter)  # holds the enrollment's row lock until commit
        sending = threading.Thread(target=batch)
        sending.start()
        assert waits_for_a_lock(), "the let-go did not wait for the reply's transaction"
    sending.join(30)

    assert outcomes == [{"skipped": 1}]
    assert mail.outbox == []
    assert not SentMessage.objects.exists()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED


@pytest.mark.django_db
def test_a_retried_step_stopped_during_the_batch_keeps_its_failed_attempt(
    sequence, recruiter, mailoutbox
):
    _, grace, edsger = three_of_ritas(sequence, recruiter)
    for enrollment in (grace, edsger):  # both failed once (an SMTP outage); retried first
        SentMessage.objects.create(
            enrollment=enrollment,
            step=sequence.steps.get(position=1),
            sender=recruiter,
            status=SentMessage.Status.FAILED,
            last_error="SMTPDataError: (451, b'Try again later')",
            claimed_at=WEDNESDAY_10_LA - timedelta(minutes=15),
        )

    outcomes = send_batch(
        due_batches(WEDNESDAY_10_LA)[0],
        WEDNESDAY_10_LA,
        connection=StopsMeanwhile(lambda: replied(edsger)),  # as Grace's email goes
    )

    assert outcomes == {"sent": 2, "skipped": 1}
    [failed] = SentMessage.objects.filter(enrollment=edsger)
    assert failed.status == SentMessage.Status.FAILED and failed.attempts == 1
    assert "451" in failed.last_error
    assert SentMessage.objects.get(enrollment=grace).attempts == 2
