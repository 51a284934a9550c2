"""The outreach report: which sequences, steps, templates and pitches get replies, and which
get opt-outs and bounces, with the counts behind every rate.

The figures are the sequence pages' (outreach/figures.py), so the two agree:
- what counts as sent is an email whose SentMessage is marked sent. An email the mail server
  refused at once is not sent: its enrollment's bounce counts against the email before it, and
  a first email refused is in no count, as on the sequence page. A bounce read from the mailbox
  after the last step stops nothing (the enrollment had completed) and is not counted either;
- a reply, an opt-out or a bounce is how the enrollment ended, and it counts against the last
  email sent before it: the enrollment's sent email of the highest step position (one whose
  step was deleted since ranks below the others, as the sequence page leaves it out);
- a sequence's (and a motivator's) rates are per enrollment: of the enrollments emailed, the
  share whose last email was answered by a reply; a step's and a template's are per email: of
  the emails sent, the share that were the last before a reply.

The dates are those of the emails sent: an enrollment is counted among those emailed in the
period if it was sent an email then, and its reply, opt-out or bounce in the period its last
email was sent. The role, level and zone are those of the enrollment's application (an
enrollment without one is counted only when none of them is asked for, and never for a hiring
manager, who sees their roles' enrollments only); the owner is the candidate's owner.

A candidate's top motivator is the motivator they weigh most (0 to 5), ties going to the one
listed first in candidates.models.MOTIVATORS, as outreach.rendering.pitch_for chooses the
pitch: someone whose motivators all weigh the same is counted under Pay, whose pitch they got.
(The pitch itself is the heaviest motivator the template has a paragraph for: with a template
that has a paragraph for each, the top motivator names the pitch sent.) There are no amounts
in this report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from candidates.models import MOTIVATORS
from recruiting.outreach.figures import ENDED, rate
from recruiting.outreach.models import Enrollment, SentMessage

from .base import COUNT, RATE, Bar, BarChart, Column, ReportSpec, Scope, Table
from .scoping import application_filter

# A motivator field's key ("pay") and its label ("Pay"), in the order that breaks ties.
MOTIVATOR_LABELS = {field.removeprefix("motivator_"): label for field, label in MOTIVATORS}
MOTIVATOR_ORDER = {key: i for i, key in enumerate(MOTIVATOR_LABELS)}

ATTRIBUTION = (
    "A reply, an opt-out or a bounce counts against the last email sent before it, as on the "
    "sequence's page, and in the period that email was sent."
)


def _enrollment_filter(scope: Scope) -> Q:
    """The enrollments the filters name and the person sees: role, level and zone through the
    enrollment's application, the owner through its candidate."""
    without_owner = replace(scope, filters=replace(scope.filters, owner=None))
    where = application_filter(without_owner, "enrollment__application__")
    if scope.filters.owner:
        where &= Q(enrollment__candidate__owner_id=scope.filters.owner)
    return where


def _top_motivator() -> Case:
    """The key of the candidate's heaviest motivator, the first listed on a tie."""
    fields = [f"enrollment__candidate__{field}" for field, _ in MOTIVATORS]
    heaviest = Greatest(*(F(field) for field in fields))
    return Case(
        *(
            When(**{field: heaviest}, then=Value(key))
            for field, key in zip(fields, MOTIVATOR_LABELS, strict=True)
        ),
        output_field=CharField(),
    )


def sent_emails(scope: Scope) -> QuerySet[SentMessage]:
    """The emails sent in the period to the enrollments in scope."""
    f = scope.filters
    return SentMessage.objects.filter(
        _enrollment_filter(scope),
        status=SentMessage.Status.SENT,
        sent_at__gte=f.starts,
        sent_at__lt=f.ends,
    ).order_by()


def _rank() -> Coalesce:
    """Where an email stands among its enrollment's: by its step's position, an email of a
    step deleted since before the others (as the sequence page leaves it out)."""
    return Coalesce(F("step__position"), Value(0))


def last_before_an_end(emails: QuerySet[SentMessage]) -> QuerySet[SentMessage]:
    """Of `emails`, those after which the enrollment replied, opted out or bounced: the last
    email sent to an enrollment that ended so. Written as "no email of the enrollment comes
    after it" (an anti-join, read once) rather than a subquery a row."""
    later = (
        SentMessage.objects.filter(
            enrollment_id=OuterRef("enrollment_id"), status=SentMessage.Status.SENT
        )
        .annotate(rank=_rank())
        .filter(
            Q(rank__gt=OuterRef("rank"))
            | Q(rank=OuterRef("rank"), sent_at__gt=OuterRef("sent_at"))
            | Q(rank=OuterRef("rank"), sent_at=OuterRef("sent_at"), pk__gt=OuterRef("pk"))
        )
    )
    return emails.filter(enrollment__status__in=ENDED).annotate(rank=_rank()).filter(~Exists(later))


# How an enrollment ended, and the key of its count in a row.
OUTCOMES = {
    Enrollment.Status.REPLIED: "replied",
    Enrollment.Status.OPTED_OUT: "opted_out",
    Enrollment.Status.BOUNCED: "bounced",
}


