"""The offers report: how often our offers are accepted and how fast they are signed, how often
and how far they go above the band, how long each step of the approval chain takes to decide,
and what accepted offers commit us to in signing and retention bonuses, quarter by quarter.

Each offer here is one version sent to a candidate. The dates are those of sending for the
outcomes, the signatures and the band; of asking for the approvals (an approval still waiting
belongs to an offer not sent yet); and of acceptance for the spend. Amounts are the figures
kept on each offer (offers/figures.py), in the reporting currency at the rate it was sent at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncQuarter

from candidates.models import Level
from offers.models import Approval, Offer
from recruiting.lib.aggregates import Days, Median, Percentile

from .base import (
    COUNT,
    DAYS,
    DERIVED,
    MONEY,
    RATE,
    Bar,
    BarChart,
    Column,
    ReportSpec,
    Scope,
    Table,
    share,
)
from .scoping import application_filter

S = Offer.Status
# An offer that ended other than by a revision: the candidate said yes or no, or it lapsed.
DECIDED = (S.ACCEPTED, S.DECLINED, S.EXPIRED, S.RESCINDED)
LEVELS = dict(Level.choices)
ALL_LEVELS, ALL_ROLES = "All levels", "All roles"
ABOVE = Q(report_above_band__gt=0)


def _sent(scope: Scope) -> QuerySet[Offer]:
    """The offers (versions) sent in the dates, of the roles the filters name and the person
    sees."""
    f = scope.filters
    return Offer.objects.filter(
        application_filter(scope, "application__"), sent_at__gte=f.starts, sent_at__lt=f.ends
    )


def _level_order(level: str) -> int:
    return list(LEVELS).index(level) if level in LEVELS else len(LEVELS)


def only(condition: Q, expression: Any) -> Case:
    """`expression` on the rows that meet `condition`, NULL (which a percentile skips) on the
    others: a percentile of some rows, the same on PostgreSQL and the embedded demo's SQLite."""
    return Case(When(condition, then=expression))


def _money(value: float | Decimal | None) -> Decimal | None:
    """A percentile (PostgreSQL's percentile_cont gives a float) as an amount in cents."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# The signatures' and the band's figures (level_figures): overall, then by level in the levels'
# order.
LevelFigures = tuple[dict[str, Any], list[Mapping[str, Any]]]


# --- 1. Outcomes ----------------------------------------------------------------------------

OUTCOMES = {
    "sent": Count("pk"),
    "accepted": Count("pk", filter=Q(status=S.ACCEPTED)),
    "declined": Count("pk", filter=Q(status=S.DECLINED)),
    "lapsed": Count("pk", filter=Q(status__in=(S.EXPIRED, S.RESCINDED))),
    "revised": Count("pk", filter=Q(status=S.SUPERSEDED)),
    "open": Count("pk", filter=Q(status=S.SENT)),
    "decided": Count("pk", filter=Q(status__in=DECIDED)),
}


def _outcome_row(level: str, role: str, counts: Mapping[str, Any]) -> dict[str, Any]:
    row = {"level": level, "role": role, **{key: counts[key] for key in OUTCOMES}}
    row["acceptance"] = share(counts["accepted"], counts["decided"])
    return row


def _summed(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The outcomes of several groups together: each is a count, so they add up."""
    return {key: sum(row[key] for row in rows) for key in OUTCOMES}


def outcomes(scope: Scope) -> Table:
    """Overall, then each level followed by its roles. One query, by role: a level's counts and
    the overall ones are the sums of its roles' (each offer has one role, and one level)."""
    by_role = list(
        _sent(scope)
        .values(
            "application__role__level",
            "application__role_id",
            "application__role__title",
            "application__role__city",
        )
        .annotate(**OUTCOMES)
        .order_by("application__role__title", "application__role__city", "application__role_id")
    )
    overall = _summed(by_role)
    levels = {role["application__role__level"] for role in by_role}
    rows = [_outcome_row(ALL_LEVELS, ALL_ROLES, overall)] if overall["sent"] else []
    for level in sorted(levels, key=_level_order):
        of_level = [role for role in by_role if role["application__role__level"] == level]
        rows.append(_outcome_row(LEVELS.get(level, level), ALL_ROLES, _summed(of_level)))
        rows += [
            _outcome_row(
                LEVELS.get(level, level),
                f"{role['application__role__title']}, {role['application__role__city']}",
                role,
            )
            for role in of_level
        ]
    return Table(
        key="outcomes",
        title="Offers sent and their outcomes",
        columns=[
            Column("level", "Level"),
            Column("role", "Role"),
            Column("sent", "Sent", COUNT),
            Column("accepted", "Accepted", COUNT),
            Column("declined", "Declined", COUNT),
            Column("lapsed", "Expired or withdrawn", COUNT),
            Column("revised", "Revised", COUNT),
            Column("open", "Still open", COUNT),
            Column("acceptance", "Acceptance rate", RATE, of="decided"),
        ],
        rows=rows,
        note="Each version sent in the dates counts once. Accepted of those decided: accepted, "
        "declined, expired or withdrawn (rescinded). A version revised and sent again is "
        "counted as revised, not decided: its revision carries the answer. Still open: with "
        "the candidate.",
    )


