"""When a step goes: inside the candidate's window, in their timezone (business days too),
after their company's pause, under the sender's daily cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from recruiting.outreach.models import Enrollment, Sequence, SequenceStep
from recruiting.outreach.services import add_business_days, enroll, send_due_steps
from tests.factories import CompanyFactory, CompanyPauseFactory, prospect
from tests.outreach.sending_helpers import WEDNESDAY_10_LA, enrolled

pytestmark = pytest.mark.django_db


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


def test_business_days_are_counted_in_the_candidates_timezone(sequence, recruiter, role):
    from zoneinfo import ZoneInfo

    auckland = ZoneInfo("Pacific/Auckland")
    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=auckland)  # Sunday 20:00 UTC
    assert add_business_days(monday_9, 0, auckland) == monday_9
    assert add_business_days(monday_9, 1, auckland) == datetime(2026, 12, 1, 9, 0, tzinfo=auckland)
    # In UTC it would have been Sunday there: Monday 00:00 UTC, Monday 13:00 in Auckland.
    assert add_business_days(monday_9, 0) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)

    kiri = prospect(role=role, name="Kiri", owner=recruiter, timezone="Pacific/Auckland")
    first = Sequence.objects.create(name="Now")
    SequenceStep.objects.create(
        sequence=first, position=1, template=sequence.steps.first().template
    )
    enrollment = enroll(kiri, first, by=recruiter, now=monday_9)
    assert enrollment.next_send_at == monday_9  # due at once, on her Monday


def test_enrolled_on_sunday_evening_the_first_step_goes_at_mondays_opening(
    sequence, recruiter, role
):
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    sunday_evening = datetime(2026, 12, 6, 20, 0, tzinfo=berlin)
    lena = prospect(role=role, name="Lena", owner=recruiter, timezone="Europe/Berlin")
    first = Sequence.objects.create(name="Now")
    SequenceStep.objects.create(
        sequence=first, position=1, template=sequence.steps.first().template
    )
    later = Sequence.objects.create(name="In two days")
    SequenceStep.objects.create(
        sequence=later,
        position=1,
        template=sequence.steps.first().template,
        delay_business_days=2,
    )

    now = enroll(lena, first, by=recruiter, now=sunday_evening)
    two_days = enroll(lena, later, by=recruiter, now=sunday_evening)

    # Not Monday 20:00 (past the window: Tuesday), but Monday at the window's opening.
    assert now.next_send_at == datetime(2026, 12, 7, 9, 0, tzinfo=berlin)
    assert two_days.next_send_at == datetime(2026, 12, 9, 9, 0, tzinfo=berlin)
