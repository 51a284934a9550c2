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
from datetime import datetime, time, timedelta
from email.utils import formataddr, make_msgid
from enum import StrEnum
from time import monotonic
from typing import cast
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Min, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from candidates.models import Candidate, CandidateEmail, CompanyPause
from recruiting.lib.mail import close_quietly, shared_smtp_connection
from recruiting.pipeline.models import Activity, Application, Role, Stage
from recruiting.pipeline.services import PipelineError, log_activity, move_stage

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
    reason = f"Replied (marked by {who})."
    stopped = _stop_all(
        enrollment.candidate, status=Enrollment.Status.REPLIED, reason=reason, now=now
    )
    if enrollment.status == Enrollment.Status.COMPLETED:
        stopped += Enrollment.objects.filter(
            pk=enrollment.pk, status=Enrollment.Status.COMPLETED
        ).update(status=Enrollment.Status.REPLIED, stopped_reason=reason, stopped_at=now)
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
    if not active.exists():
        return 0
    if application.is_closed:
        reason = f"The application is {application.get_status_display().lower()}."
    else:
        if not past_contacted(application):
            return 0
        reason = f"The application moved to {application.stage.name}, past contacted."
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


def next_sending_moment(enrollment: Enrollment, now: datetime) -> datetime:
    """The first moment from `now` at which the enrollment's next step may go out: inside the
    candidate's window, and outside a pause of their current company unless the sequence sends
    during pauses."""
    candidate = enrollment.candidate
    zone = _zone(candidate)
    moment = next_window_moment(now, zone)
    if enrollment.sequence.send_during_pause or candidate.current_company_id is None:
        return moment
    for _ in range(50):  # back-to-back pauses are skipped one after another
        day = moment.astimezone(zone).date()
        pause = (
            CompanyPause.objects.filter(
                company_id=candidate.current_company_id, starts_on__lte=day, ends_on__gte=day
            )
            .order_by("-ends_on")
            .first()
        )
        if pause is None:
            return moment
        after = datetime.combine(pause.ends_on + timedelta(days=1), time(0), tzinfo=zone)
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


def _stop_reason(enrollment: Enrollment) -> str:
    """Why the enrollment must stop now rather than send, or ""."""
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
    if not candidate.emails.exists():
        return "The candidate has no email address."
    sender = sender_of(enrollment)
    if sender is None or not getattr(sender, "email", ""):
        return "There is no sender with an email address (the candidate has no owner)."
    return ""


def _contacted_stage(application: Application) -> Stage | None:
    return application.role.stages.filter(kind=Stage.Kind.CONTACTED).order_by("position").first()


