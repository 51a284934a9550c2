"""What a sequence has done: enrolled, sent, replied, opted out, in all and step by step."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Enrollment, SentMessage, Sequence

ENDED = (
    Enrollment.Status.REPLIED,
    Enrollment.Status.OPTED_OUT,
    Enrollment.Status.BOUNCED,
)


def rate(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent, to one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _emailed() -> Exists:
    """Whether the enrollment (the query's OuterRef) was sent at least one email."""
    return Exists(
        SentMessage.objects.filter(enrollment=OuterRef("pk"), status=SentMessage.Status.SENT)
    )


def sequence_reply_rate(replied_after_email: int, emailed: int) -> Decimal | None:
    """A sequence's reply rate: of the people it emailed, the share who replied."""
    return rate(replied_after_email, emailed)


def with_figures(sequences: QuerySet[Sequence]) -> QuerySet[Sequence]:
    """Annotates each sequence with n_steps, n_enrolled, n_active, n_sent, n_replied,
    n_opted_out, n_emailed (enrollments sent at least one email) and n_emailed_replied, in one
    query."""
    enrollments = Enrollment.objects.filter(sequence=OuterRef("pk")).order_by()

    def count_enrollments(*conditions: Exists, **where: object) -> Coalesce:
        return Coalesce(
            Subquery(
                enrollments.filter(*conditions, **where)
                .values("sequence_id")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    sent = (
        SentMessage.objects.filter(
            enrollment__sequence=OuterRef("pk"), status=SentMessage.Status.SENT
        )
        .order_by()
        .values("enrollment__sequence")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return sequences.annotate(
        n_steps=Count("steps", distinct=True),
        n_enrolled=count_enrollments(),
        n_active=count_enrollments(status=Enrollment.Status.ACTIVE),
        n_replied=count_enrollments(status=Enrollment.Status.REPLIED),
        n_opted_out=count_enrollments(status=Enrollment.Status.OPTED_OUT),
        n_emailed=count_enrollments(_emailed()),
        n_emailed_replied=count_enrollments(_emailed(), status=Enrollment.Status.REPLIED),
        n_sent=Coalesce(Subquery(sent, output_field=IntegerField()), 0),
    )


@dataclass(frozen=True)
class StepFigures:
    position: int
    template: str
    sent: int
    replied: int  # the enrollments whose last email was this step, and who then replied
    opted_out: int
    bounced: int

    @property
    def reply_rate(self) -> Decimal | None:
        return rate(self.replied, self.sent)


@dataclass(frozen=True)
class SequenceFigures:
    enrolled: int
    active: int
    sent: int
    replied: int
    opted_out: int
    steps: list[StepFigures]
    replied_before_any_step: int
    emailed: int  # enrollments sent at least one step

    @property
    def replied_after_email(self) -> int:
        return self.replied - self.replied_before_any_step

    @property
    def reply_rate(self) -> Decimal | None:
        return sequence_reply_rate(self.replied_after_email, self.emailed)


def figures(sequence: Sequence) -> SequenceFigures:
    """The sequence's figures, step by step, in four queries whatever its size. A reply, an
    opt-out or a bounce counts against the last step sent before it."""
    by_status = dict(
        sequence.enrollments.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sent = dict(
        SentMessage.objects.filter(enrollment__sequence=sequence, status=SentMessage.Status.SENT)
        .order_by()
        .values_list("step__position")
        .annotate(n=Count("pk"))
        .values_list("step__position", "n")
    )
    ended: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    last_steps = (
        sequence.enrollments.filter(status__in=ENDED)
        .annotate(
            last=Subquery(
                SentMessage.objects.filter(
                    enrollment=OuterRef("pk"),
                    status=SentMessage.Status.SENT,
                    step__isnull=False,  # a step deleted since is no longer in the table
                )
                .order_by("-step__position")
                .values("step__position")[:1]
            )
        )
        .order_by()
        .values_list("last", "status")
        .annotate(n=Count("pk"))
    )
    for last, status, n in last_steps:
        ended[last][status] += n
    steps = [
        StepFigures(
            position=step.position,
            template=step.template.name,
            sent=sent.get(step.position, 0),
            replied=ended[step.position][Enrollment.Status.REPLIED],
            opted_out=ended[step.position][Enrollment.Status.OPTED_OUT],
            bounced=ended[step.position][Enrollment.Status.BOUNCED],
        )
        for step in sequence.steps.select_related("template").order_by("position")
    ]
    return SequenceFigures(
        enrolled=sum(by_status.values()),
        active=by_status.get(Enrollment.Status.ACTIVE, 0),
        sent=sum(sent.values()),
        replied=by_status.get(Enrollment.Status.REPLIED, 0),
        opted_out=by_status.get(Enrollment.Status.OPTED_OUT, 0),
        steps=steps,
        replied_before_any_step=ended[None][Enrollment.Status.REPLIED],
        emailed=sequence.enrollments.filter(_emailed()).count(),
    )