# --- 2. Time to signature -------------------------------------------------------------------


def _signature_row(level: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "level": level,
        "signed": figures["signed"],
        "median": figures["median"],
        "p90": figures["p90"],
    }


# Over the offers sent, joined (left) to their signature: an unsigned offer's days are NULL,
# which the count and the percentiles skip.
SIGNED_DAYS = Days(F("signature__signed_at"), F("sent_at"))
SIGNATURES = {
    "signed": Count("signature"),
    "median": Median(SIGNED_DAYS),
    "p90": Percentile(SIGNED_DAYS, 0.9),
}


def signatures(figures: LevelFigures) -> Table:
    overall, by_level = figures
    rows = [_signature_row(ALL_LEVELS, overall)] if overall["signed"] else []
    rows += [
        _signature_row(LEVELS.get(row["application__role__level"], ""), row)
        for row in by_level
        if row["signed"]
    ]
    return Table(
        key="signatures",
        title="Time to signature",
        columns=[
            Column("level", "Level"),
            Column("signed", "Signed", COUNT),
            Column("median", "Median", DAYS),
            Column("p90", "90th percentile", DAYS),
        ],
        rows=rows,
        note="From sending to the candidate's electronic signature, for the offers sent in the "
        "dates that were signed. An acceptance recorded by a recruiter has no signature and "
        "is not counted here.",
    )


# --- 3. Above the band ----------------------------------------------------------------------

SHARE_ABOVE = ExpressionWrapper(
    F("report_above_band") * Value(Decimal(100)) / F("report_band_max"),
    output_field=DecimalField(max_digits=20, decimal_places=6),
)
BAND = {
    "sent": Count("pk"),
    "banded": Count("pk", filter=Q(report_band_max__isnull=False)),
    "above": Count("pk", filter=ABOVE),
    "median_above": Median(only(ABOVE, F("report_above_band"))),
    "max_above": Max("report_above_band", filter=ABOVE),
    "median_share": Median(only(ABOVE & Q(report_band_max__gt=0), SHARE_ABOVE)),
}


def _band_row(level: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "level": level,
        "sent": figures["sent"],
        "banded": figures["banded"],
        "above": figures["above"],
        "above_rate": share(figures["above"], figures["banded"]),
        "median_above": _money(figures["median_above"]),
        "max_above": figures["max_above"],
        "median_share": _money(figures["median_share"]),
    }


def above_band(figures: LevelFigures) -> Table:
    overall, by_level = figures
    rows = [_band_row(ALL_LEVELS, overall)] if overall["sent"] else []
    rows += [_band_row(LEVELS.get(row["application__role__level"], ""), row) for row in by_level]
    return Table(
        key="band",
        title="Above the band",
        columns=[
            Column("level", "Level"),
            Column("sent", "Sent", COUNT),
            Column("banded", "With a band", COUNT),
            Column("above", "Above band", COUNT),
            Column("above_rate", "Above band, rate", RATE, of="banded"),
            Column("median_above", "Median above band by", MONEY),
            Column("max_above", "Most above band by", MONEY),
            Column("median_share", "Median above band by (% of band max)", DERIVED),
        ],
        rows=rows,
        note="The offers sent in the dates, against the band of their role's family, level and "
        "zone (total compensation, one-time pay spread over the band's horizon), as valued "
        "when sent. The rate is of those whose role has a band; the medians, the most and "
        "the share of the band's max are of those above it.",
    )


# --- 2 and 3 together ----------------------------------------------------------------------


def level_figures(scope: Scope) -> LevelFigures:
    """The signatures' and the band's figures of the offers sent, overall and by level: two
    queries for both tables, as each query by level joins the applications (the costly part
    at scale) and their percentiles cannot be summed from smaller groups. With a single level
    (the level filter), that level's figures are the overall ones: one query."""
    sent = _sent(scope)
    figures = {**SIGNATURES, **BAND}
    by_level: list[Mapping[str, Any]] = sorted(
        sent.values("application__role__level").annotate(**figures).order_by(),
        key=lambda r: _level_order(r["application__role__level"]),
    )
    overall: dict[str, Any] = dict(by_level[0]) if len(by_level) == 1 else sent.aggregate(**figures)
    return overall, by_level