def _counted(emails: QuerySet[SentMessage], **by: Any) -> list[dict[str, Any]]:
    """A row for each value of `by` (names and expressions, as values() takes them): the emails
    sent (n_sent), the enrollments they went to (n_emailed), and how many of those replied,
    opted out or bounced after them. Two queries."""

    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name] for name in by)

    sent: list[dict[str, Any]] = [
        {**row, **dict.fromkeys(OUTCOMES.values(), 0)}
        for row in emails.values(**by).annotate(
            n_sent=Count("pk"), n_emailed=Count("enrollment_id", distinct=True)
        )
    ]
    rows = {key(row): row for row in sent}
    ends = (
        last_before_an_end(emails)
        .values(**by, ended=F("enrollment__status"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for end in ends:
        # An email that ended its enrollment is one of the emails sent: its row is there.
        rows[key(end)][OUTCOMES[end["ended"]]] = end["n"]
    return sent


def _with_rates(row: Mapping[str, Any], whole: str) -> dict[str, Any]:
    """The row with its reply, opt-out and bounce rates, out of the count named `whole`."""
    n = row[whole]
    return {
        **row,
        "reply_rate": rate(row["replied"], n),
        "opt_out_rate": rate(row["opted_out"], n),
        "bounce_rate": rate(row["bounced"], n),
    }


def _outcome_columns(whole: str) -> list[Column]:
    return [
        Column("replied", "Replied", COUNT),
        Column("reply_rate", "Reply rate", RATE, of=whole),
        Column("opted_out", "Opted out", COUNT),
        Column("opt_out_rate", "Opt-out rate", RATE, of=whole),
        Column("bounced", "Bounced", COUNT),
        Column("bounce_rate", "Bounce rate", RATE, of=whole),
    ]


PER_ENROLLMENT = [
    Column("n_sent", "Emails sent", COUNT),
    Column("n_emailed", "Enrollments emailed", COUNT),
    *_outcome_columns("n_emailed"),
]
PER_EMAIL = [Column("n_sent", "Emails sent", COUNT), *_outcome_columns("n_sent")]


def _by_sequence(emails: QuerySet[SentMessage]) -> Table:
    counted = _counted(emails, sequence=F("enrollment__sequence__name"))
    rows = [_with_rates(row, "n_emailed") for row in sorted(counted, key=lambda r: r["sequence"])]
    chart = BarChart(
        "Reply rate by sequence",
        [Bar(row["sequence"], float(row["reply_rate"] or 0)) for row in rows],
        kind=RATE,
    )
    return Table(
        "sequences",
        "By sequence",
        [Column("sequence", "Sequence"), *PER_ENROLLMENT],
        rows,
        note="Rates are of the enrollments sent an email in the period (someone enrolled twice "
        "counts twice). " + ATTRIBUTION,
        chart=chart,
    )


def _by_step(emails: QuerySet[SentMessage]) -> Table:
    counted = _counted(
        emails.filter(step__isnull=False),
        sequence=F("step__sequence__name"),
        position=F("step__position"),
        template=F("step__template__name"),
    )
    rows = [
        _with_rates(row, "n_sent")
        for row in sorted(counted, key=lambda r: (r["sequence"], r["position"]))
    ]
    return Table(
        "steps",
        "By step",
        [
            Column("sequence", "Sequence"),
            Column("position", "Step"),
            Column("template", "Template"),
            *PER_EMAIL,
        ],
        rows,
        note="Rates are of the emails the step sent. " + ATTRIBUTION + " An email of a step "
        "deleted since is in no step.",
    )


def _by_template(emails: QuerySet[SentMessage]) -> Table:
    counted = _counted(emails.filter(step__isnull=False), template=F("step__template__name"))
    rows = [_with_rates(row, "n_sent") for row in sorted(counted, key=lambda r: r["template"])]
    return Table(
        "templates",
        "By template",
        [Column("template", "Template"), *PER_EMAIL],
        rows,
        note="Rates are of the emails sent with the template, in whichever sequence and step. "
        + ATTRIBUTION,
    )


def _motivator_rows(emails: QuerySet[SentMessage], **by: Any) -> list[dict[str, Any]]:
    counted = _counted(emails, **by, top=_top_motivator())
    counted.sort(key=lambda row: ([row[key] for key in by], MOTIVATOR_ORDER[row["top"]]))
    rows = [_with_rates(row, "n_emailed") for row in counted]
    for row in rows:
        row["motivator"] = MOTIVATOR_LABELS[row.pop("top")]
    return rows


MOTIVATOR_NOTE = (
    "A candidate's top motivator is the one they weigh most; on a tie, the one listed first "
    "(Pay, team lead, quality of work, research freedom, publishing, ethics and impact, "
    "location), as the pitch paragraph is chosen: someone who weighs all the same is under Pay. "
    "Rates are of the enrollments sent an email in the period. "
)


def _by_motivator(emails: QuerySet[SentMessage]) -> Table:
    rows = _motivator_rows(emails)
    return Table(
        "motivators",
        "By the candidate's top motivator",
        [Column("motivator", "Top motivator"), *PER_ENROLLMENT],
        rows,
        note=MOTIVATOR_NOTE + ATTRIBUTION,
    )


def _by_sequence_and_motivator(emails: QuerySet[SentMessage]) -> Table:
    rows = _motivator_rows(emails, sequence=F("enrollment__sequence__name"))
    return Table(
        "sequence_motivators",
        "Which pitch works for whom: sequence by top motivator",
        [Column("sequence", "Sequence"), Column("motivator", "Top motivator"), *PER_ENROLLMENT],
        rows,
        note=MOTIVATOR_NOTE + ATTRIBUTION,
    )


def build(scope: Scope) -> list[Table]:
    """Five tables, two queries each."""
    emails = sent_emails(scope)
    return [
        _by_sequence(emails),
        _by_step(emails),
        _by_template(emails),
        _by_motivator(emails),
        _by_sequence_and_motivator(emails),
    ]


OUTREACH = ReportSpec(
    slug="outreach",
    title="Outreach",
    summary="Reply, opt-out and bounce rates by sequence, step, template and the candidate's "
    "top motivator: which pitch works for whom.",
    build=build,
    filters=("dates", "role", "level", "zone", "owner"),
)
