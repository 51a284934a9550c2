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

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest, Mod

from candidates.models import MOTIVATORS
from recruiting.outreach.figures import rate
from recruiting.outreach.models import Enrollment, SentMessage, Sequence

from .base import COUNT, RATE, Bar, BarChart, Column, ReportSpec, Scope, Table
from .scoping import application_filter

# A motivator field's key ("pay") and its label ("Pay"), in the order that breaks ties.
MOTIVATOR_LABELS = {field.removeprefix("motivator_"): label for field, label in MOTIVATORS}
MOTIVATOR_ORDER = {key: i for i, key in enumerate(MOTIVATOR_LABELS)}
MOTIVATOR_KEYS = list(MOTIVATOR_LABELS)

ATTRIBUTION = (
    "A reply, an opt-out or a bounce counts against the last email sent before it, as on the "
    "sequence's page, and in the period that email was sent."
)


def _enrollment_filter(scope: Scope, prefix: str = "enrollment__") -> Q:
    """The enrollments (reached through `prefix`, "" from an enrollment) the filters name and
    the person sees: role, level and zone through the enrollment's application, the owner
    through its candidate."""
    without_owner = replace(scope, filters=replace(scope.filters, owner=None))
    where = application_filter(without_owner, f"{prefix}application__")
    if scope.filters.owner:
        where &= Q(**{f"{prefix}candidate__owner_id": scope.filters.owner})
    return where


# The top motivator is read from one GREATEST of (weight × 8 + a tie-breaker): the tie-breaker
# is 7 for the motivator listed first down to 1 for the last, so the weight decides and a tie
# goes to the one listed first, and the remainder by 8 says which it is. (A CASE testing each
# motivator against the GREATEST of the weights computes that GREATEST again at each branch:
# tens of milliseconds at 100,000 candidates.)
assert len(MOTIVATORS) < 8
TIE_BREAKERS = len(MOTIVATORS)


def _top_motivator() -> Mod:
    """The tie-breaker of the enrollment's candidate's heaviest motivator, the first listed on a
    tie (read it with _motivator_key)."""
    weighed = (
        F(f"candidate__{field}") * 8 + (TIE_BREAKERS - i) for i, (field, _) in enumerate(MOTIVATORS)
    )
    return Mod(
        Greatest(*weighed, output_field=IntegerField()), Value(8), output_field=IntegerField()
    )


def _motivator_key(tie_breaker: float) -> str:
    # SQLite's MOD (Django's) answers a float.
    return MOTIVATOR_KEYS[TIE_BREAKERS - int(tie_breaker)]


def sent_emails(scope: Scope) -> QuerySet[SentMessage]:
    """The emails sent in the period to the enrollments in scope."""
    f = scope.filters
    return SentMessage.objects.filter(
        _enrollment_filter(scope),
        status=SentMessage.Status.SENT,
        sent_at__gte=f.starts,
        sent_at__lt=f.ends,
    ).order_by()


# How an enrollment ended, and the key of its count in a row.
OUTCOMES = {
    Enrollment.Status.REPLIED: "replied",
    Enrollment.Status.OPTED_OUT: "opted_out",
    Enrollment.Status.BOUNCED: "bounced",
}