# --- Sending -----------------------------------------------------------------------------------

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=15)
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this belonged to a worker that died


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
    """Inserts the step's row as claimed, or takes back a failed one. Returns the row, or what
    happened instead: stopped, deferred (the cap) or skipped (stopped or moved on since it was
    read, or sent or being sent by another run).

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
    list(get_user_model().objects.select_for_update().filter(pk=sender.pk).values_list("pk"))
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
    retaken = SentMessage.objects.filter(
        enrollment=enrollment, step=step, status=SentMessage.Status.FAILED
    ).update(
        status=SentMessage.Status.CLAIMED,
        claimed_at=now,
        sender=sender,
        attempts=F("attempts") + 1,
    )
    if retaken:
        return SentMessage.objects.get(enrollment=enrollment, step=step)
    if SentMessage.objects.filter(
        enrollment=enrollment, step=step, status=SentMessage.Status.SENT
    ).exists():
        _advance(enrollment, step, now)  # sent, but the run died before moving the enrollment on
        return StepOutcome.SKIPPED
    stale = SentMessage.objects.filter(
        enrollment=enrollment,
        step=step,
        status=SentMessage.Status.CLAIMED,
        claimed_at__lt=now - STALE_CLAIM,
    ).first()
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


def send_step(
    enrollment_id: int,
    now: datetime | None = None,
    *,
    connection: BaseEmailBackend | None = None,
) -> StepOutcome:
    """Sends the enrollment's next step if it is due and allowed. Returns what happened: sent,
    deferred (outside the window, in a pause, over the cap), stopped, completed, skipped (not
    due, or claimed by another run), retry or failed."""
    now = now or timezone.now()
    enrollment = (
        Enrollment.objects.select_related(
            "candidate__owner",
            "sequence",
            "enrolled_by",
            "application__stage",
            "application__role__hiring_manager",
        )
        .filter(pk=enrollment_id)
        .first()
    )
    if (
        enrollment is None
        or enrollment.status != Enrollment.Status.ACTIVE
        or enrollment.next_send_at is None
        or enrollment.next_send_at > now
    ):
        return StepOutcome.SKIPPED
    reason = _stop_reason(enrollment)
    if reason:
        _stop(enrollment, reason, now)
        return StepOutcome.STOPPED
    step = (
        SequenceStep.objects.select_related("template")
        .filter(sequence_id=enrollment.sequence_id, position__gte=enrollment.next_position)
        .order_by("position")
        .first()
    )
    if step is None:
        Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
            status=Enrollment.Status.COMPLETED, next_send_at=None
        )
        return StepOutcome.COMPLETED
    if enrollment.application_id is None and uses_role(step.template):
        # Its application was deleted since (or it never had one, and the step names the role
        # since an edit): the email would say "in ?".
        _stop(enrollment, "The step names the role, and there is no application to name.", now)
        return StepOutcome.STOPPED
    allowed = next_sending_moment(enrollment, now)
    if allowed > now:
        _defer(enrollment, allowed)
        return StepOutcome.DEFERRED
    sender = sender_of(enrollment)
    assert sender is not None  # _stop_reason stops an enrollment without one
    # Read before the claim: an address removed since _stop_reason looked (an edit, a merge)
    # stops the enrollment here rather than leave a claimed step that can never go.
    first_email = enrollment.candidate.emails.order_by("-is_primary", "id").first()
    if first_email is None:
        _stop(enrollment, "The candidate has no email address.", now)
        return StepOutcome.STOPPED
    to_email = first_email.email

    sent = _claim(enrollment, step, sender, now)
    if isinstance(sent, StepOutcome):
        return sent
    try:
        message = _email(enrollment, step, sender, to_email)
        SentMessage.objects.filter(pk=sent.pk).update(
            to_email=to_email,
            subject=message.subject[:300],
            message_id=message.extra_headers["Message-ID"],
        )
        if connection is not None:
            connection.open()  # a no-op while open; reconnects after a failure
            message.connection = connection
        message.send()  # SMTP, outside any transaction
    except smtplib.SMTPRecipientsRefused as error:
        if connection is not None:
            close_quietly(connection)
        _fail(sent, error)
        _stop(enrollment, f"Bounced: {to_email} was refused.", now, Enrollment.Status.BOUNCED)
        return StepOutcome.FAILED
    except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried
        if connection is not None:
            close_quietly(connection)
        _fail(sent, error)
        if sent.attempts >= MAX_ATTEMPTS:
            _stop(enrollment, f"Could not be sent after {sent.attempts} attempts.", now)
            return StepOutcome.FAILED
        _defer(enrollment, now + RETRY_AFTER)
        return StepOutcome.RETRY
    # The message's subject and body are the str that _email rendered (never a lazy string).
    subject, body = cast(str, message.subject), cast(str, message.body)
    _record_sent(enrollment, step, sent, sender, subject, body, now)
    return StepOutcome.SENT


def _fail(sent: SentMessage, error: Exception) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    log.warning("outreach message %s failed: %s", sent.pk, text)
    SentMessage.objects.filter(pk=sent.pk, status=SentMessage.Status.CLAIMED).update(
        status=SentMessage.Status.FAILED, last_error=text
    )


@transaction.atomic
def _record_sent(
    enrollment: Enrollment,
    step: SequenceStep,
    sent: SentMessage,
    sender: User,
    subject: str,
    body: str,
    now: datetime,
) -> None:
    SentMessage.objects.filter(pk=sent.pk).update(
        status=SentMessage.Status.SENT, sent_at=now, last_error=""
    )
    application = enrollment.application
    log_activity(
        enrollment.candidate,
        kind=Activity.Kind.EMAIL,
        summary=f"Step {step.position} of {enrollment.sequence}: {subject}"[:200],
        # The text without its opt-out link: the page shows it to colleagues, not the candidate.
        body=body.partition(FOOTER)[0],
        by=sender,
        application=application,
        occurred_at=now,
    )
    if application is not None:
        # As it is now, locked: a recruiter may have moved it on while the email went.
        application = (
            Application.objects.select_for_update().select_related("stage").get(pk=application.pk)
        )
    if (
        application is not None
        and not application.is_closed
        and application.stage.kind == Stage.Kind.SOURCED
    ):
        contacted = _contacted_stage(application)
        if contacted is not None:
            # A savepoint: a move the pipeline refuses (a concurrent close) must not undo the
            # record of an email that has gone.
            try:
                with transaction.atomic():
                    move_stage(application, contacted, by=sender)
            except PipelineError as error:
                log.info("outreach could not move application %s: %s", application.pk, error)
    _advance(enrollment, step, now)


def due_enrollment_ids(now: datetime | None = None, *, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    return list(
        Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, next_send_at__lte=now)
        .order_by("next_send_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_steps(
    now: datetime | None = None, *, limit: int = 1000, budget: timedelta | None = None
) -> dict[str, int]:
    """Sends every due step (up to `limit`) over one SMTP connection: each is still claimed,
    sent and marked on its own. With a `budget`, no step is begun once it is spent: the rest
    wait for the next run. Returns how many of each outcome."""
    now = now or timezone.now()
    outcomes: Counter[str] = Counter()
    shared = shared_smtp_connection()
    started = monotonic()
    due = due_enrollment_ids(now, limit=limit)
    if shared is not None and due:
        try:
            shared.open()
        except (OSError, smtplib.SMTPException) as error:
            # The server is down: nothing is claimed, so no step spends one of its attempts on
            # an outage; they stay due, and the next minute's run tries again.
            log.warning(
                "outreach: the SMTP server cannot be reached (%s); %d step(s) wait", error, len(due)
            )
            close_quietly(shared)
            return {"smtp_down": len(due)}
    try:
        for enrollment_id in due:
            if budget is not None and monotonic() - started >= budget.total_seconds():
                break
            outcomes[send_step(enrollment_id, now, connection=shared)] += 1
    finally:
        if shared is not None:
            close_quietly(shared)
    return dict(outcomes)


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
    reason = "Replied (read from the mailbox)."
    stopped = _stop_all(
        enrollment.candidate, status=Enrollment.Status.REPLIED, reason=reason, now=now
    )
    if enrollment.status == Enrollment.Status.COMPLETED:
        stopped += Enrollment.objects.filter(
            pk=enrollment.pk, status=Enrollment.Status.COMPLETED
        ).update(status=Enrollment.Status.REPLIED, stopped_reason=reason, stopped_at=now)
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
