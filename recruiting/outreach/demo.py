"""The outreach demo: three templates with a pitch per motivator, a three-step sequence, and
candidates of the pipeline demo who went through it, some replying, one opting out, two still
waiting for their first email (which the worker sends once their window opens).

The history is played with the real services at past moments, with a connection that sends
nothing: the figures, activities and stage moves are what the product would have made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from candidates.models import Candidate
from recruiting.pipeline.models import Application, Stage

from .bounces import record_bounces
from .models import Enrollment, MessageTemplate, PitchParagraph, SentMessage, Sequence, SequenceStep
from .services import OutreachError, add_business_days, enroll, mark_replied, opt_out, send_step

SEQUENCE = "Research scientists: first touch"
PITCHES = {
    "pay": "We pay at the top of the market, and we say so in the first call, not the last.",
    "team_lead": "You would work with a lead whose people follow them from lab to lab.",
    "work_quality": "The problems are the hard ones, and the compute is there to match.",
    "research_freedom": "You choose your questions; the team backs the ones you pick.",
    "publishing": "You publish what you find, at the venues you choose.",
    "ethics_impact": "The work ships to people, with a safety team that has a veto.",
    "location": "Work from the city you choose; we help with the move if you want one.",
}
TEMPLATES = (
    (
        "First touch",
        "{{ candidate.first_name }}, {{ role.title }} with {{ team_lead }}?",
        "Hi {{ candidate.first_name }},\n\n"
        "I lead hiring for {{ role.team }}, and your work keeps coming up.\n\n"
        "{{ pitch }}\n\n"
        "Would you have 20 minutes this week?\n\n{{ sender.name }}",
    ),
    (
        "Follow-up",
        "Re: {{ role.title }} with {{ team_lead }}",
        "Hi {{ candidate.first_name }},\n\n"
        "A short follow-up in case my last note got buried. {{ pitch }}\n\n{{ sender.name }}",
    ),
    (
        "Last note",
        "Closing the loop, {{ candidate.first_name }}",
        "Hi {{ candidate.first_name }},\n\n"
        "I will not write again about {{ role.title }}; if the timing changes, reply here and "
        "I will pick it up.\n\n{{ sender.name }}",
    ),
)
DELAYS = (0, 3, 5)  # business days
# What the enrolled candidates did, in the order they are found: (steps sent, then what).
HISTORY = (
    (1, "replied"),
    (0, "due"),
    (2, "replied"),
    (3, "completed"),
    (0, "due"),
    (1, "opted_out"),
    (2, "waiting"),
    (3, "replied"),
    (1, "waiting"),
)


# The second sequence, shorter, for people already contacted about another role: one bounced
# (the address no longer works), one replied, one opted out, one never answered.
SECOND_SEQUENCE = "Engineers: second look"
SECOND_DELAYS = (0, 4)
SECOND_HISTORY = ((1, "bounced"), (2, "replied"), (1, "opted_out"), (2, "completed"))


def ensure_templates() -> list[MessageTemplate]:
    templates = []
    for name, subject, body in TEMPLATES:
        template, created = MessageTemplate.objects.get_or_create(
            name=name, defaults={"subject": subject, "body_text": body}
        )
        if created:
            template.full_clean()
            PitchParagraph.objects.bulk_create(
                PitchParagraph(template=template, motivator=motivator, text=text)
                for motivator, text in PITCHES.items()
            )
        templates.append(template)
    return templates


def ensure_sequence(
    templates: list[MessageTemplate], name: str = SEQUENCE, delays: tuple[int, ...] = DELAYS
) -> Sequence:
    sequence, created = Sequence.objects.get_or_create(name=name)
    if created:
        for position, (template, delay) in enumerate(zip(templates, delays, strict=False), 1):
            SequenceStep.objects.create(
                sequence=sequence, position=position, template=template, delay_business_days=delay
            )
    return sequence


def _one_each(limit: int, kind: str, **more: Any) -> list[Application]:
    """Open applications in a stage of `kind` of candidates we may email (and `more`), one per
    candidate, at most `limit`."""
    applications = (
        Application.objects.filter(
            stage__kind=kind,
            status=Application.Status.OPEN,
            candidate__do_not_contact=False,
            candidate__emails__isnull=False,
            candidate__owner__isnull=False,
            **more,
        )
        .exclude(candidate__owner__email="")
        .select_related("candidate__owner", "role")
        .distinct()
        .order_by("candidate__name", "id")
    )
    chosen: dict[int, Application] = {}
    for application in applications:
        chosen.setdefault(application.candidate_id, application)
        if len(chosen) == limit:
            break
    return list(chosen.values())


def _reachable_applications(limit: int) -> list[Application]:
    """Open applications in Sourced of candidates we may email, one per candidate."""
    return _one_each(limit, Stage.Kind.SOURCED)


def _play(
    enrollment: Enrollment, steps: int, *, until: datetime, connection: BaseEmailBackend
) -> datetime:
    """Sends the enrollment's first `steps` steps at the moments they fell due (deferred past
    windows and pauses as in production), none after `until`; returns when the last went."""
    for _ in range(steps * 10):
        enrollment.refresh_from_db()
        sent = SentMessage.objects.filter(enrollment=enrollment).count()
        if sent >= steps or not enrollment.is_active or enrollment.next_send_at is None:
            break
        if enrollment.next_send_at > until:
            break
        send_step(enrollment.pk, enrollment.next_send_at, connection=connection)
    last = enrollment.messages.aggregate(last=Max("sent_at"))["last"]
    return last or enrollment.enrolled_at


# How long ago each history started: long enough for its steps to have gone and, for those
# still waiting, recent enough that their next step is still ahead.
def _started(steps: int, outcome: str, now: datetime) -> datetime:
    if outcome == "due":
        return now - timedelta(minutes=5)
    if outcome == "waiting":
        return now - (timedelta(days=2) if steps == 1 else timedelta(days=8))
    return now - timedelta(days=28)


@transaction.atomic
def build_demo_outreach(*, now: datetime | None = None) -> None:
    """Creates the outreach demo once; a sequence that has enrollments is left as it is."""
    now = now or timezone.now()
    sequence = ensure_sequence(ensure_templates())
    if sequence.enrollments.exists():
        return
    rita = get_user_model().objects.filter(username="rita").first()
    nothing_sent = get_connection("django.core.mail.backends.dummy.EmailBackend")
    for application, (steps, outcome) in zip(
        _reachable_applications(len(HISTORY)), HISTORY, strict=False
    ):
        candidate: Candidate = application.candidate
        start = _started(steps, outcome, now)
        try:
            enrollment = enroll(candidate, sequence, by=rita, application=application, now=start)
        except OutreachError:
            continue
        last = _play(enrollment, steps, until=now, connection=nothing_sent)
        enrollment.refresh_from_db()
        if outcome == "replied" and enrollment.status in ("active", "completed"):
            mark_replied(enrollment, by=candidate.owner, now=min(last + timedelta(days=1), now))
        elif outcome == "opted_out" and enrollment.is_active:
            opt_out(enrollment, now=min(last + timedelta(hours=3), now))
        elif (
            outcome == "waiting"
            and enrollment.is_active
            # An active enrollment always has its next step's time.
            and cast(datetime, enrollment.next_send_at) <= now
        ):
            # A weekend can bring the next step due already: the demo keeps it ahead, so that
            # the worker does not send it the minute Closer starts.
            Enrollment.objects.filter(pk=enrollment.pk).update(
                next_send_at=add_business_days(now, 1)
            )


def _contacted_without_outreach(limit: int) -> list[Application]:
    """Open applications in Contacted of candidates no sequence has written to, one each."""
    return _one_each(limit, Stage.Kind.CONTACTED, candidate__enrollments__isnull=True)


@transaction.atomic
def build_second_sequence(*, now: datetime | None = None) -> None:
    """The second sequence's history, three to four weeks ago, once."""
    now = now or timezone.now()
    templates = ensure_templates()
    sequence = ensure_sequence([templates[1], templates[2]], SECOND_SEQUENCE, SECOND_DELAYS)
    if sequence.enrollments.exists():
        return
    rita = get_user_model().objects.filter(username="rita").first()
    nothing_sent = get_connection("django.core.mail.backends.dummy.EmailBackend")
    applications = _contacted_without_outreach(len(SECOND_HISTORY))
    for n, (application, (steps, outcome)) in enumerate(
        zip(applications, SECOND_HISTORY, strict=False)
    ):
        candidate: Candidate = application.candidate
        start = now - timedelta(days=21 + 3 * n)
        try:
            enrollment = enroll(candidate, sequence, by=rita, application=application, now=start)
        except OutreachError:
            continue
        last = _play(enrollment, steps, until=now, connection=nothing_sent)
        enrollment.refresh_from_db()
        if outcome == "bounced" and enrollment.is_active:
            record_bounces(
                candidate.emails.values_list("email", flat=True),
                hard=True,
                now=last + timedelta(minutes=2),
            )
        elif outcome == "replied" and enrollment.status in ("active", "completed"):
            mark_replied(enrollment, by=candidate.owner, now=last + timedelta(days=2))
        elif outcome == "opted_out" and enrollment.is_active:
            opt_out(enrollment, now=last + timedelta(hours=5))


def summarize() -> str:
    by_status = {
        status: Enrollment.objects.filter(status=status).count()
        for status in Enrollment.Status.values
    }
    return (
        f"Closer outreach: {MessageTemplate.objects.count()} templates, "
        f"{Sequence.objects.count()} sequence(s), {sum(by_status.values())} enrollments "
        f"({by_status['active']} active, {by_status['replied']} replied, "
        f"{by_status['opted_out']} opted out, {by_status['bounced']} bounced), "
        f"{SentMessage.objects.filter(status=SentMessage.Status.SENT).count()} emails sent."
    )
