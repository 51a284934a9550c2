"""Every state change of outreach: enrolling candidates in sequences, stopping enrollments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from candidates.models import Candidate
from recruiting.pipeline.models import Application

from .models import Enrollment, Sequence


class OutreachError(ValidationError):
    """An outreach change that the rules refuse; the message names the rule."""


def add_business_days(moment: datetime, days: int) -> datetime:
    """`moment` moved `days` business days (Monday to Friday) on, at the same time of day.
    A moment on a weekend counts from the next Monday; 0 days from a weekend is that Monday."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def _refusal(candidate: Candidate, sequence: Sequence, application: Application | None) -> str:
    """Why this candidate cannot be enrolled in this sequence, or "" if they can."""
    if candidate.do_not_contact:
        return f"{candidate.name} is marked do-not-contact."
    if not candidate.emails.exists():
        return f"{candidate.name} has no email address."
    if application is not None and application.candidate_id != candidate.pk:
        return f"The application {application} is not {candidate.name}'s."
    if Enrollment.objects.filter(
        candidate=candidate, sequence=sequence, status=Enrollment.Status.ACTIVE
    ).exists():
        return f"{candidate.name} is already enrolled in {sequence}."
    return ""


def _check_sequence(sequence: Sequence) -> int:
    """The first step's delay; raises if the sequence cannot take enrollments."""
    if not sequence.active:
        raise OutreachError(f"The sequence {sequence} is not active.")
    first = sequence.steps.order_by("position").first()
    if first is None:
        raise OutreachError(f"The sequence {sequence} has no steps.")
    return first.delay_business_days


def _create(
    candidate: Candidate,
    sequence: Sequence,
    *,
    delay: int,
    by: AbstractBaseUser | None,
    application: Application | None,
    now: datetime,
) -> Enrollment:
    try:
        # A savepoint: a concurrent enrollment that wins the unique constraint is the same
        # refusal as one found by the check, not a broken transaction.
        with transaction.atomic():
            return Enrollment.objects.create(
                candidate=candidate,
                sequence=sequence,
                application=application,
                enrolled_by=by,
                enrolled_at=now,
                status=Enrollment.Status.ACTIVE,
                next_position=1,
                next_send_at=add_business_days(now, delay),
            )
    except IntegrityError:
        raise OutreachError(f"{candidate.name} is already enrolled in {sequence}.") from None


@transaction.atomic
def enroll(
    candidate: Candidate,
    sequence: Sequence,
    *,
    by: AbstractBaseUser | None,
    application: Application | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """Enrolls one candidate; the first step is due after its delay in business days."""
    now = now or timezone.now()
    delay = _check_sequence(sequence)
    refusal = _refusal(candidate, sequence, application)
    if refusal:
        raise OutreachError(refusal)
    return _create(candidate, sequence, delay=delay, by=by, application=application, now=now)


@transaction.atomic
def enroll_many(
    candidates: Iterable[Candidate],
    sequence: Sequence,
    *,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> list[Enrollment]:
    """Enrolls every candidate, or none: one error lists each candidate refused and why."""
    now = now or timezone.now()
    delay = _check_sequence(sequence)
    candidates = list(candidates)
    refusals = [r for r in (_refusal(c, sequence, None) for c in candidates) if r]
    if refusals:
        raise OutreachError(f"Nobody was enrolled. {' '.join(refusals)}")
    return [_create(c, sequence, delay=delay, by=by, application=None, now=now) for c in candidates]


@transaction.atomic
def stop_enrollment(
    enrollment: Enrollment,
    *,
    reason: str,
    status: str = Enrollment.Status.STOPPED,
    now: datetime | None = None,
) -> Enrollment:
    """Ends an active enrollment (replied, opted out, bounced, stopped); nothing is sent after."""
    if status in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED) or (
        status not in Enrollment.Status.values
    ):
        raise OutreachError(f"An enrollment cannot be stopped as “{status}”.")
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise OutreachError(
            f"This enrollment is already {enrollment.get_status_display().lower()}."
        )
    enrollment.status = status
    enrollment.stopped_reason = reason
    enrollment.stopped_at = now or timezone.now()
    enrollment.next_send_at = None
    enrollment.save(update_fields=["status", "stopped_reason", "stopped_at", "next_send_at"])
    return enrollment
