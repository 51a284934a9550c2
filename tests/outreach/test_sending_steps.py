"""Sending a sequence's steps: each once, even when the job runs twice or another run
claimed it, the whole sequence step by step; what a sent step does (an activity, a move
to contacted, a signed opt-out link); a run's time budget and its queries. Time is moved
with a fixed `now`, never waited for."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.db import connection

from recruiting.outreach.models import Enrollment, SentMessage
from recruiting.outreach.services import add_business_days, enroll, send_due_steps
from recruiting.pipeline.models import Activity, Application, Stage
from recruiting.pipeline.services import move_stage
from tests.factories import prospect
from tests.outreach.sending_helpers import OPT_OUT, WEDNESDAY_10_LA, enrolled

pytestmark = pytest.mark.django_db


def test_step_one_is_sent_once_even_when_the_job_runs_twice(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    assert enrollment.next_send_at == WEDNESDAY_10_LA

    assert send_due_steps(WEDNESDAY_10_LA - timedelta(minutes=1)) == {}  # not due yet
    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}
    assert send_due_steps(WEDNESDAY_10_LA) == {}

    [email] = mailoutbox
    assert email.from_email == "Rita Recruiter <recruiter@closer.test>"
    assert email.reply_to == ["Rita Recruiter <recruiter@closer.test>"]
    assert email.to == ["ada@example.org"]
    assert email.subject == "Ada, Research Scientist in London?"
    assert "Rita Recruiter" in email.body
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.SENT and sent.to_email == "ada@example.org"
    assert sent.message_id == email.extra_headers["Message-ID"]
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2
    assert enrollment.next_send_at == add_business_days(WEDNESDAY_10_LA, 3)


def test_a_step_claimed_by_another_run_is_not_sent_again(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    SentMessage.objects.create(
        enrollment=enrollment,
        step=sequence.steps.get(position=1),
        sender=recruiter,
        claimed_at=WEDNESDAY_10_LA,
    )

    assert send_due_steps(WEDNESDAY_10_LA) == {"skipped": 1}
    assert mailoutbox == []


def test_the_whole_sequence_is_sent_step_by_step_then_completed(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    second = add_business_days(WEDNESDAY_10_LA, 3)
    assert send_due_steps(second - timedelta(seconds=1)) == {}
    assert send_due_steps(second) == {"sent": 1}

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and enrollment.next_send_at is None
    assert len(mailoutbox) == 2
    assert send_due_steps(second + timedelta(days=30)) == {}


def test_a_run_whose_time_budget_is_spent_leaves_the_rest_for_the_next_run(
    ada, sequence, recruiter, mailoutbox
):
    enrolled(ada, sequence, recruiter)

    assert send_due_steps(WEDNESDAY_10_LA, budget=timedelta(0)) == {}
    assert mailoutbox == []
    assert send_due_steps(WEDNESDAY_10_LA, budget=timedelta(seconds=40)) == {"sent": 1}


def test_queries_grow_by_a_bounded_number_per_step_sent(sequence, recruiter, role, mailoutbox):
    """A run's queries: a fixed part per batch of one sender's steps (the due ids, the batch's
    reads, the claim of the cap, the record of what went), and one per step sent (letting it
    go, which marks the step before it sent), whatever else is in the database: 40 a step
    before batches."""
    from django.test.utils import CaptureQueriesContext

    def run(n: int, day: datetime) -> int:
        for i in range(n):
            person = prospect(role=role, name=f"P{day.day}-{i}", owner=recruiter)
            enroll(person, sequence, by=recruiter, now=day - timedelta(days=2))
        with CaptureQueriesContext(connection) as captured:
            assert send_due_steps(add_business_days(day, 0)) == {"sent": n}
        return len(captured)

    one = run(1, WEDNESDAY_10_LA)
    four = run(4, WEDNESDAY_10_LA + timedelta(days=1))

    per_step = (four - one) / 3
    assert per_step == 1
    # The batch's own, with the test's savepoints; four of them keep what the pipeline keeps
    # of the moves to Contacted (recruiting/pipeline/history.py), one when each application's
    # first email went (the funnel's first contact), one each enrollment's last email (the
    # outreach report's).
    assert one - per_step <= 29
    assert len(mailoutbox) == 5


# --- What a sent step does -------------------------------------------------------------------


def test_a_sent_step_is_an_activity_and_moves_a_sourced_application_to_contacted(
    ada, application, sequence, recruiter, mailoutbox
):
    assert application.stage.kind == Stage.Kind.SOURCED
    enrolled(ada, sequence, recruiter, application)

    send_due_steps(WEDNESDAY_10_LA)

    [activity] = Activity.objects.filter(candidate=ada)
    assert activity.kind == Activity.Kind.EMAIL
    assert activity.application == application and activity.author == recruiter
    assert activity.summary == "Step 1 of Researchers: Ada, Research Scientist in London?"
    # The body is the email as sent, but for the candidate's own opt-out link.
    assert activity.body.startswith("Hi Ada,") and "opt-out" not in activity.body
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.CONTACTED
    assert application.stage_changes.last().changed_by == recruiter
    # The first contact, kept for the funnel: the email, and the move it made, both then.
    [sent] = SentMessage.objects.filter(enrollment__application=application)
    assert application.first_emailed_at == sent.sent_at == WEDNESDAY_10_LA
    assert application.first_advanced_at == application.stage_changes.last().changed_at


def test_the_first_email_about_an_application_stays_its_first_and_the_last_is_kept(
    ada, application, sequence, recruiter, mailoutbox
):
    """A later step's email, sent when the application is past Sourced, leaves the first
    email's time as it was, and is the enrollment's last."""
    enrolled(ada, sequence, recruiter, application)
    send_due_steps(WEDNESDAY_10_LA)
    later = add_business_days(WEDNESDAY_10_LA, 3)

    assert send_due_steps(later) == {"sent": 1}

    application.refresh_from_db()
    assert application.first_emailed_at == WEDNESDAY_10_LA
    assert SentMessage.objects.filter(enrollment__application=application).count() == 2

    # The enrollment's last email, which an answer would count against: step 2's.
    enrollment = Enrollment.objects.get(application=application)
    assert (enrollment.last_email_step.position, enrollment.last_email_at) == (2, later)

    # The migrations' SQL, for the emails there were, gives the same.
    Application.objects.update(first_emailed_at=None)
    Enrollment.objects.update(last_email_step=None, last_email_at=None)
    firsts = importlib.import_module("recruiting.pipeline.migrations.0011_first_contact")
    lasts = importlib.import_module("recruiting.outreach.migrations.0006_enrollment_last_email")
    with connection.cursor() as cursor:
        cursor.execute(firsts.FIRST_EMAILED)
        cursor.execute(lasts.LAST_EMAILS)
    application.refresh_from_db()
    enrollment.refresh_from_db()
    assert application.first_emailed_at == WEDNESDAY_10_LA
    assert (enrollment.last_email_step.position, enrollment.last_email_at) == (2, later)


def test_the_email_carries_a_signed_opt_out_link_in_text_and_html(
    ada, sequence, recruiter, mailoutbox
):
    enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    [email] = mailoutbox
    [(html, _)] = email.alternatives
    link = OPT_OUT.search(email.body).group(0)
    assert link in html
    token = link.rstrip("/").rpartition("/")[2]
    # The mail client's button: the link (one click, RFC 8058) and a mailto to the sender.
    assert email.extra_headers["List-Unsubscribe"] == (
        f"<{link}>, <mailto:{recruiter.email}?subject=unsubscribe%20{quote(token)}>"
    )
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_application_moved_on_while_the_email_went_is_not_moved_back(
    ada, application, sequence, role, recruiter
):
    from django.core.mail.backends.locmem import EmailBackend

    class RecruiterMovesItMeanwhile(EmailBackend):
        def send_messages(self, messages):
            move_stage(application, role.stages.get(kind=Stage.Kind.OFFER), by=recruiter)
            return super().send_messages(messages)

    enrollment = enrolled(ada, sequence, recruiter, application)

    from recruiting.outreach.services import send_step

    assert send_step(enrollment.pk, WEDNESDAY_10_LA, connection=RecruiterMovesItMeanwhile()) == (
        "sent"
    )

    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.OFFER
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED  # the move past contacted stopped it