# --- 4. Approvals ---------------------------------------------------------------------------


def approvals(scope: Scope) -> Table:
    f = scope.filters
    asked = Approval.objects.filter(
        application_filter(scope, "offer__application__"),
        requested_at__gte=f.starts,
        requested_at__lt=f.ends,
    ).exclude(status=Approval.Status.QUEUED)
    decided = Q(decided_at__isnull=False)
    waiting = Q(status=Approval.Status.PENDING)
    days = only(decided, Days(F("decided_at"), F("requested_at")))
    rows = (
        asked.values("step", "group__name")
        .annotate(
            decided=Count("pk", filter=decided),
            approved=Count("pk", filter=Q(status=Approval.Status.APPROVED)),
            rejected=Count("pk", filter=Q(status=Approval.Status.REJECTED)),
            median=Median(days),
            p90=Percentile(days, 0.9),
            waiting=Count("pk", filter=waiting),
            longest=Max(Days(Value(scope.now), F("requested_at")), filter=waiting),
        )
        .order_by("step", "group__name")
    )
    return Table(
        key="approvals",
        title="Approvals: time to decision by step",
        columns=[
            Column("step", "Step", COUNT),
            Column("group__name", "Approvers"),
            Column("decided", "Decided", COUNT),
            Column("approved", "Approved", COUNT),
            Column("rejected", "Rejected", COUNT),
            Column("median", "Median to decision", DAYS),
            Column("p90", "90th percentile to decision", DAYS),
            Column("waiting", "Still waiting", COUNT),
            Column("longest", "Longest waiting so far", DAYS),
        ],
        rows=[dict(row) for row in rows],
        note="The approvals asked in the dates (a step is asked when the step before it is "
        "approved), by step of the chain and approving group: from being asked to the "
        "decision. A step not asked yet is not counted; those withdrawn with their offer "
        "(rejected at another step, revised, rescinded) are gone.",
    )


# --- 5. Spend by quarter --------------------------------------------------------------------


def _quarter(start: datetime) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def spend(scope: Scope) -> Table:
    f = scope.filters
    accepted = Offer.objects.filter(
        application_filter(scope, "application__"),
        status=S.ACCEPTED,
        closed_at__gte=f.starts,
        closed_at__lt=f.ends,
    )
    quarters = list(
        accepted.annotate(quarter=TruncQuarter("closed_at"))
        .values("quarter")
        .annotate(
            accepted=Count("pk"),
            unvalued=Count("pk", filter=Q(report_rate__isnull=True)),
            signing=Sum("report_signing_total"),
            retention=Sum("report_retention_total"),
            total=Sum(F("report_signing_total") + F("report_retention_total")),
        )
        .order_by("quarter")
    )
    rows = [{**q, "quarter": _quarter(q["quarter"])} for q in quarters]
    unvalued = sum(q["unvalued"] for q in quarters)
    note = (
        "The offers accepted in the dates, by the quarter of their acceptance: their signing "
        "and retention bonuses, every instalment, in the reporting currency at the rate each "
        "offer was sent at."
    )
    if unvalued:
        note += f" {unvalued} of them not valued yet (no exchange rate) are not in the sums."
    return Table(
        key="spend",
        title="Signing and retention spend by quarter of acceptance",
        columns=[
            Column("quarter", "Quarter"),
            Column("accepted", "Accepted", COUNT),
            Column("signing", "Signing bonuses", MONEY),
            Column("retention", "Retention bonuses", MONEY),
            Column("total", "Together", MONEY),
        ],
        rows=rows,
        note=note,
        chart=BarChart(
            "Signing and retention bonuses committed",
            [Bar(row["quarter"], float(row["total"] or 0)) for row in rows],
            kind=MONEY,
        ),
    )


def build(scope: Scope) -> list[Table]:
    by_level = level_figures(scope)
    return [
        outcomes(scope),
        signatures(by_level),
        above_band(by_level),
        approvals(scope),
        spend(scope),
    ]


REPORT = ReportSpec(
    slug="offers",
    title="Offers",
    summary="Acceptance, time to signature, how often and how far offers go above the band, "
    "the approval chain's time to decision, and signing and retention spend by quarter.",
    build=build,
    filters=("dates", "role", "level", "zone", "owner"),
)

__all__ = ["REPORT", "build"]
