"""Merging two records of one person who are both enrolled in a sequence."""

from __future__ import annotations

import pytest

from recruiting.outreach.models import Enrollment, Sequence, SequenceStep
from recruiting.outreach.services import enroll
from recruiting.pipeline.services import merge_candidates
from tests.factories import prospect

pytestmark = pytest.mark.django_db


def test_merging_two_records_in_one_sequence_keeps_the_enrollment_further_along(
    sequence, recruiter
):
    keep = prospect(name="Ada Lovelace")
    duplicate = prospect(name="Ada King")
    mine = enroll(keep, sequence, by=recruiter)
    theirs = enroll(duplicate, sequence, by=recruiter)
    Enrollment.objects.filter(pk=theirs.pk).update(next_position=2)  # step 1 went out

    merge_candidates(keep, duplicate, by=recruiter)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert theirs.candidate == keep and theirs.status == Enrollment.Status.ACTIVE
    assert mine.status == Enrollment.Status.STOPPED
    assert mine.stopped_reason == (
        "Merged: Ada Lovelace was in this sequence under both records; the enrollment further "
        "along goes on."
    )
    assert mine.next_send_at is None
    assert keep.enrollments.filter(status=Enrollment.Status.ACTIVE).count() == 1


def test_on_a_tie_the_kept_records_enrollment_goes_on(sequence, recruiter):
    keep = prospect(name="Ada Lovelace")
    duplicate = prospect(name="Ada King")
    theirs = enroll(duplicate, sequence, by=recruiter)
    mine = enroll(keep, sequence, by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Enrollment.Status.ACTIVE
    assert theirs.status == Enrollment.Status.STOPPED and theirs.candidate == keep


def test_enrollments_in_different_sequences_all_go_on(sequence, template, recruiter):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    keep = prospect(name="Ada Lovelace")
    duplicate = prospect(name="Ada King")
    enroll(keep, sequence, by=recruiter)
    enroll(duplicate, other, by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    active = keep.enrollments.filter(status=Enrollment.Status.ACTIVE)
    assert sorted(active.values_list("sequence__name", flat=True)) == ["Engineers", "Researchers"]


def test_a_reply_under_one_record_stops_the_others_enrollments_in_the_merge(
    sequence, template, recruiter
):
    keep = prospect(name="Ada Lovelace")
    duplicate = prospect(name="Ada King")
    replied = enroll(keep, sequence, by=recruiter)
    Enrollment.objects.filter(pk=replied.pk).update(status=Enrollment.Status.REPLIED)
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    same = enroll(duplicate, sequence, by=recruiter)
    elsewhere = enroll(duplicate, other, by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    for enrollment in (same, elsewhere):
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.STOPPED
        assert enrollment.stopped_reason == (
            "Merged: Ada Lovelace replied or opted out under one of the two records."
        )
    assert not keep.enrollments.filter(status=Enrollment.Status.ACTIVE).exists()


def test_a_sequence_one_record_went_through_is_not_sent_again_to_the_other(sequence, recruiter):
    keep = prospect(name="Ada Lovelace")
    duplicate = prospect(name="Ada King")
    done = enroll(keep, sequence, by=recruiter)
    Enrollment.objects.filter(pk=done.pk).update(status=Enrollment.Status.COMPLETED)
    again = enroll(duplicate, sequence, by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    again.refresh_from_db()
    assert again.status == Enrollment.Status.STOPPED
    assert "went through this sequence under the other record" in again.stopped_reason
