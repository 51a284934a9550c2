"""Every state change of outreach: enrolling candidates in sequences, sending their steps,
stopping enrollments (a reply, an opt-out, a bounce, a rule).

Sending follows the alerts' pattern (docs/architecture.md, "How an alert travels"): a step is
claimed by inserting its SentMessage row, whose unique (enrollment, step) lets only one run send
it; the email goes out over SMTP outside any transaction; then the row is marked and the
enrollment advanced. A worker that dies mid-send leaves the row claimed, and the step is not
sent again (it may have gone): at most once, never twice.
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import formataddr, make_msgid
from enum import StrEnum
from time import monotonic
from typing import Any, cast
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import Exists, F, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from candidates.models import Candidate, CandidateEmail, CompanyPause
from recruiting.lib.mail import close_quietly, shared_smtp_connection
from recruiting.pipeline.models import Activity, Application, Role, Stage
from recruiting.pipeline.services import (
    PipelineError,
    log_activities,
    log_activity,
    move_stage,
    move_stages_from,
)

from .models import AddressBounce, Enrollment, SentMessage, Sequence, SequenceStep
from .rendering import render_message, uses_role


class StepOutcome(StrEnum):
    """What became of one run's attempt at an enrollment's next step."""

    SENT = "sent"
    DEFERRED = "deferred"  # outside the window, in a pause, over the sender's daily cap
    STOPPED = "stopped"  # a rule stopped the enrollment (do-not-contact, no application...)
    COMPLETED = "completed"  # no step left
    SKIPPED = "skipped"  # not due, or claimed (or sent) by another run
    RETRY = "retry"  # the SMTP server failed; tried again later
    FAILED = "failed"  # refused (a bounce), or too many attempts


log = logging.getLogger(__name__)


class OutreachError(ValidationError):
    """An outreach change that the rules refuse; the message names the rule."""


def add_business_days(
    moment: datetime, days: int, zone: zoneinfo.ZoneInfo | None = None
) -> datetime:
    """`moment` moved `days` business days (Monday to Friday) on, at the same time of day, the
    days counted in `zone` (the candidate's; UTC if none): Monday in Auckland is Sunday in UTC.
    A moment on a weekend counts from the start of the next Monday (0 days from a weekend is
    Monday at midnight, so that a first step enrolled on Sunday evening goes at Monday's
    opening, not at Monday evening's, which is past the window: Tuesday)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    moment = moment.astimezone(zone or zoneinfo.ZoneInfo("UTC"))
    if moment.weekday() >= 5:
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def _deliverable(emails: QuerySet[CandidateEmail]) -> QuerySet[CandidateEmail]:
    """The addresses that do not bounce hard (a bounce read from the mailbox)."""
    return emails.exclude(bounce__status=AddressBounce.Status.HARD)


def _refusal(
    candidate: Candidate,
    sequence: Sequence,
    application: Application | None,
    *,
    has_email: bool | None = None,
    enrolled: bool | None = None,
    needs_role: bool = False,
) -> str:
    """Why this candidate cannot be enrolled in this sequence, or "" if they can. `has_email`
    and `enrolled`, when given, were read for many candidates at once (enroll_many)."""
    if candidate.do_not_contact:
        return f"{candidate.name} is marked do-not-contact."
    if has_email is None:
        has_email = _deliverable(CandidateEmail.objects.filter(candidate=candidate)).exists()
    if not has_email:
        if candidate.emails.exists():
            return (
                f"Every email address of {candidate.name} bounces (read from the mailbox): "
                "correct it on their record first."
            )
        return f"{candidate.name} has no email address."
    if application is not None and application.candidate_id != candidate.pk:
        return f"The application {application} is not {candidate.name}'s."
    if application is not None and application.is_closed:
        return (
            f"{candidate.name}'s application to {application.role.title} is "
            f"{application.get_status_display().lower()}; enroll from an open one."
        )
    if application is not None and application.role.status != Role.Status.OPEN:
        return (
            f"The role {application.role.title} is "
            f"{application.role.get_status_display().lower()}: there is nothing to pitch."
        )
    if application is not None and not application.is_closed and past_contacted(application):
        return (
            f"{candidate.name}'s application to {application.role.title} is at "
            f"{application.stage.name}, past Contacted: a sequence is for people we have not "
            "heard from yet."
        )
    if application is None and needs_role:
        return (
            f"{candidate.name} has no open application, and the sequence's emails name the "
            "role: add them to a role's pipeline first."
        )
    if enrolled is None:
        enrolled = Enrollment.objects.filter(
            candidate=candidate, sequence=sequence, status=Enrollment.Status.ACTIVE
        ).exists()
    if enrolled:
        return _already_enrolled(candidate, sequence)
    return ""


def _already_enrolled(candidate: Candidate, sequence: Sequence) -> str:
    return f"{candidate.name} is already enrolled in {sequence}."


def _check_sequence(sequence: Sequence) -> tuple[int, bool]:
    """The first step's delay, and whether any step's email names the role; raises if the
    sequence cannot take enrollments."""
    if not sequence.active:
        raise OutreachError(f"The sequence {sequence} is not active.")
    steps = list(sequence.steps.select_related("template").order_by("position"))
    if not steps:
        raise OutreachError(f"The sequence {sequence} has no steps.")
    return steps[0].delay_business_days, any(uses_role(step.template) for step in steps)


def _open_applications(candidate_ids: list[int]) -> dict[int, Application]:
    """The open application an enrollment made outside an application page is about (its role
    fills the emails' role variables): of each candidate's, the one that moved last among those
    not past Contacted, else the one that moved last (which _refusal then refuses). Two
    queries, whatever the number of candidates."""
    applications = list(
        Application.objects.filter(candidate_id__in=candidate_ids, status=Application.Status.OPEN)
        .select_related("role__hiring_manager", "stage")
        .order_by("candidate_id", "-stage_entered_at", "-id")
    )
    contacted = dict(
        Stage.objects.filter(
            role_id__in={a.role_id for a in applications}, kind=Stage.Kind.CONTACTED
        )
        .values_list("role_id")
        .annotate(position=Min("position"))
        .values_list("role_id", "position")
    )
    chosen: dict[int, Application] = {}
    for application in applications:
        application.contacted_position = contacted.get(application.role_id)
        current = chosen.get(application.candidate_id)
        if current is None or (past_contacted(current) and not past_contacted(application)):
            chosen[application.candidate_id] = application
    return chosen


def application_for(candidate: Candidate) -> Application | None:
    """The application an enrollment of the candidate, made without naming one, is about."""
    return _open_applications([candidate.pk]).get(candidate.pk)


def past_contacted(application: Application) -> bool:
    """Whether the application has moved beyond its role's Contacted stage (beyond Sourced, for
    a pipeline without one): outreach has nothing more to say to such a candidate."""
    if hasattr(application, "contacted_position"):
        position = application.contacted_position
    else:
        contacted = _contacted_stage(application)
        position = contacted.position if contacted is not None else None
    if position is None:
        return application.stage.kind != Stage.Kind.SOURCED
    return application.stage.position > position


def _new_enrollment(
    candidate: Candidate,
    sequence: Sequence,
    *,
    delay: int,
    by: User | None,
    application: Application | None,
    now: datetime,
) -> Enrollment:
    return Enrollment(
        candidate=candidate,
        sequence=sequence,
        application=application,
        enrolled_by=by,
        enrolled_at=now,
        status=Enrollment.Status.ACTIVE,
        next_position=1,
        # At the window's opening in the candidate's timezone (a pause is seen at sending).
        next_send_at=next_window_moment(
            add_business_days(now, delay, _zone(candidate)), _zone(candidate)
        ),
    )


def _create(
    candidate: Candidate,
    sequence: Sequence,
    *,
    delay: int,
    by: User | None,
    application: Application | None,
    now: datetime,
) -> Enrollment:
    enrollment = _new_enrollment(
        candidate, sequence, delay=delay, by=by, application=application, now=now
    )
    try:
        # A savepoint: a concurrent enrollment that wins the unique constraint is the same
        # refusal as one found by the check, not a broken transaction.
        with transaction.atomic():
            enrollment.save(force_insert=True)
            return enrollment
    except IntegrityError:
        raise OutreachError(_already_enrolled(candidate, sequence)) from None


@transaction.atomic
def enroll(
    candidate: Candidate,
    sequence: Sequence,
    *,
    by: User | None,
    application: Application | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """Enrolls one candidate; the first step is due after its delay in business days, at their
    window's opening. Without an application, it is about application_for(candidate)."""
    now = now or timezone.now()
    delay, needs_role = _check_sequence(sequence)
    if application is None:
        application = application_for(candidate)
    refusal = _refusal(candidate, sequence, application, needs_role=needs_role)
    if refusal:
        raise OutreachError(refusal)
    return _create(candidate, sequence, delay=delay, by=by, application=application, now=now)


@transaction.atomic
def enroll_many(
    candidates: Iterable[Candidate],
    sequence: Sequence,
    *,
    by: User | None,
    now: datetime | None = None,
) -> list[Enrollment]:
    """Enrolls every candidate, or none: one error lists each candidate refused and why."""
    now = now or timezone.now()
    delay, needs_role = _check_sequence(sequence)
    candidates = list(candidates)
    # Set-based: two reads and one insert per 1,000 candidates, whatever their number (the
    # admin's action may carry thousands).
    ids = [c.pk for c in candidates]
    with_email = set(
        _deliverable(CandidateEmail.objects.filter(candidate_id__in=ids)).values_list(
            "candidate_id", flat=True
        )
    )
    enrolled = set(
        Enrollment.objects.filter(
            candidate_id__in=ids, sequence=sequence, status=Enrollment.Status.ACTIVE
        ).values_list("candidate_id", flat=True)
    )
    applications = _open_applications(ids)
    refusals = []
    for candidate in candidates:
        refusal = _refusal(
            candidate,
            sequence,
            applications.get(candidate.pk),
            has_email=candidate.pk in with_email,
            enrolled=candidate.pk in enrolled,
            needs_role=needs_role,
        )
        if refusal:
            refusals.append(refusal)
        enrolled.add(candidate.pk)  # the same candidate twice: the second is enrolled already
    if refusals:
        raise OutreachError(f"Nobody was enrolled. {' '.join(refusals)}")
    try:
        with transaction.atomic():  # a savepoint, as in _create
            return Enrollment.objects.bulk_create(
                (
                    _new_enrollment(
                        c,
                        sequence,
                        delay=delay,
                        by=by,
                        application=applications.get(c.pk),
                        now=now,
                    )
                    for c in candidates
                ),
                batch_size=1000,
            )
    except IntegrityError:
        taken = set(
            Enrollment.objects.filter(
                candidate_id__in=ids, sequence=sequence, status=Enrollment.Status.ACTIVE
            ).values_list("candidate_id", flat=True)
        )
        if not taken:
            raise
        refusals = [_already_enrolled(c, sequence) for c in candidates if c.pk in taken]
        raise OutreachError(f"Nobody was enrolled. {' '.join(refusals)}") from None


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


def _stop_all(candidate: Candidate, *, status: str, reason: str, now: datetime) -> int:
    """Stops every active enrollment of the candidate; returns how many."""
    return Enrollment.objects.filter(candidate=candidate, status=Enrollment.Status.ACTIVE).update(
        status=status, stopped_reason=reason, stopped_at=now, next_send_at=None
    )


def settle_merge(keep: Candidate, duplicate: Candidate, **kwargs: object) -> int:
    """Before `duplicate` is merged into `keep`, so that the person gets each step once and a
    reply or an opt-out under either record holds for both:
    - if either record replied or opted out anywhere, every active enrollment of both stops;
    - in a sequence either record went through (completed, or bounced), the other's stops;
    - where both are active in a sequence, the one further along (`keep`'s on a tie) goes on.
    Returns how many stopped. Connected to candidates_merging."""
    now = timezone.now()
    both = Enrollment.objects.filter(candidate__in=[keep, duplicate])
    active = both.filter(status=Enrollment.Status.ACTIVE).select_for_update()

    def stop(enrollments: QuerySet[Enrollment], why: str) -> int:
        return enrollments.update(
            status=Enrollment.Status.STOPPED,
            stopped_reason=f"Merged: {keep.name} {why}",
            stopped_at=now,
            next_send_at=None,
        )

    if both.filter(status__in=[Enrollment.Status.REPLIED, Enrollment.Status.OPTED_OUT]).exists():
        return stop(active, "replied or opted out under one of the two records.")
    finished = both.filter(status__in=[Enrollment.Status.COMPLETED, Enrollment.Status.BOUNCED])
    stopped = stop(
        active.filter(sequence_id__in=finished.values("sequence_id")),
        "went through this sequence under the other record.",
    )
    going_on: dict[int, Enrollment] = {}
    for enrollment in active.order_by("sequence_id", "-next_position", "id"):
        first = going_on.setdefault(enrollment.sequence_id, enrollment)
        if first is enrollment:
            continue
        if first.candidate_id != keep.pk and first.next_position == enrollment.next_position:
            first, enrollment = enrollment, first  # a tie: keep's record goes on
            going_on[enrollment.sequence_id] = first
        stopped += stop(
            Enrollment.objects.filter(pk=enrollment.pk),
            "was in this sequence under both records; the enrollment further along goes on.",
        )
    return stopped


@transaction.atomic
def mark_replied(enrollment: Enrollment, *, by: User | None, now: datetime | None = None) -> int:
    """The candidate replied: every active enrollment of theirs stops (a person who is talking
    to us gets no more automated follow-ups). A completed enrollment may be marked too: most
    replies answer the last email. Returns how many enrollments were marked."""
    now = now or timezone.now()
    enrollment = Enrollment.objects.select_related("candidate", "sequence").get(pk=enrollment.pk)
    if enrollment.status not in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED):
        raise OutreachError(
            f"This enrollment is already {enrollment.get_status_display().lower()}."
        )
    who = (by.get_full_name() or by.get_username()) if by is not None else "someone"
    stopped = _stop_for_reply(enrollment, reason=f"Replied (marked by {who}).", now=now)
    log_activity(
        enrollment.candidate,
        kind=Activity.Kind.EMAIL,
        summary=f"Replied to the outreach sequence {enrollment.sequence}"[:200],
        by=by,
        application=enrollment.application,
        occurred_at=now,
    )
    _move_to_replied(enrollment.application, by=by)
    return stopped


def _stop_for_reply(enrollment: Enrollment, *, reason: str, now: datetime) -> int:
    """A reply's stop, whoever noticed it: every active enrollment of the candidate, in one
    UPDATE that a claim's row lock orders, and this one too if it had completed (most replies
    answer the last email). Returns how many enrollments were marked."""
    stopped = _stop_all(
        enrollment.candidate, status=Enrollment.Status.REPLIED, reason=reason, now=now
    )
    if enrollment.status == Enrollment.Status.COMPLETED:
        stopped += Enrollment.objects.filter(
            pk=enrollment.pk, status=Enrollment.Status.COMPLETED
        ).update(status=Enrollment.Status.REPLIED, stopped_reason=reason, stopped_at=now)
    return stopped


def _move_to_replied(application: Application | None, *, by: User | None) -> None:
    """An application still in Sourced or Contacted moves to the role's Replied stage."""
    if application is None:
        return
    application = Application.objects.select_related("stage").get(pk=application.pk)
    if application.is_closed or application.stage.kind not in (
        Stage.Kind.SOURCED,
        Stage.Kind.CONTACTED,
    ):
        return
    replied = application.role.stages.filter(kind=Stage.Kind.REPLIED).order_by("position").first()
    if replied is not None:
        move_stage(application, replied, by=by)


def stop_for_do_not_contact(candidate_ids: list[int], **kwargs: object) -> int:
    """Candidates marked do-not-contact: their active enrollments stop at once (the sending job
    would stop them too, but the page should not show a step due that will never go).
    Connected to do_not_contact_marked and to Candidate's post_save. Returns how many."""
    return Enrollment.objects.filter(
        candidate_id__in=candidate_ids, status=Enrollment.Status.ACTIVE
    ).update(
        status=Enrollment.Status.STOPPED,
        stopped_reason="The candidate is marked do-not-contact.",
        stopped_at=timezone.now(),
        next_send_at=None,
    )


def stop_for_application(application: Application, **kwargs: object) -> int:
    """After a stage change: the enrollments about an application that closed or moved past
    Contacted stop at once (the sending job would stop them too, but the page should not show
    a step due that will never go). Connected to application_moved. Returns how many."""
    active = Enrollment.objects.filter(application=application, status=Enrollment.Status.ACTIVE)
    # Most moves concern no enrollment: one query says so, before the stage rule's own (unless
    # the application carries its Contacted stage's position, as the sending job's do).
    if not hasattr(application, "contacted_position") and not active.exists():
        return 0
    if application.is_closed:
        reason = f"The application is {application.get_status_display().lower()}."
    elif past_contacted(application):
        reason = f"The application moved to {application.stage.name}, past contacted."
    else:
        return 0
    return active.update(
        status=Enrollment.Status.STOPPED,
        stopped_reason=reason,
        stopped_at=timezone.now(),
        next_send_at=None,
    )


# --- Opting out ------------------------------------------------------------------------------

OPT_OUT_SALT = "outreach.opt_out"


def opt_out_token(enrollment: Enrollment) -> str:
    return signing.TimestampSigner(salt=OPT_OUT_SALT).sign(str(enrollment.pk))


def enrollment_for_token(token: str) -> Enrollment | None:
    """The enrollment a signed opt-out token names, or None for a bad or tampered token. The
    token does not expire: an opt-out link must work however old the email is."""
    try:
        value = signing.TimestampSigner(salt=OPT_OUT_SALT).unsign(token)
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return Enrollment.objects.select_related("candidate").filter(pk=int(value)).first()


def opt_out_url(enrollment: Enrollment) -> str:
    path = reverse("outreach:opt_out", args=[opt_out_token(enrollment)])
    return settings.SITE_URL.rstrip("/") + path


UNSUBSCRIBE_SUBJECT = "unsubscribe"


def unsubscribe_headers(enrollment: Enrollment, sender_email: str) -> dict[str, str]:
    """The headers mail clients turn into an "Unsubscribe" button (RFC 2369, RFC 8058): the
    signed link, which takes a one-click POST without a form, and a mailto to the sender whose
    subject carries the same token (the mailbox reader opts them out on it)."""
    token = opt_out_token(enrollment)
    mailto = f"mailto:{sender_email}?subject={quote(f'{UNSUBSCRIBE_SUBJECT} {token}')}"
    return {
        "List-Unsubscribe": f"<{opt_out_url(enrollment)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def enrollment_for_unsubscribe_subject(subject: str) -> Enrollment | None:
    """The enrollment an emailed unsubscribe names ("unsubscribe <token>", any case, as a
    reply may prefix "Re:"), or None."""
    words = subject.split()
    for i, word in enumerate(words[:-1]):
        if word.lower() == UNSUBSCRIBE_SUBJECT:
            return enrollment_for_token(words[i + 1])
    return None


@transaction.atomic
def opt_out(enrollment: Enrollment, *, now: datetime | None = None) -> int:
    """The candidate asked for no more email: every active enrollment of theirs stops as opted
    out, and they become do-not-contact. Returns how many enrollments stopped. Idempotent: a
    second click changes nothing."""
    now = now or timezone.now()
    candidate = Candidate.objects.select_for_update().get(pk=enrollment.candidate_id)
    stopped = _stop_all(
        candidate,
        status=Enrollment.Status.OPTED_OUT,
        reason="Opted out through the link in an email.",
        now=now,
    )
    if not candidate.do_not_contact:
        candidate.do_not_contact = True
        candidate.save(update_fields=["do_not_contact"])
    return stopped


# --- When a step may go out --------------------------------------------------------------------


def _zone(candidate: Candidate) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(candidate.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _window() -> tuple[frozenset[int], time, time]:
    window = settings.OUTREACH_WINDOW
    return (
        frozenset(int(day) for day in window["weekdays"]),
        time.fromisoformat(window["start"]),
        time.fromisoformat(window["end"]),
    )


def next_window_moment(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """`moment` if it falls in the sending window in `zone`, else the window's next opening."""
    weekdays, start, end = _window()
    local = moment.astimezone(zone)
    if local.weekday() in weekdays and start <= local.time() < end:
        return moment
    day = local.date()
    if local.weekday() not in weekdays or local.time() >= end:
        day += timedelta(days=1)
    for _ in range(8):
        if day.weekday() in weekdays:
            return datetime.combine(day, start, tzinfo=zone)
        day += timedelta(days=1)
    raise ValueError("OUTREACH_WINDOW has no weekdays")


def next_sending_moment(
    enrollment: Enrollment, now: datetime, *, pauses: list[tuple[date, date]] | None = None
) -> datetime:
    """The first moment from `now` at which the enrollment's next step may go out: inside the
    candidate's window, and outside a pause of their current company unless the sequence sends
    during pauses. `pauses`, when given, are the company's (first day, last day) that end on
    or after yesterday, read for a whole batch at once; else they are read here."""
    candidate = enrollment.candidate
    zone = _zone(candidate)
    moment = next_window_moment(now, zone)
    if enrollment.sequence.send_during_pause or candidate.current_company_id is None:
        return moment
    for _ in range(50):  # back-to-back pauses are skipped one after another
        day = moment.astimezone(zone).date()
        if pauses is None:
            pause = (
                CompanyPause.objects.filter(
                    company_id=candidate.current_company_id, starts_on__lte=day, ends_on__gte=day
                )
                .order_by("-ends_on")
                .values_list("ends_on", flat=True)
                .first()
            )
        else:
            pause = max((ends for starts, ends in pauses if starts <= day <= ends), default=None)
        if pause is None:
            return moment
        after = datetime.combine(pause + timedelta(days=1), time(0), tzinfo=zone)
        moment = next_window_moment(after, zone)
    return moment


def _start_of_utc_day(now: datetime) -> datetime:
    return now.astimezone(zoneinfo.ZoneInfo("UTC")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def sent_today(sender: User, now: datetime) -> int:
    """What counts against the sender's daily cap: emails sent, or being sent, since 00:00 UTC."""
    return SentMessage.objects.filter(
        sender=sender,
        status__in=[SentMessage.Status.CLAIMED, SentMessage.Status.SENT],
        claimed_at__gte=_start_of_utc_day(now),
    ).count()


def sender_of(enrollment: Enrollment) -> User | None:
    """The candidate's owner, else whoever enrolled them: the email goes out in their name."""
    return enrollment.candidate.owner or enrollment.enrolled_by


def _stop_reason(enrollment: Enrollment, *, has_email: bool) -> str:
    """Why the enrollment must stop now rather than send, or "". `has_email`: whether the
    candidate has an address that does not bounce (read for the whole batch)."""
    candidate = enrollment.candidate
    if candidate.do_not_contact:
        return "The candidate is marked do-not-contact."
    application = enrollment.application
    if application is not None:
        if application.is_closed:
            return f"The application is {application.get_status_display().lower()}."
        if past_contacted(application):
            return "The application moved past contacted."
        if application.role.status != Role.Status.OPEN:
            return f"The role is {application.role.get_status_display().lower()}."
    if not has_email:
        return "The candidate has no email address (or every one of theirs bounces)."
    sender = sender_of(enrollment)
    if sender is None or not getattr(sender, "email", ""):
        return "There is no sender with an email address (the candidate has no owner)."
    return ""


def _contacted_stage(application: Application) -> Stage | None:
    return application.role.stages.filter(kind=Stage.Kind.CONTACTED).order_by("position").first()


# --- Sending -----------------------------------------------------------------------------------
#
# A run sends in batches of one sender's due steps (send_due_steps in process; outreach.send_due
# hands them to the worker pool, as the alert sweep does). A batch reads its enrollments with
# their candidate, company, owner and application in one query, and their addresses, the
# sequences' steps with their templates and pitch paragraphs, the roles' Contacted stages and the
# companies' pauses in one query each (_load_batch). Then, for the sender, in one transaction
# under a lock of the sender's row, it counts their day and inserts the claims it has room for
# (_reserve): two batches of one sender, in two worker processes, cannot both spend the same
# remaining cap. Each claimed step then goes on its own: rendered (each template compiled once
# per process), let go by one conditional UPDATE that locks the enrollment and requires it still
# active at this step (_go), so that a stop committed since the batch was read wins; and sent
# over the batch's SMTP connection outside any transaction. What went is recorded with the
# batch's others at its end, in one transaction (_record_sent).

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=15)
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this belonged to a worker that died
SEND_BATCH = 50  # due steps a batch carries: one sender's, over one SMTP connection


def _defer(enrollment: Enrollment, until: datetime) -> None:
    # Compare-and-set: a stop or another run that changed the row meanwhile wins.
    Enrollment.objects.filter(
        pk=enrollment.pk,
        status=Enrollment.Status.ACTIVE,
        next_position=enrollment.next_position,
    ).update(next_send_at=until)


def _stop(enrollment: Enrollment, reason: str, now: datetime, status: str = "stopped") -> None:
    Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
        status=status, stopped_reason=reason, stopped_at=now, next_send_at=None
    )


def _advance(enrollment: Enrollment, step: SequenceStep, now: datetime) -> None:
    following = (
        SequenceStep.objects.filter(sequence_id=enrollment.sequence_id, position__gt=step.position)
        .order_by("position")
        .first()
    )
    active = Enrollment.objects.filter(
        pk=enrollment.pk, status=Enrollment.Status.ACTIVE, next_position=enrollment.next_position
    )
    if following is None:
        active.update(status=Enrollment.Status.COMPLETED, next_send_at=None)
    else:
        active.update(
            next_position=following.position,
            next_send_at=add_business_days(
                now, following.delay_business_days, _zone(enrollment.candidate)
            ),
        )


@transaction.atomic
def _claim(
    enrollment: Enrollment, step: SequenceStep, sender: User, now: datetime
) -> SentMessage | StepOutcome:
    """A step that already has a row (a failed attempt, a claim of another run or of a worker
    that died): takes back a failed one, or a claim whose email was never handed to the SMTP
    server; returns a sent one whose batch died before recording it; else returns what happened
    instead: stopped, deferred (the cap) or skipped (stopped or moved on since it was read, or
    sent or being sent by another run). Inserts the row if there is none (the batch's _reserve
    does that for most steps).

    One transaction: the enrollment's row is locked and read again, so that a stop (a reply, an
    opt-out, do-not-contact, a move) committed since it was read wins, and one that comes after
    waits for the claim; the sender's row is locked while their day is counted, so that two
    runs at once cannot both take the last email of the cap."""
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("candidate")
        .filter(pk=enrollment.pk)
        .first()
    )
    if (
        current is None
        or current.status != Enrollment.Status.ACTIVE
        or current.next_position != enrollment.next_position
        or current.next_send_at is None
        or current.next_send_at > now
    ):
        return StepOutcome.SKIPPED
    if current.candidate.do_not_contact:
        _stop(enrollment, "The candidate is marked do-not-contact.", now)
        return StepOutcome.STOPPED
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=sender.pk)
        .values_list("pk")
    )
    if sent_today(sender, now) >= settings.OUTREACH_DAILY_CAP_PER_SENDER:
        tomorrow = _start_of_utc_day(now) + timedelta(days=1)
        _defer(enrollment, next_sending_moment(enrollment, tomorrow))
        return StepOutcome.DEFERRED
    try:
        with transaction.atomic():
            return SentMessage.objects.create(
                enrollment=enrollment,
                step=step,
                sender=sender,
                status=SentMessage.Status.CLAIMED,
                claimed_at=now,
            )
    except IntegrityError:
        pass
    # The Message-ID is emptied: it is set again as the email is let go (_go), and a claim
    # without one is known never to have reached the SMTP server.
    retaken = SentMessage.objects.filter(
        enrollment=enrollment, step=step, status=SentMessage.Status.FAILED
    ).update(
        status=SentMessage.Status.CLAIMED,
        claimed_at=now,
        sender=sender,
        message_id="",
        attempts=F("attempts") + 1,
    )
    if retaken:
        return SentMessage.objects.get(enrollment=enrollment, step=step)
    went = SentMessage.objects.filter(
        enrollment=enrollment, step=step, status=SentMessage.Status.SENT
    ).first()
    if went is not None:
        return went  # sent, but the run died before recording it: the caller records it
    stale = SentMessage.objects.filter(
        enrollment=enrollment,
        step=step,
        status=SentMessage.Status.CLAIMED,
        claimed_at__lt=now - STALE_CLAIM,
    ).first()
    if stale is not None and not stale.message_id:
        # Claimed by a batch whose worker died before letting this email go: it never went.
        SentMessage.objects.filter(pk=stale.pk, status=SentMessage.Status.CLAIMED).update(
            claimed_at=now, sender=sender
        )
        stale.refresh_from_db()
        return stale
    if stale is not None:
        # Its worker died mid-send: the email may have gone, so it is not sent again. The row
        # says so, and the enrollment moves on to its next step.
        SentMessage.objects.filter(pk=stale.pk, status=SentMessage.Status.CLAIMED).update(
            status=SentMessage.Status.FAILED,
            last_error="The sender died mid-send; not retried, as the email may have gone.",
            attempts=MAX_ATTEMPTS,
        )
        _advance(enrollment, step, now)
    return StepOutcome.SKIPPED


# Between the message and its opt-out link; the activity keeps what comes before it.
FOOTER = "\n\n--\nTo get no more emails like this one: "


def _email(
    enrollment: Enrollment,
    step: SequenceStep,
    sender: User,
    to_email: str,
) -> EmailMultiAlternatives:
    application = enrollment.application
    subject, text, html = render_message(
        step.template,
        candidate=enrollment.candidate,
        role=application.role if application else None,
        sender=sender,
    )
    link = opt_out_url(enrollment)
    text = f"{text}{FOOTER}{link}\n"
    html = html + format_html(
        '<p style="color:#666;font-size:small">'
        '<a href="{}">Get no more emails like this one</a></p>',
        link,
    )
    address = formataddr((sender.get_full_name() or sender.get_username(), sender.email))
    domain = sender.email.rpartition("@")[2] or "localhost"
    message = EmailMultiAlternatives(
        subject,
        text,
        address,
        [to_email],
        reply_to=[address],
        headers={
            "Message-ID": make_msgid(domain=domain),
            **unsubscribe_headers(enrollment, sender.email),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class _Due:
    """A due step that passed every check a batch makes before claiming, with what sending
    and recording it need, read for the whole batch."""

    enrollment: Enrollment
    step: SequenceStep
    steps: list[SequenceStep]  # the sequence's, in order
    sender: User
    to_email: str
    contacted: Stage | None  # the Contacted stage of the application's role
    pauses: list[tuple[date, date]]  # the candidate's company's, from yesterday on


def _load_batch(ids: list[int], now: datetime, outcomes: Counter[str]) -> list[_Due]:
    """The batch's enrollments that may send now, in the order given; those that stop, wait or
    have ended are stopped, deferred or completed here, and counted in `outcomes`. Six queries
    whatever the batch's size, and none per enrollment but for those it stops or defers."""
    order = {pk: i for i, pk in enumerate(ids)}
    enrollments = sorted(
        Enrollment.objects.select_related(
            "candidate__owner",
            "candidate__current_company",
            "sequence",
            "enrolled_by",
            "application__stage",
            "application__role__hiring_manager",
        ).filter(
            pk__in=ids,
            status=Enrollment.Status.ACTIVE,
            next_send_at__lte=now,
        ),
        key=lambda e: order[e.pk],
    )
    if len(enrollments) < len(ids):
        outcomes[StepOutcome.SKIPPED] += len(ids) - len(enrollments)  # not due, or ended since
    if not enrollments:
        return []
    emails: dict[int, str] = {}
    for candidate_id, email in (
        _deliverable(
            CandidateEmail.objects.filter(candidate_id__in={e.candidate_id for e in enrollments})
        )
        .order_by("candidate_id", "-is_primary", "id")
        .values_list("candidate_id", "email")
    ):
        emails.setdefault(candidate_id, email)
    steps: dict[int, list[SequenceStep]] = {}
    for row in (
        SequenceStep.objects.filter(sequence_id__in={e.sequence_id for e in enrollments})
        .select_related("template")
        .prefetch_related("template__pitch_paragraphs")
        .order_by("position")
    ):
        steps.setdefault(row.sequence_id, []).append(row)
    contacted: dict[int, Stage] = {}
    roles = {e.application.role_id for e in enrollments if e.application is not None}
    for kept in Stage.objects.filter(role_id__in=roles, kind=Stage.Kind.CONTACTED).order_by(
        "position"
    ):
        contacted.setdefault(kept.role_id, kept)
    pauses: dict[int, list[tuple[date, date]]] = {}
    companies = {
        e.candidate.current_company_id
        for e in enrollments
        if e.candidate.current_company_id is not None and not e.sequence.send_during_pause
    }
    if companies:
        # From yesterday in UTC: a pause's days are the candidate's, up to 14 hours behind.
        for company_id, starts, ends in CompanyPause.objects.filter(
            company_id__in=companies, ends_on__gte=(now - timedelta(days=1)).date()
        ).values_list("company_id", "starts_on", "ends_on"):
            pauses.setdefault(company_id, []).append((starts, ends))

    ready = []
    for enrollment in enrollments:
        application = enrollment.application
        stage = contacted.get(application.role_id) if application is not None else None
        if application is not None:
            application.contacted_position = stage.position if stage is not None else None
        reason = _stop_reason(enrollment, has_email=enrollment.candidate_id in emails)
        if reason:
            _stop(enrollment, reason, now)
            outcomes[StepOutcome.STOPPED] += 1
            continue
        step = next(
            (
                s
                for s in steps.get(enrollment.sequence_id, [])
                if s.position >= enrollment.next_position
            ),
            None,
        )
        if step is None:
            Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
                status=Enrollment.Status.COMPLETED, next_send_at=None
            )
            outcomes[StepOutcome.COMPLETED] += 1
            continue
        if enrollment.application_id is None and uses_role(step.template):
            # Its application was deleted since (or it never had one, and the step names the
            # role since an edit): the email would say "in ?".
            _stop(enrollment, "The step names the role, and there is no application to name.", now)
            outcomes[StepOutcome.STOPPED] += 1
            continue
        company_pauses = pauses.get(enrollment.candidate.current_company_id or 0, [])
        allowed = next_sending_moment(enrollment, now, pauses=company_pauses)
        if allowed > now:
            _defer(enrollment, allowed)
            outcomes[StepOutcome.DEFERRED] += 1
            continue
        sender = sender_of(enrollment)
        assert sender is not None  # _stop_reason stops an enrollment without one
        ready.append(
            _Due(
                enrollment=enrollment,
                step=step,
                steps=steps[enrollment.sequence_id],
                sender=sender,
                to_email=emails[enrollment.candidate_id],
                contacted=stage,
                pauses=company_pauses,
            )
        )
    return ready


def _reserve(sender: User, dues: list[_Due], now: datetime) -> tuple[dict[int, int], list[_Due]]:
    """Claims as many of the sender's steps as their day's cap has room for, in order: their
    rows are inserted as claimed, with no Message-ID yet. Returns the claimed rows' ids by
    enrollment (a step that another run claimed meanwhile has none), and the steps over the
    cap. One transaction under a lock of the sender's row: a second batch of the same sender
    waits for it, then counts these claims too."""
    if not dues:
        return {}, []
    with transaction.atomic():
        list(
            get_user_model()
            .objects.select_for_update(no_key=True)
            .filter(pk=sender.pk)
            .values_list("pk")
        )
        room = max(settings.OUTREACH_DAILY_CAP_PER_SENDER - sent_today(sender, now), 0)
        taking, over = dues[:room], dues[room:]
        if not taking:
            return {}, over
        table = SentMessage._meta.db_table
        rows = ", ".join(["(%s, %s, %s, %s, 1, %s, '', '', '', '')"] * len(taking))
        values: list[Any] = []
        for due in taking:
            values += [due.enrollment.pk, due.step.pk, sender.pk, SentMessage.Status.CLAIMED, now]
        with database.cursor() as cursor:
            # ON CONFLICT: a step another run claimed since the batch looked is left to it.
            cursor.execute(
                f"INSERT INTO {table} (enrollment_id, step_id, sender_id, status, attempts, "
                "claimed_at, to_email, subject, message_id, last_error) "
                f"VALUES {rows} ON CONFLICT DO NOTHING RETURNING id, enrollment_id",
                values,
            )
            claimed = {enrollment_id: pk for pk, enrollment_id in cursor.fetchall()}
    return claimed, over


def _go(
    sent_id: int,
    enrollment: Enrollment,
    now: datetime,
    message: EmailMultiAlternatives,
    unmarked: list[int],
) -> bool:
    """Lets a claimed step's email go: records its address, subject and Message-ID on the row,
    only while the enrollment is still active at this step and due, and the candidate not
    do-not-contact. One statement, which locks the enrollment's row: a stop committed since the
    batch was read wins (nothing is sent), and one under way is waited for. The same statement
    marks sent the rows of the emails that went before it (`unmarked`, emptied): one round
    trip a step."""
    if database.vendor != "postgresql":
        return _go_portably(sent_id, enrollment, now, message, unmarked)
    table = SentMessage._meta.db_table
    went = ""
    values: list[Any] = []
    if unmarked:
        # A data-modifying WITH runs whatever becomes of the statement's own row.
        went = (
            f"WITH went AS (UPDATE {table} SET status = %s, sent_at = %s, last_error = '' "
            "WHERE id = ANY(%s) AND status = %s) "
        )
        values = [SentMessage.Status.SENT, now, list(unmarked), SentMessage.Status.CLAIMED]
    with database.cursor() as cursor:
        cursor.execute(
            f"{went}UPDATE {table} SET to_email = %s, subject = %s, message_id = %s "
            "WHERE id = %s AND status = %s AND message_id = '' AND EXISTS ("
            f"SELECT 1 FROM {Enrollment._meta.db_table} e "
            f"JOIN {Candidate._meta.db_table} c ON c.id = e.candidate_id "
            "WHERE e.id = %s AND e.status = %s AND e.next_position = %s AND e.next_send_at <= %s "
            "AND NOT c.do_not_contact FOR UPDATE OF e)",
            [
                *values,
                message.to[0],
                str(message.subject)[:300],
                message.extra_headers["Message-ID"],
                sent_id,
                SentMessage.Status.CLAIMED,
                enrollment.pk,
                Enrollment.Status.ACTIVE,
                enrollment.next_position,
                now,
            ],
        )
        unmarked.clear()
        return cursor.rowcount == 1


def _go_portably(
    sent_id: int,
    enrollment: Enrollment,
    now: datetime,
    message: EmailMultiAlternatives,
    unmarked: list[int],
) -> bool:
    """`_go` for the embedded SQLite (`make run`): the same checks in two statements of one
    transaction. SQLite lets one writer at a time, so a stop cannot land between them."""
    with transaction.atomic():
        if unmarked:
            SentMessage.objects.filter(id__in=unmarked, status=SentMessage.Status.CLAIMED).update(
                status=SentMessage.Status.SENT, sent_at=now, last_error=""
            )
            unmarked.clear()
        still_due = Enrollment.objects.filter(
            pk=enrollment.pk,
            status=Enrollment.Status.ACTIVE,
            next_position=enrollment.next_position,
            next_send_at__lte=now,
            candidate__do_not_contact=False,
        )
        went = (
            SentMessage.objects.filter(id=sent_id, status=SentMessage.Status.CLAIMED, message_id="")
            .filter(Exists(still_due))
            .update(
                to_email=message.to[0],
                subject=str(message.subject)[:300],
                message_id=message.extra_headers["Message-ID"],
            )
        )
    return went == 1


def _release(sent_ids: list[int]) -> None:
    """Takes back claims never let go, so that they spend none of the cap: a first attempt's
    row is deleted; a retried one is failed again, as it was before this run took it."""
    never_let_go = SentMessage.objects.filter(
        pk__in=sent_ids, status=SentMessage.Status.CLAIMED, message_id=""
    )
    never_let_go.filter(attempts__gt=1).update(
        status=SentMessage.Status.FAILED, attempts=F("attempts") - 1
    )
    never_let_go.filter(attempts=1).delete()


def _not_let_go(due: _Due, sent_id: int, now: datetime) -> StepOutcome:
    """A claimed step whose enrollment stopped or moved on since the batch read it: its claim is
    taken back, and it is stopped if its candidate was marked do-not-contact behind the
    services' back."""
    _release([sent_id])
    enrollment = due.enrollment
    current = Enrollment.objects.select_related("candidate").filter(pk=enrollment.pk).first()
    if (
        current is not None
        and current.status == Enrollment.Status.ACTIVE
        and current.next_position == enrollment.next_position
        and current.candidate.do_not_contact
    ):
        _stop(enrollment, "The candidate is marked do-not-contact.", now)
        return StepOutcome.STOPPED
    return StepOutcome.SKIPPED


@dataclass
class _Sent:
    """A step whose email went, to be recorded with the batch's others (_record_sent)."""

    due: _Due
    subject: str
    body: str


@dataclass
class _Progress:
    """What a batch sent: the steps to record, and the rows not yet marked sent."""

    sent: list[_Sent]
    unmarked: list[int]


def _send_claimed(
    due: _Due,
    sent_id: int,
    attempts: int,
    now: datetime,
    connection: BaseEmailBackend | None,
    progress: _Progress,
) -> StepOutcome:
    enrollment, to_email = due.enrollment, due.to_email
    try:
        message = _email(enrollment, due.step, due.sender, to_email)
    except Exception as error:  # noqa: BLE001 - a template that cannot render is retried
        _fail(sent_id, error)
        return _after_failure(enrollment, attempts, now)
    if not _go(sent_id, enrollment, now, message, progress.unmarked):
        return _not_let_go(due, sent_id, now)
    try:
        if connection is not None:
            connection.open()  # a no-op while open; reconnects after a failure
            message.connection = connection
        message.send()  # SMTP, outside any transaction
    except smtplib.SMTPRecipientsRefused as error:
        if connection is not None:
            close_quietly(connection)
        _fail(sent_id, error)
        _stop(enrollment, f"Bounced: {to_email} was refused.", now, Enrollment.Status.BOUNCED)
        return StepOutcome.FAILED
    except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried
        if connection is not None:
            close_quietly(connection)
        _fail(sent_id, error)
        return _after_failure(enrollment, attempts, now)
    # Marked sent by the batch's next statement (the next step's _go, or _record_sent): a
    # worker that dies before it leaves this one row claimed, as one that dies mid-send does
    # (its email may have gone: never sent again). Once marked, the email is known to have
    # gone whatever happens to the batch after: _claim finds the row and has it recorded.
    progress.unmarked.append(sent_id)
    # The message's subject and body are the str that _email rendered (never a lazy string).
    progress.sent.append(_Sent(due, cast(str, message.subject), cast(str, message.body)))
    return StepOutcome.SENT


def _after_failure(enrollment: Enrollment, attempts: int, now: datetime) -> StepOutcome:
    if attempts >= MAX_ATTEMPTS:
        _stop(enrollment, f"Could not be sent after {attempts} attempts.", now)
        return StepOutcome.FAILED
    _defer(enrollment, now + RETRY_AFTER)
    return StepOutcome.RETRY


def _fail(sent_id: int, error: Exception) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    log.warning("outreach message %s failed: %s", sent_id, text)
    SentMessage.objects.filter(pk=sent_id, status=SentMessage.Status.CLAIMED).update(
        status=SentMessage.Status.FAILED, last_error=text
    )


def note_first_emails(applications: Iterable[int]) -> None:
    """Keeps on each of `applications` (ids) when the first outreach email about it was sent
    (Application.first_emailed_at, where the funnel's first contact starts), computed again
    from its sent emails: an email recorded late, after a later one, still counts at its time,
    and so do the demo's and the tests' emails dated in the past."""
    first = (
        SentMessage.objects.filter(
            enrollment__application=OuterRef("pk"),
            status=SentMessage.Status.SENT,
            sent_at__isnull=False,
        )
        .order_by("sent_at")
        .values("sent_at")[:1]
    )
    Application.objects.filter(pk__in=list(applications)).update(first_emailed_at=Subquery(first))


def note_last_emails(enrollments: QuerySet[Enrollment] | Iterable[int]) -> None:
    """Keeps on each of `enrollments` (a queryset or ids) its last email sent: its step and when
    it went (Enrollment.last_email_step and last_email_at), computed again from its sent emails
    in the sequence page's order (outreach.figures): the highest step position, an email whose
    step was deleted below the others, then the latest."""
    chosen = (
        enrollments
        if isinstance(enrollments, QuerySet)
        else Enrollment.objects.filter(pk__in=list(enrollments))
    )
    last = SentMessage.objects.filter(
        enrollment=OuterRef("pk"), status=SentMessage.Status.SENT
    ).order_by(
        Coalesce(F("step__position"), Value(0)).desc(),
        F("sent_at").desc(nulls_last=True),
        F("pk").desc(),
    )
    chosen.update(
        last_email_step=Subquery(last.values("step_id")[:1]),
        last_email_at=Subquery(last.values("sent_at")[:1]),
    )


@transaction.atomic
def _record_sent(progress: _Progress, sender: User, now: datetime) -> None:
    """What the batch's sent emails do, in one transaction: their rows marked sent (those the
    last _go left), an activity each, the move of an application still in Sourced to
    Contacted, the enrollment on to its next step (or completed). A stop or a move since the
    email went wins: only an enrollment still active at that step moves on, and only an
    application still in Sourced moves."""
    sent = progress.sent
    if progress.unmarked:
        SentMessage.objects.filter(
            pk__in=progress.unmarked, status=SentMessage.Status.CLAIMED
        ).update(status=SentMessage.Status.SENT, sent_at=now, last_error="")
        progress.unmarked.clear()
    if not sent:
        return
    note_first_emails(
        {
            item.due.enrollment.application_id
            for item in sent
            if item.due.enrollment.application_id is not None
        }
    )
    note_last_emails([item.due.enrollment.pk for item in sent])
    log_activities(
        [
            Activity(
                candidate=item.due.enrollment.candidate,
                application=item.due.enrollment.application,
                kind=Activity.Kind.EMAIL,
                summary=(
                    f"Step {item.due.step.position} of {item.due.enrollment.sequence}: "
                    f"{item.subject}"
                )[:200],
                # The text without its opt-out link: the page shows it to colleagues, not the
                # candidate.
                body=item.body.partition(FOOTER)[0],
                author=sender,
                occurred_at=now,
            )
            for item in sent
        ]
    )
    move_stages_from(
        [
            (item.due.enrollment.application, item.due.contacted)
            for item in sent
            if item.due.enrollment.application is not None and item.due.contacted is not None
        ],
        kind=Stage.Kind.SOURCED,
        by=sender,
    )
    # Grouped by where each enrollment goes: one update per group, not per enrollment.
    groups: dict[tuple[int, int | None, datetime | None], list[int]] = {}
    for item in sent:
        enrollment, step = item.due.enrollment, item.due.step
        following = next((s for s in item.due.steps if s.position > step.position), None)
        key = (
            (enrollment.next_position, None, None)
            if following is None
            else (
                enrollment.next_position,
                following.position,
                add_business_days(now, following.delay_business_days, _zone(enrollment.candidate)),
            )
        )
        groups.setdefault(key, []).append(enrollment.pk)
    for (position, following_position, send_at), ids in groups.items():
        active = Enrollment.objects.filter(
            pk__in=ids, status=Enrollment.Status.ACTIVE, next_position=position
        )
        if following_position is None:
            active.update(status=Enrollment.Status.COMPLETED, next_send_at=None)
        else:
            active.update(next_position=following_position, next_send_at=send_at)


def _send_for_sender(
    dues: list[_Due],
    now: datetime,
    connection: BaseEmailBackend | None,
    outcomes: Counter[str],
    deadline: float | None,
) -> None:
    """Claims and sends one sender's due steps of a batch, in order."""
    sender = dues[0].sender
    steps_with_rows = set(
        SentMessage.objects.filter(
            enrollment_id__in=[due.enrollment.pk for due in dues]
        ).values_list("enrollment_id", "step_id")
    )
    claims: list[tuple[_Due, int, int]] = []
    fresh = []
    progress = _Progress(sent=[], unmarked=[])
    for due in dues:
        if (due.enrollment.pk, due.step.pk) not in steps_with_rows:
            fresh.append(due)
            continue
        # Tried before (a failure, another run's claim): one at a time, as its row says.
        row = _claim(due.enrollment, due.step, sender, now)
        if isinstance(row, StepOutcome):
            outcomes[row] += 1
        elif row.status == SentMessage.Status.SENT:
            # Its batch died between the email and its record: recorded now, not sent again.
            message = _email(due.enrollment, due.step, sender, due.to_email)
            progress.sent.append(_Sent(due, row.subject, cast(str, message.body)))
            outcomes[StepOutcome.SKIPPED] += 1
        else:
            claims.append((due, row.pk, row.attempts))
    claimed, over = _reserve(sender, fresh, now)
    tomorrow = _start_of_utc_day(now) + timedelta(days=1)
    for due in over:
        _defer(due.enrollment, next_sending_moment(due.enrollment, tomorrow, pauses=due.pauses))
        outcomes[StepOutcome.DEFERRED] += 1
    for due in fresh[: len(fresh) - len(over)]:
        if due.enrollment.pk in claimed:
            claims.append((due, claimed[due.enrollment.pk], 1))
        else:
            outcomes[StepOutcome.SKIPPED] += 1  # claimed by another run since the batch looked
    try:
        for index, (due, sent_id, attempts) in enumerate(claims):
            if deadline is not None and monotonic() >= deadline:
                # The run's time is spent: the claims not begun are taken back for the next run.
                _release([sent_id for _, sent_id, _ in claims[index:]])
                return
            outcomes[_send_claimed(due, sent_id, attempts, now, connection, progress)] += 1
    finally:
        # Even when the batch breaks off (a database error), what went is recorded.
        _record_sent(progress, sender, now)


def send_batch(
    enrollment_ids: list[int],
    now: datetime | None = None,
    *,
    connection: BaseEmailBackend | None = None,
    deadline: float | None = None,
) -> Counter[str]:
    """Sends the due steps of these enrollments (best one sender's, as due_batches groups them),
    each if it is still due and allowed. Returns how many of each outcome. With a `deadline`
    (time.monotonic()), no step is begun after it."""
    now = now or timezone.now()
    outcomes: Counter[str] = Counter()
    by_sender: dict[int, list[_Due]] = {}
    for due in _load_batch(list(enrollment_ids), now, outcomes):
        by_sender.setdefault(due.sender.pk, []).append(due)
    for dues in by_sender.values():
        _send_for_sender(dues, now, connection, outcomes, deadline)
    return outcomes


def send_step(
    enrollment_id: int,
    now: datetime | None = None,
    *,
    connection: BaseEmailBackend | None = None,
) -> StepOutcome:
    """Sends the enrollment's next step if it is due and allowed (a batch of one). Returns what
    happened: sent, deferred (outside the window, in a pause, over the cap), stopped,
    completed, skipped (not due, or claimed by another run), retry or failed."""
    [(outcome, _)] = send_batch([enrollment_id], now, connection=connection).items()
    return StepOutcome(outcome)


def due_enrollment_ids(now: datetime | None = None, *, limit: int = 1000) -> list[int]:
    return [pk for batch in due_batches(now, limit=limit) for pk in batch]


def due_batches(
    now: datetime | None = None, *, limit: int = 1000, size: int = SEND_BATCH
) -> list[list[int]]:
    """The due enrollments (up to `limit`, the longest due first), in batches of at most `size`
    that each hold one sender's (the candidate's owner, else who enrolled them)."""
    now = now or timezone.now()
    due = (
        Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, next_send_at__lte=now)
        .order_by("next_send_at", "id")
        .values_list("pk", Coalesce("candidate__owner_id", "enrolled_by_id"))[:limit]
    )
    by_sender: dict[int | None, list[int]] = {}
    for pk, sender_id in due:
        by_sender.setdefault(sender_id, []).append(pk)
    return [
        ids[start : start + size]
        for ids in by_sender.values()
        for start in range(0, len(ids), size)
    ]


def send_batches(
    batches: list[list[int]],
    now: datetime | None = None,
    *,
    budget: timedelta | None = None,
) -> dict[str, int]:
    """Sends the batches' due steps in this process, batch after batch, over one SMTP
    connection. With a `budget`, no step is begun once it is spent: the rest wait for the next
    run. Returns how many of each outcome."""
    now = now or timezone.now()
    outcomes: Counter[str] = Counter()
    deadline = None if budget is None else monotonic() + budget.total_seconds()
    shared = shared_smtp_connection()
    if shared is not None and batches:
        try:
            shared.open()
        except (OSError, smtplib.SMTPException) as error:
            # The server is down: nothing is claimed, so no step spends one of its attempts on
            # an outage; they stay due, and the next minute's run tries again.
            waiting = sum(len(batch) for batch in batches)
            log.warning(
                "outreach: the SMTP server cannot be reached (%s); %d step(s) wait", error, waiting
            )
            close_quietly(shared)
            return {"smtp_down": waiting}
    try:
        for batch in batches:
            if deadline is not None and monotonic() >= deadline:
                break
            outcomes.update(send_batch(batch, now, connection=shared, deadline=deadline))
    finally:
        if shared is not None:
            close_quietly(shared)
    return {str(outcome): n for outcome, n in outcomes.items() if n}


def send_due_steps(
    now: datetime | None = None, *, limit: int = 1000, budget: timedelta | None = None
) -> dict[str, int]:
    """Sends every due step (up to `limit`) in this process, in batches of one sender's (the
    worker's job hands the same batches to the pool instead). Returns how many of each
    outcome."""
    now = now or timezone.now()
    return send_batches(due_batches(now, limit=limit), now, budget=budget)


# --- What the mailbox says (outreach/inbound.py reads it) ---------------------------------------


@transaction.atomic
def record_reply(
    enrollment: Enrollment, *, subject: str, text: str, now: datetime | None = None
) -> int:
    """A reply to the enrollment's emails, read from the mailbox: the same stop as
    mark_replied (every active enrollment of the candidate, in one UPDATE that a claim's row
    lock orders), the application moved to Replied, and the reply's text an activity. A second
    reply is recorded too and stops nothing more. Returns how many enrollments stopped."""
    now = now or timezone.now()
    enrollment = Enrollment.objects.select_related("candidate", "sequence").get(pk=enrollment.pk)
    stopped = _stop_for_reply(enrollment, reason="Replied (read from the mailbox).", now=now)
    log_activity(
        enrollment.candidate,
        kind=Activity.Kind.EMAIL,
        summary=f"Replied to the outreach sequence {enrollment.sequence}: {subject}"[:200],
        body=text,
        by=None,
        application=enrollment.application,
        occurred_at=now,
    )
    try:
        with transaction.atomic():
            _move_to_replied(enrollment.application, by=None)
    except PipelineError as error:  # a concurrent close: the reply is recorded all the same
        log.info("outreach could not move application %s: %s", enrollment.application_id, error)
    return stopped


def postpone_for_auto_reply(enrollment: Enrollment, *, days: int, now: datetime) -> int:
    """An auto-reply (out of office): the candidate's active enrollments wait until `days`
    business days after it, if their next step was due sooner. Compare-and-set: a claim that
    locked the row first sends, one that comes after finds the step no longer due."""
    zone = _zone(enrollment.candidate)
    until = add_business_days(now, days, zone)
    return Enrollment.objects.filter(
        candidate_id=enrollment.candidate_id,
        status=Enrollment.Status.ACTIVE,
        next_send_at__lt=until,
    ).update(next_send_at=until)


def stop_for_bounce(candidate: Candidate, *, address: str, now: datetime) -> int:
    """The candidate's address bounces (a hard bounce read from the mailbox): their active
    enrollments stop as bounced, as when the SMTP server refuses it. Returns how many."""
    return _stop_all(
        candidate,
        status=Enrollment.Status.BOUNCED,
        reason=f"Bounced: {address} was reported undeliverable.",
        now=now,
    )
