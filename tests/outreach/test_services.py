"""Sequences and enrollments: steps' delays, enrolling (all or none), business days."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from candidates.models import CandidateEmail
from recruiting.outreach.models import (
    AddressBounce,
    Enrollment,
    MessageTemplate,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import (
    OutreachError,
    add_business_days,
    enroll,
    enroll_many,
    stop_enrollment,
)
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import mark_lost, move_stage
from tests.factories import ApplicationFactory, CandidateFactory, prospect

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
A_STEP = "A step's delay is 0 or more business days."


# --- Business days ---------------------------------------------------------------------------


def test_business_days_skip_the_weekend():
    assert add_business_days(FRIDAY, 0) == FRIDAY
    assert add_business_days(FRIDAY, 1) == MONDAY
    assert add_business_days(FRIDAY, 2) == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert add_business_days(FRIDAY, 5) == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert add_business_days(FRIDAY, 6) == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_from_a_weekend_business_days_count_from_the_start_of_monday():
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert add_business_days(saturday, 0) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert add_business_days(saturday, 1) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


# --- Steps -----------------------------------------------------------------------------------


def test_a_negative_delay_is_refused_by_clean_with_the_rule(template):
    step = SequenceStep(
        sequence=Sequence.objects.create(name="S"),
        position=1,
        template=template,
        delay_business_days=-1,
    )
    with pytest.raises(ValidationError) as raised:
        step.full_clean()
    assert raised.value.message_dict == {"delay_business_days": [A_STEP]}


def test_a_negative_delay_is_refused_by_the_database(template):
    sequence = Sequence.objects.create(name="S")
    with pytest.raises(IntegrityError), transaction.atomic():
        SequenceStep.objects.create(
            sequence=sequence, position=1, template=template, delay_business_days=-1
        )
    assert not SequenceStep.objects.exists()


# --- Enrolling -------------------------------------------------------------------------------


def test_enrolling_sets_the_first_step_due_after_its_delay(sequence, recruiter):
    candidate = prospect()
    application = ApplicationFactory(candidate=candidate)

    enrollment = enroll(candidate, sequence, by=recruiter, application=application, now=FRIDAY)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.next_position == 1
    # Tuesday 09:30 UTC is 01:30 in Los Angeles: due when their window opens there.
    assert enrollment.next_send_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert enrollment.enrolled_by == recruiter
    assert enrollment.enrolled_at == FRIDAY
    assert enrollment.application == application


def test_a_do_not_contact_candidate_is_refused(sequence, recruiter):
    candidate = prospect(name="Ada Lovelace", do_not_contact=True)
    with pytest.raises(OutreachError, match="Ada Lovelace is marked do-not-contact"):
        enroll(candidate, sequence, by=recruiter)
    assert not Enrollment.objects.exists()


def test_a_candidate_without_an_email_is_refused(sequence, recruiter):
    candidate = prospect(name="Ada Lovelace")
    CandidateEmail.objects.filter(candidate=candidate).delete()
    with pytest.raises(OutreachError, match="Ada Lovelace has no email address"):
        enroll(candidate, sequence, by=recruiter)
    assert not Enrollment.objects.exists()


def test_a_candidate_whose_every_address_bounces_is_refused_alone_or_among_many(
    sequence, recruiter
):
    ada = prospect(name="Ada Lovelace")
    grace = prospect(name="Grace Hopper")
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    AddressBounce.objects.create(
        address=CandidateEmail.objects.get(candidate=ada),
        status=AddressBounce.Status.HARD,
        first_bounced_at=moment,
        last_bounced_at=moment,
    )
    refusal = "Every email address of Ada Lovelace bounces (read from the mailbox)"

    with pytest.raises(OutreachError, match=re.escape(refusal)):
        enroll(ada, sequence, by=recruiter)
    with pytest.raises(OutreachError) as raised:
        enroll_many([ada, grace], sequence, by=recruiter)
    assert refusal in raised.value.message
    assert not Enrollment.objects.exists()

    CandidateEmail.objects.create(candidate=ada, email="ada@new.example")  # corrected
    assert enroll(ada, sequence, by=recruiter).is_active


def test_a_candidate_already_enrolled_is_refused_until_stopped(sequence, recruiter):
    candidate = prospect(name="Ada Lovelace")
    first = enroll(candidate, sequence, by=recruiter)

    with pytest.raises(OutreachError, match="Ada Lovelace is already enrolled in Researchers"):
        enroll(candidate, sequence, by=recruiter)
    assert Enrollment.objects.count() == 1

    stop_enrollment(first, reason="Replied: not now", status=Enrollment.Status.REPLIED)
    enroll(candidate, sequence, by=recruiter)
    assert list(Enrollment.objects.values_list("status", flat=True).order_by("id")) == [
        "replied",
        "active",
    ]


def test_the_database_holds_one_active_enrollment_per_sequence(sequence, recruiter):
    candidate = prospect()
    enroll(candidate, sequence, by=recruiter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(candidate=candidate, sequence=sequence, enrolled_at=FRIDAY)


def test_an_inactive_sequence_or_one_without_steps_is_refused(sequence, recruiter):
    candidate = prospect()
    sequence.active = False
    sequence.save()
    with pytest.raises(OutreachError, match="Researchers is not active"):
        enroll(candidate, sequence, by=recruiter)

    empty = Sequence.objects.create(name="Empty")
    with pytest.raises(OutreachError, match="Empty has no steps"):
        enroll(candidate, empty, by=recruiter)
    assert not Enrollment.objects.exists()


def test_an_application_of_another_candidate_is_refused(sequence, recruiter):
    candidate = prospect(name="Ada Lovelace")
    other = ApplicationFactory()
    with pytest.raises(OutreachError, match="is not Ada Lovelace's"):
        enroll(candidate, sequence, by=recruiter, application=other)
    assert not Enrollment.objects.exists()


def test_enrolling_many_is_all_or_none(sequence, recruiter):
    ada = prospect(name="Ada Lovelace")
    grace = prospect(name="Grace Hopper", do_not_contact=True)
    alan = prospect(name="Alan Turing")
    CandidateEmail.objects.filter(candidate=alan).delete()
    barbara = prospect(name="Barbara Liskov")

    with pytest.raises(OutreachError) as raised:
        enroll_many([ada, grace, alan, barbara], sequence, by=recruiter)

    assert raised.value.message == (
        "Nobody was enrolled. Grace Hopper is marked do-not-contact. "
        "Alan Turing has no email address."
    )
    assert not Enrollment.objects.exists()

    enrolled = enroll_many([ada, barbara], sequence, by=recruiter, now=MONDAY)
    assert {e.candidate for e in enrolled} == {ada, barbara}
    # Two business days on, at the opening of their window (09:00 in Los Angeles).
    assert {e.next_send_at for e in enrolled} == {datetime(2026, 12, 2, 17, 0, tzinfo=UTC)}
    # Each is about the candidate's open application: its role fills the emails' variables.
    assert {e.application for e in enrolled} == {ada.applications.get(), barbara.applications.get()}


def test_a_stopped_enrollment_cannot_be_stopped_again(sequence, recruiter):
    enrollment = enroll(prospect(), sequence, by=recruiter)
    stopped = stop_enrollment(enrollment, reason="Bounced", status=Enrollment.Status.BOUNCED)
    assert stopped.next_send_at is None
    with pytest.raises(OutreachError, match="already bounced"):
        stop_enrollment(enrollment, reason="again", status=Enrollment.Status.STOPPED)


def test_a_candidate_in_no_pipeline_is_refused_a_sequence_that_names_the_role(sequence, recruiter):
    loner = CandidateFactory(name="Ada Lovelace")

    with pytest.raises(OutreachError) as raised:
        enroll_many([loner], sequence, by=recruiter)

    assert raised.value.message == (
        "Nobody was enrolled. Ada Lovelace has no open application, and the sequence's emails "
        "name the role: add them to a role's pipeline first."
    )
    assert not Enrollment.objects.exists()


def test_a_sequence_that_does_not_name_the_role_takes_anyone(recruiter):
    plain = MessageTemplate.objects.create(
        name="Coffee", subject="Coffee, {{ candidate.first_name }}?", body_text="{{ sender.name }}"
    )
    coffee = Sequence.objects.create(name="Coffee chats")
    SequenceStep.objects.create(sequence=coffee, position=1, template=plain)
    loner = CandidateFactory(name="Ada Lovelace")

    [enrollment] = enroll_many([loner], coffee, by=recruiter)

    assert enrollment.candidate == loner and enrollment.application is None


def test_an_application_that_is_closed_is_refused(sequence, recruiter):
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"))
    mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)
    application.refresh_from_db()

    with pytest.raises(OutreachError) as raised:
        enroll(application.candidate, sequence, by=recruiter, application=application)

    assert raised.value.message == (
        f"Ada Lovelace's application to {application.role.title} is lost; enroll from an open one."
    )
    assert not Enrollment.objects.exists()


def test_enrolling_many_takes_as_many_queries_for_eight_candidates_as_for_two(sequence, recruiter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> int:
        people = [prospect() for _ in range(n)]
        with CaptureQueriesContext(connection) as captured:
            assert len(enroll_many(people, sequence, by=recruiter)) == n
        return len(captured)

    assert queries(2) == queries(8)


def test_an_application_past_contacted_is_refused_and_an_earlier_one_is_preferred(
    sequence, recruiter
):
    ada = CandidateFactory(name="Ada Lovelace")
    screened = ApplicationFactory(candidate=ada)
    move_stage(screened, screened.role.stages.get(kind="screen"), by=recruiter)
    screened.refresh_from_db()

    with pytest.raises(OutreachError) as raised:
        enroll(ada, sequence, by=recruiter, application=screened)
    assert raised.value.message == (
        f"Ada Lovelace's application to {screened.role.title} is at Screen, past Contacted: "
        "a sequence is for people we have not heard from yet."
    )
    with pytest.raises(OutreachError):
        enroll_many([ada], sequence, by=recruiter)  # her only open application is past it
    assert not Enrollment.objects.exists()

    # Sourced in another role, though moved longer ago: that one is what outreach is about.
    sourced = ApplicationFactory(candidate=ada)
    Application.objects.filter(pk=sourced.pk).update(
        stage_entered_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    [enrollment] = enroll_many([ada], sequence, by=recruiter)
    assert enrollment.application == sourced
