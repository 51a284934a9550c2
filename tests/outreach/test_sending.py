"""Sending a sequence's steps: once each, inside the window, outside pauses, under the cap;
each sent step an activity and a move to contacted; stopped by a reply, an opt-out, a bounce,
do-not-contact or a move past contacted. Time is moved with a fixed `now`, never waited for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from candidates.models import CandidateEmail
from recruiting.outreach.models import Enrollment, SentMessage, Sequence, SequenceStep
from recruiting.outreach.services import (
    OutreachError,
    add_business_days,
    enroll,
    mark_replied,
    opt_out,
    send_due_steps,
)
from recruiting.pipeline.models import Activity, Application, Role, Stage
from recruiting.pipeline.services import mark_lost, move_stage
from tests.factories import (
    ApplicationFactory,
    CompanyFactory,
    CompanyPauseFactory,
    RoleFactory,
    prospect,
)

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 in Los Angeles (the factories' candidate timezone).
MONDAY_10_LA = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
# Two business days on: Wednesday 2 December, 10:00 in Los Angeles, when step one is due.
WEDNESDAY_10_LA = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
OPT_OUT = re.compile(r"https?://[^\s\"<>]+/outreach/opt-out/[^/\s\"<>]+/")


@pytest.fixture
def ada(recruiter):  # type: ignore[no-untyped-def]
    return prospect(name="Ada Lovelace", owner=recruiter, email="ada@example.org")


@pytest.fixture
def role(hiring_manager):  # type: ignore[no-untyped-def]
    return RoleFactory(title="Research Scientist", city="London", hiring_manager=hiring_manager)


@pytest.fixture
def application(ada, role):  # type: ignore[no-untyped-def]
    return ApplicationFactory(candidate=ada, role=role)


def enrolled(candidate, sequence, by, application=None):  # type: ignore[no-untyped-def]
    return enroll(candidate, sequence, by=by, application=application, now=MONDAY_10_LA)


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


# --- The window, the pause, the cap ----------------------------------------------------------


def test_outside_the_candidates_window_the_step_waits_for_it(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    # Due at 02:00 on Wednesday in Los Angeles (10:00 UTC): it waits for 09:00 there.
    early = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    Enrollment.objects.filter(pk=enrollment.pk).update(next_send_at=early)

    assert send_due_steps(early) == {"deferred": 1}
    assert mailoutbox == []
    enrollment.refresh_from_db()
    nine_la = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    assert enrollment.next_send_at == nine_la
    assert send_due_steps(nine_la - timedelta(minutes=1)) == {}
    assert send_due_steps(nine_la) == {"sent": 1}


def test_after_hours_on_friday_the_step_waits_for_monday(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    friday_evening = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # Friday 18:00 in Los Angeles
    Enrollment.objects.filter(pk=enrollment.pk).update(next_send_at=friday_evening)

    assert send_due_steps(friday_evening) == {"deferred": 1}
    enrollment.refresh_from_db()
    assert enrollment.next_send_at == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # Monday 09:00
    assert mailoutbox == []


def test_a_candidate_without_a_timezone_is_written_to_in_utc_hours(sequence, recruiter, mailoutbox):
    ben = prospect(name="Ben", owner=recruiter, timezone="")
    enrollment = enrolled(ben, sequence, recruiter)
    # Two business days on is Wednesday 18:00 UTC, after hours: due at Thursday's opening.
    assert enrollment.next_send_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert send_due_steps(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == {"sent": 1}
    assert len(mailoutbox) == 1


def test_during_a_pause_of_their_company_nothing_is_sent_until_it_ends(
    ada, sequence, recruiter, mailoutbox
):
    ada.current_company = CompanyFactory(name="Helix")
    ada.save(update_fields=["current_company"])
    CompanyPauseFactory(
        company=ada.current_company, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3)
    )
    enrollment = enrolled(ada, sequence, recruiter)

    assert send_due_steps(WEDNESDAY_10_LA) == {"deferred": 1}
    assert mailoutbox == []
    enrollment.refresh_from_db()
    friday_nine = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Friday 09:00 in Los Angeles
    assert enrollment.next_send_at == friday_nine
    assert send_due_steps(friday_nine) == {"sent": 1}


def test_a_sequence_that_sends_during_pauses_sends(ada, sequence, recruiter, mailoutbox):
    Sequence.objects.filter(pk=sequence.pk).update(send_during_pause=True)
    ada.current_company = CompanyFactory(name="Helix")
    ada.save(update_fields=["current_company"])
    CompanyPauseFactory(
        company=ada.current_company, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3)
    )
    enrolled(ada, sequence, recruiter)

    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}


def test_a_sender_over_the_daily_cap_waits_for_the_next_day(
    sequence, recruiter, mailoutbox, settings
):
    settings.OUTREACH_DAILY_CAP_PER_SENDER = 2
    people = [prospect(owner=recruiter) for _ in range(3)]
    enrollments = [enrolled(p, sequence, recruiter) for p in people]

    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 2, "deferred": 1}
    assert len(mailoutbox) == 2
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(hours=1)) == {}
    [waiting] = [e for e in enrollments if not e.messages.exists()]
    waiting.refresh_from_db()
    # The count starts again at 00:00 UTC: 16:00 in Los Angeles, still inside the window.
    next_utc_day = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert waiting.next_send_at == next_utc_day
    assert send_due_steps(next_utc_day - timedelta(seconds=1)) == {}
    assert send_due_steps(next_utc_day) == {"sent": 1}


def test_over_the_cap_late_in_the_day_the_step_waits_for_the_next_window(
    sequence, recruiter, mailoutbox, settings
):
    settings.OUTREACH_DAILY_CAP_PER_SENDER = 1
    enrollments = [enrolled(prospect(owner=recruiter), sequence, recruiter) for _ in "ab"]
    # 00:00 UTC falls at 16:00 in Los Angeles: a candidate in Berlin is past their window then.
    wednesday_10_berlin = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    for enrollment in enrollments:
        enrollment.candidate.timezone = "Europe/Berlin"
        enrollment.candidate.save(update_fields=["timezone"])
    Enrollment.objects.update(next_send_at=wednesday_10_berlin)

    assert send_due_steps(wednesday_10_berlin) == {"sent": 1, "deferred": 1}
    [waiting] = [e for e in enrollments if not e.messages.exists()]
    waiting.refresh_from_db()
    assert waiting.next_send_at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # Thursday 09:00


def test_the_cap_is_per_sender(sequence, recruiter, hiring_manager, mailoutbox, settings):
    settings.OUTREACH_DAILY_CAP_PER_SENDER = 1
    enrolled(prospect(owner=recruiter), sequence, recruiter)
    enrolled(prospect(owner=hiring_manager), sequence, recruiter)

    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 2}
    assert {m.from_email for m in mailoutbox} == {
        "Rita Recruiter <recruiter@closer.test>",
        "Hank Manager <hiring_manager@closer.test>",
    }


def test_without_an_owner_the_email_goes_out_from_who_enrolled(sequence, recruiter, mailoutbox):
    enrolled(prospect(owner=None), sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    assert mailoutbox[0].from_email == "Rita Recruiter <recruiter@closer.test>"


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


def test_the_email_carries_a_signed_opt_out_link_in_text_and_html(
    ada, sequence, recruiter, mailoutbox
):
    enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    [email] = mailoutbox
    [(html, _)] = email.alternatives
    link = OPT_OUT.search(email.body).group(0)
    assert link in html
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"


# --- Stopping --------------------------------------------------------------------------------


def test_a_reply_stops_every_enrollment_and_nothing_is_sent_after(
    ada, sequence, template, recruiter, mailoutbox
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    SequenceStep.objects.create(sequence=other, position=2, template=template)
    first = enrolled(ada, sequence, recruiter)
    second = enrolled(ada, other, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    assert len(mailoutbox) == 2

    assert mark_replied(first, by=recruiter) == 2

    for enrollment in (first, second):
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.REPLIED
        assert enrollment.next_send_at is None
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(days=30)) == {}
    assert len(mailoutbox) == 2


def test_the_admin_action_marks_replied(ada, sequence, recruiter, recruiter_client, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": [enrollment.pk]},
        follow=True,
    )

    assert "Marked 1 enrollment(s) as replied." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED
    assert send_due_steps(WEDNESDAY_10_LA) == {}


def test_the_admin_action_on_two_enrollments_of_one_candidate_warns_of_nothing(
    ada, sequence, template, recruiter, recruiter_client
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    both = [enrolled(ada, sequence, recruiter).pk, enrolled(ada, other, recruiter).pk]

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": both},
        follow=True,
    )

    page = response.content.decode()
    assert "Marked 2 enrollment(s) as replied." in page
    assert "already" not in page
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"replied"}


def test_a_reply_to_the_last_step_marks_the_completed_enrollment_replied(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    send_due_steps(add_business_days(WEDNESDAY_10_LA, 3))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and len(mailoutbox) == 2

    assert mark_replied(enrollment, by=recruiter) == 1

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED
    assert enrollment.stopped_reason == "Replied (marked by Rita Recruiter)."


def test_the_opt_out_link_stops_everything_and_marks_do_not_contact(
    ada, sequence, template, recruiter, client, mailoutbox
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(
        sequence=other, position=1, template=template, delay_business_days=9
    )
    enrollment = enrolled(ada, sequence, recruiter)
    later = enrolled(ada, other, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    path = OPT_OUT.search(mailoutbox[0].body).group(0).split("://", 1)[1].partition("/")[2]

    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert "Stop all emails" in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.is_active  # a GET (a link scanner) changes nothing

    done = client.post(f"/{path}")
    assert done.status_code == 200
    assert "no more emails" in done.content.decode()
    ada.refresh_from_db()
    assert ada.do_not_contact
    for e in (enrollment, later):
        e.refresh_from_db()
        assert e.status == Enrollment.Status.OPTED_OUT
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(days=60)) == {}
    # The link opened again says it is done, rather than ask again.
    again = client.get(f"/{path}").content.decode()
    assert "You will get no more emails from us" in again and "Stop all emails" not in again
    assert len(mailoutbox) == 1


def test_a_tampered_opt_out_token_is_a_404(ada, sequence, recruiter, client, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    token = OPT_OUT.search(mailoutbox[0].body).group(0).rstrip("/").rpartition("/")[2]
    value, _, signature = token.partition(":")
    forged = f"{enrollment.pk + 1}:{signature}"

    assert client.get(reverse("outreach:opt_out", args=[forged])).status_code == 404
    assert client.post(reverse("outreach:opt_out", args=[forged])).status_code == 404
    assert client.post(reverse("outreach:opt_out", args=["nonsense"])).status_code == 404
    ada.refresh_from_db()
    assert not ada.do_not_contact


def test_a_candidate_saved_do_not_contact_is_stopped_at_once(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    ada.do_not_contact = True
    ada.save(update_fields=["do_not_contact"])  # as the admin's form and an import save it

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The candidate is marked do-not-contact."
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_the_bulk_do_not_contact_action_stops_enrollments_at_once(
    ada, sequence, recruiter, recruiter_client, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)

    recruiter_client.post(
        reverse("admin:candidates_candidate_changelist"),
        {"action": "mark_do_not_contact_action", "_selected_action": [ada.pk]},
    )

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_a_do_not_contact_flag_set_behind_the_services_back_still_stops_at_send(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    type(ada).objects.filter(pk=ada.pk).update(do_not_contact=True)  # no signal: a raw update

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}

    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == "The candidate is marked do-not-contact."


def test_an_application_moved_past_contacted_stops_the_enrollment(
    ada, application, sequence, role, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    move_stage(application, role.stages.get(kind=Stage.Kind.SCREEN), by=recruiter)

    # At once, not at the next send: the page shows no step due that will never go.
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The application moved to Screen, past contacted."
    assert enrollment.next_send_at is None
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_an_application_lost_stops_its_enrollment_at_once(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)

    mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The application is lost."
    assert send_due_steps(WEDNESDAY_10_LA) == {}


def test_a_move_within_sourced_and_contacted_leaves_the_enrollment_going(
    ada, application, sequence, role, recruiter
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    move_stage(application, role.stages.get(kind=Stage.Kind.CONTACTED), by=recruiter)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_a_refused_address_is_a_bounce(ada, sequence, recruiter, smtp, monkeypatch):
    enrollment = enrolled(ada, sequence, recruiter)
    CandidateEmail.objects.filter(candidate=ada).update(email="nobody@example.org")

    import smtplib

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
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


def test_the_admin_action_says_which_enrollments_it_left_because_they_had_ended(
    ada, sequence, recruiter, recruiter_client
):
    enrollment = enrolled(ada, sequence, recruiter)
    opt_out(enrollment)

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": [enrollment.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "Marked 0 enrollment(s) as replied." in page
    assert "Left as they were, having ended already: Ada Lovelace (opted out)." in page


def test_a_run_whose_time_budget_is_spent_leaves_the_rest_for_the_next_run(
    ada, sequence, recruiter, mailoutbox
):
    enrolled(ada, sequence, recruiter)

    assert send_due_steps(WEDNESDAY_10_LA, budget=timedelta(0)) == {}
    assert mailoutbox == []
    assert send_due_steps(WEDNESDAY_10_LA, budget=timedelta(seconds=40)) == {"sent": 1}


def test_queries_grow_by_a_bounded_number_per_step_sent(sequence, recruiter, role, mailoutbox):
    """A run's queries: a fixed part, and a bounded part per step (38 here, with the test's
    savepoints), whatever else is in the database."""
    from django.db import connection
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
    assert per_step == int(per_step) and per_step <= 38
    assert one - per_step <= 3  # the run's own: the due ids
    assert len(mailoutbox) == 5


def test_a_reply_committed_after_the_job_read_the_enrollment_still_stops_the_email(
    ada, application, sequence, recruiter, mailoutbox
):
    from recruiting.outreach.services import _claim

    enrollment = enrolled(ada, sequence, recruiter, application)
    stale = Enrollment.objects.get(pk=enrollment.pk)  # as the job read it, due and active
    step = sequence.steps.get(position=1)
    mark_replied(enrollment, by=recruiter)  # the recruiter, in between

    assert _claim(stale, step, recruiter, WEDNESDAY_10_LA) == "skipped"
    assert not SentMessage.objects.exists()
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_an_application_moved_on_while_the_email_went_is_not_moved_back(
    ada, application, sequence, role, recruiter
):
    from django.core.mail.backends.locmem import EmailBackend

    class RecruiterMovesItMeanwhile(EmailBackend):
        def send_messages(self, messages):  # type: ignore[no-untyped-def]
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


def test_business_days_are_counted_in_the_candidates_timezone(sequence, recruiter, role):
    from zoneinfo import ZoneInfo

    auckland = ZoneInfo("Pacific/Auckland")
    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=auckland)  # Sunday 20:00 UTC
    assert add_business_days(monday_9, 0, auckland) == monday_9
    assert add_business_days(monday_9, 1, auckland) == datetime(2026, 12, 1, 9, 0, tzinfo=auckland)
    # In UTC it would have been Monday 20:00 UTC, Tuesday 09:00 in Auckland: a day late.
    assert add_business_days(monday_9, 0) == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)

    kiri = prospect(role=role, name="Kiri", owner=recruiter, timezone="Pacific/Auckland")
    first = Sequence.objects.create(name="Now")
    SequenceStep.objects.create(
        sequence=first, position=1, template=sequence.steps.first().template
    )
    enrollment = enroll(kiri, first, by=recruiter, now=monday_9)
    assert enrollment.next_send_at == monday_9  # due at once, on her Monday


def test_a_role_filled_meanwhile_stops_the_pitch_and_takes_no_one_new(
    ada, application, sequence, role, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    grace = prospect(role=role, name="Grace Hopper", owner=recruiter)
    role.status = Role.Status.FILLED
    role.save(update_fields=["status"])

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}
    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == "The role is filled."

    with pytest.raises(OutreachError) as raised:
        enroll(grace, sequence, by=recruiter)
    assert raised.value.message == (f"The role {role.title} is filled: there is nothing to pitch.")


def test_a_deleted_application_stops_a_sequence_that_names_the_role(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    application.delete()

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}

    assert mailoutbox == []  # no "Ada, in ?"
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == (
        "The step names the role, and there is no application to name."
    )


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