def _enrollment_groups(scope: Scope) -> list[dict[str, Any]]:
    """The enrollments in scope grouped by sequence, top motivator and the step of their last
    email: the emails sent in the period (n_sent), the enrollments sent one (n_emailed), and
    those that replied, opted out or bounced after their last email, when it was sent in the
    period. One query.

    An enrollment's last email (its step and when it went) is kept on it as its emails are
    recorded sent (outreach.services.note_last_emails): ranked here among 168,000 emails by a
    window, it took most of the page's time. The emails sent in the period are counted by
    enrollment and joined to the enrollments, which are grouped with their sequence, status
    and candidate's top motivator: SQL written here, read the same by PostgreSQL and SQLite.
    Each enrollment is in one group, so every count, the enrollments emailed too, adds up
    across groups."""
    f = scope.filters
    emails, email_params = (
        SentMessage.objects.filter(
            status=SentMessage.Status.SENT, sent_at__gte=f.starts, sent_at__lt=f.ends
        )
        .order_by()
        .values("enrollment_id")
        .annotate(n=Count("pk"))
        .query.sql_with_params()
    )
    enrollments, enrollment_params = (
        Enrollment.objects.filter(_enrollment_filter(scope, ""), last_email_at__isnull=False)
        .order_by()
        .values(
            "id",
            "status",
            "sequence_id",
            "last_email_step_id",
            motivator=_top_motivator(),
            last_in_period=Case(
                When(last_email_at__gte=f.starts, last_email_at__lt=f.ends, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .query.sql_with_params()
    )
    ended = ", ".join(
        f"SUM(CASE WHEN en.last_in_period = 1 AND en.status = %s THEN 1 ELSE 0 END) AS {key}"
        for key in OUTCOMES.values()
    )
    outcomes = ", ".join(f"g.{key}" for key in OUTCOMES.values())
    # Grouped by the sequence's id, its name read after: a name in each of the rows grouped
    # costs more than the join of the few groups to their sequences.
    sql = f"""
        SELECT s.name, g.motivator, g.last_step, g.n_sent, g.n_emailed, {outcomes}
        FROM (
            SELECT en.sequence_id, en.motivator, en.last_email_step_id AS last_step,
                SUM(COALESCE(pe.n, 0)) AS n_sent, COUNT(pe.enrollment_id) AS n_emailed, {ended}
            FROM ({enrollments}) en
            LEFT JOIN ({emails}) pe ON pe.enrollment_id = en.id
            GROUP BY en.sequence_id, en.motivator, en.last_email_step_id
        ) g
        JOIN {connection.ops.quote_name(Sequence._meta.db_table)} s
            ON s.id = g.sequence_id
    """
    params = [*OUTCOMES, *enrollment_params, *email_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {
                "sequence": sequence,
                "top": _motivator_key(motivator),
                "step": step,
                # PostgreSQL's SUM of a count is a numeric: counted here as the int it is.
                "n_sent": int(n_sent),
                "n_emailed": int(n_emailed),
                **{key: int(n) for key, n in zip(OUTCOMES.values(), outcomes, strict=True)},
            }
            for sequence, motivator, step, n_sent, n_emailed, *outcomes in cursor.fetchall()
        ]


COUNTS = ("n_sent", "n_emailed", *OUTCOMES.values())


def _summed(groups: Iterable[Mapping[str, Any]], *by: str) -> list[dict[str, Any]]:
    """The groups' counts added up for each value of `by`, where an email was sent in the
    period."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for group in groups:
        key = tuple(group[name] for name in by)
        row = sums.setdefault(key, {**dict(zip(by, key, strict=True)), **dict.fromkeys(COUNTS, 0)})
        for count in COUNTS:
            row[count] += group[count]
    return [row for row in sums.values() if row["n_sent"]]


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


def _by_sequence(groups: list[dict[str, Any]]) -> Table:
    counted = _summed(groups, "sequence")
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


def _step_rows(scope: Scope, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A row for each step that sent an email in the period: the emails it sent (one query),
    and the outcomes after its emails (from the groups, by the step of the last email).
    An outcome counts only after an email sent in the period, so its step has a row."""
    steps = (
        sent_emails(scope)
        .filter(step__isnull=False)
        .values(
            "step_id",
            sequence=F("step__sequence__name"),
            position=F("step__position"),
            template=F("step__template__name"),
        )
        .annotate(n_sent=Count("pk"))
    )
    rows = {
        step["step_id"]: {
            "sequence": step["sequence"],
            "position": step["position"],
            "template": step["template"],
            "n_sent": step["n_sent"],
            **dict.fromkeys(OUTCOMES.values(), 0),
        }
        for step in steps
    }
    for group in groups:
        if group["step"] is not None:
            for outcome in OUTCOMES.values():
                if group[outcome]:
                    rows[group["step"]][outcome] += group[outcome]
    return sorted(rows.values(), key=lambda r: (r["sequence"], r["position"]))


def _by_step(step_rows: list[dict[str, Any]]) -> Table:
    return Table(
        "steps",
        "By step",
        [
            Column("sequence", "Sequence"),
            Column("position", "Step"),
            Column("template", "Template"),
            *PER_EMAIL,
        ],
        [_with_rates(row, "n_sent") for row in step_rows],
        note="Rates are of the emails the step sent. " + ATTRIBUTION + " An email of a step "
        "deleted since is in no step.",
    )


def _by_template(step_rows: list[dict[str, Any]]) -> Table:
    counted: dict[str, dict[str, Any]] = {}
    for step in step_rows:
        row = counted.setdefault(
            step["template"],
            {"template": step["template"], "n_sent": 0, **dict.fromkeys(OUTCOMES.values(), 0)},
        )
        for count in ("n_sent", *OUTCOMES.values()):
            row[count] += step[count]
    rows = [
        _with_rates(row, "n_sent") for row in sorted(counted.values(), key=lambda r: r["template"])
    ]
    return Table(
        "templates",
        "By template",
        [Column("template", "Template"), *PER_EMAIL],
        rows,
        note="Rates are of the emails sent with the template, in whichever sequence and step. "
        + ATTRIBUTION,
    )


def _motivator_rows(groups: list[dict[str, Any]], *by: str) -> list[dict[str, Any]]:
    counted = _summed(groups, *by, "top")
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


def _by_motivator(groups: list[dict[str, Any]]) -> Table:
    rows = _motivator_rows(groups)
    return Table(
        "motivators",
        "By the candidate's top motivator",
        [Column("motivator", "Top motivator"), *PER_ENROLLMENT],
        rows,
        note=MOTIVATOR_NOTE + ATTRIBUTION,
    )


def _by_sequence_and_motivator(groups: list[dict[str, Any]]) -> Table:
    rows = _motivator_rows(groups, "sequence")
    return Table(
        "sequence_motivators",
        "Which pitch works for whom: sequence by top motivator",
        [Column("sequence", "Sequence"), Column("motivator", "Top motivator"), *PER_ENROLLMENT],
        rows,
        note=MOTIVATOR_NOTE + ATTRIBUTION,
    )


def build(scope: Scope) -> list[Table]:
    """Five tables from two queries: the enrollments grouped by sequence, top motivator and
    the step of their last email (a few rows a sequence), summed here for each table; and the
    emails each step sent."""
    groups = _enrollment_groups(scope)
    steps = _step_rows(scope, groups)
    return [
        _by_sequence(groups),
        _by_step(steps),
        _by_template(steps),
        _by_motivator(groups),
        _by_sequence_and_motivator(groups),
    ]


OUTREACH = ReportSpec(
    slug="outreach",
    title="Outreach",
    summary="Reply, opt-out and bounce rates by sequence, step, template and the candidate's "
    "top motivator: which pitch works for whom.",
    build=build,
    filters=("dates", "role", "level", "zone", "owner"),
)
