"""The funnel: how the applications that entered the pipeline in the dates moved through it (how
many reached each stage, and what share of the stage before), how long an application stays in
a stage, how long from first contact to an offer and from an offer to its answer, and which
applications are stale now.

An application reached a stage when it entered it or any later stage of its role's pipeline
(the furthest stage it entered, its Lost stage aside): one moved from Sourced straight to
Screen passed Contacted and Replied on its way, so each stage's count holds those of the stages
after it and a rate from the stage before is never above 100%. Every figure is computed by the
database, except that the conversion tables add up its counts of applications by role, source
and furthest stage (a few thousand grouped rows at most: roles x sources x stages), which the
three tables share rather than each grouping the 950,000 changes again. No figure here is an
amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Lead

from candidates.models import Candidate
from offers.models import Offer
from recruiting.lib.aggregates import Days
from recruiting.outreach.models import SentMessage
from recruiting.pipeline.models import CLOSING_KINDS, Application, Stage, StageChange
from recruiting.pipeline.selectors import stale_condition

from .base import COUNT, DAYS, RATE, TEXT, Bar, BarChart, Column, ReportSpec, Scope, Table, share
from .scoping import application_filter

# The steps every pipeline shares, in their order: what lets roles with pipelines of their own
# be counted together (by source, overall). Other steps are each role's own, and Lost is no step.
KINDS = (
    Stage.Kind.SOURCED,
    Stage.Kind.CONTACTED,
    Stage.Kind.REPLIED,
    Stage.Kind.SCREEN,
    Stage.Kind.INTERVIEWS,
    Stage.Kind.OFFER,
    Stage.Kind.HIRED,
)

REACHED = Column("reached", "Reached", COUNT)
FROM_PREVIOUS = Column("from_previous", "From the stage before", RATE, of="previous")
FROM_FIRST = Column("from_first", "Of those who entered", RATE, of="entered")
MEDIAN = Column("median", "Median", DAYS)
P90 = Column("p90", "90th percentile", DAYS)
N = Column("n", "Stays", COUNT)


# --- Conversion ----------------------------------------------------------------------------


def _reach(scope: Scope) -> tuple[list[dict[str, Any]], list[tuple[int, str, int | None, int]]]:
    """The stages (Lost aside) of the roles with applications that entered the pipeline in the
    dates, in each role's order; and those applications counted by role, candidate source and
    `furthest`, the position of the furthest stage each entered (None for none).

    The furthest stage is one MAX per application over a join of its changes, grouped by the
    database once for the three conversion tables (a subquery per application, repeated in
    each step's condition, took minutes at 300,000 applications)."""
    f = scope.filters
    cohort = Application.objects.filter(
        application_filter(scope), created_at__gte=f.starts, created_at__lt=f.ends
    )
    lost = Stage.objects.filter(kind=Stage.Kind.LOST).values("pk")
    # Each application's changes grouped first (in the order of the application's index), then
    # joined to its application: an application with no change has no furthest stage.
    furthest = (
        StageChange.objects.exclude(to_stage__in=lost)
        .order_by()
        .values("application_id")
        .annotate(furthest=Max("to_stage__position"))
    )
    applications, params = (
        cohort.order_by().values("pk", "role_id", "candidate__source").query.sql_with_params()
    )
    changes, more = furthest.query.sql_with_params()
    sql = (
        f"SELECT a.role_id, a.candidate__source, f.furthest, COUNT(*) FROM ({applications}) a "
        f"LEFT JOIN ({changes}) f ON f.application_id = a.pk "
        f"GROUP BY a.role_id, a.candidate__source, f.furthest"
    )
    params = (*params, *more)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = cursor.fetchall()
    stages: list[dict[str, Any]] = [
        dict(stage)
        for stage in Stage.objects.filter(role__in={role for role, *_ in counts})
        .exclude(kind=Stage.Kind.LOST)
        .order_by("role__title", "role__city", "role_id", "position")
        .values("role_id", "role__title", "role__city", "name", "kind", "position")
    ]
    return stages, counts


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["from_previous"] = share(row["reached"], row["previous"])
    row["from_first"] = share(row["reached"], row["entered"])
    return row


def _by_role(stages: list[dict[str, Any]], counts: list[tuple[int, str, int | None, int]]) -> Table:
    """Each role's stages in its pipeline's order, with how many of the cohort reached each: the
    grouped counts of the applications that went at least that far."""
    rows: list[dict[str, Any]] = []
    for stage in stages:
        reached = sum(
            n
            for role, _, furthest, n in counts
            if role == stage["role_id"] and furthest is not None and furthest >= stage["position"]
        )
        first = not rows or rows[-1]["role_id"] != stage["role_id"]
        rows.append(
            {
                "role_id": stage["role_id"],
                "role": f"{stage['role__title']}, {stage['role__city']}",
                "stage": stage["name"],
                "reached": reached,
                "previous": None if first else rows[-1]["reached"],
                "entered": reached if first else rows[-1]["entered"],
            }
        )
    return Table(
        key="by_role",
        title="Conversion by role",
        columns=[
            Column("role", "Role"),
            Column("stage", "Stage"),
            REACHED,
            FROM_PREVIOUS,
            FROM_FIRST,
        ],
        rows=[_with_rates({k: v for k, v in row.items() if k != "role_id"}) for row in rows],
        note="Applications that entered the pipeline in these dates. An application counts at "
        "every stage up to the furthest it entered (one that skipped a stage counts at it "
        "too); a lost application counts up to the stage it was lost from.",
    )


def _kind_counts(
    stages: list[dict[str, Any]], counts: list[tuple[int, str, int | None, int]]
) -> dict[str, dict[str, int]]:
    """For each candidate source, how many applications reached each shared step: those whose
    furthest stage is at or past their role's step of that kind (none if it has no such step)."""
    at = {(stage["role_id"], stage["kind"]): stage["position"] for stage in stages}
    groups: dict[str, dict[str, int]] = {}
    for role, source, furthest, n in counts:
        group = groups.setdefault(source, dict.fromkeys(KINDS, 0))
        for kind in KINDS:
            position = at.get((role, kind))
            if furthest is not None and position is not None and position <= furthest:
                group[kind] += n
    return groups


def _kind_rows(counts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A row a step, from the counts of one group (a source, or all)."""
    rows = []
    for i, kind in enumerate(KINDS):
        rows.append(
            _with_rates(
                {
                    "stage": Stage.Kind(kind).label,
                    "reached": counts[kind],
                    "previous": counts[KINDS[i - 1]] if i else None,
                    "entered": counts[KINDS[0]],
                }
            )
        )
    return rows


KIND_NOTE = (
    "Counted by the steps every pipeline shares (a role's own steps are in the table by role). "
    "A role whose pipeline lacks a step counts none at it, so the next step's rate may pass 100%."
)


def _overall(by_source: dict[str, dict[str, int]]) -> Table:
    counts: dict[str, int] = {
        kind: sum(group[kind] for group in by_source.values()) for kind in KINDS
    }
    rows = _kind_rows(counts) if counts[KINDS[0]] else []
    return Table(
        key="overall",
        title="The funnel",
        columns=[Column("stage", "Stage"), REACHED, FROM_PREVIOUS, FROM_FIRST],
        rows=rows,
        note="Applications that entered the pipeline in these dates, by the furthest step each "
        "reached. " + KIND_NOTE,
        chart=BarChart(
            "Applications reaching each step",
            [Bar(row["stage"], float(row["reached"])) for row in rows],
            COUNT,
        ),
    )


def _by_source(by_source: dict[str, dict[str, int]]) -> Table:
    rows = []
    for key in sorted(by_source):
        source = Candidate.Source(key).label
        rows += [{"source": source, **row} for row in _kind_rows(by_source[key])]
    return Table(
        key="by_source",
        title="Conversion by source",
        columns=[
            Column("source", "Source"),
            Column("stage", "Stage"),
            REACHED,
            FROM_PREVIOUS,
            FROM_FIRST,
        ],
        rows=rows,
        note="The candidate's source. " + KIND_NOTE,
    )


# --- Time in each stage ----------------------------------------------------------------------


def _percentile_sql(column: str, fraction: float) -> str:
    """`Percentile` written by hand, for a query Django cannot build (an aggregate over a window
    function's rows): PostgreSQL's percentile_cont, or the embedded demo's SQLite one."""
    if connection.vendor == "sqlite":
        return f"closer_percentile({column}, {fraction})"
    return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})"


def _stays(scope: Scope) -> dict[int, tuple[float, float, int]]:
    """For each stage, the median and 90th percentile of the days applications stayed in it
    before they left it within the dates, and how many such stays.

    A stay runs from the change into the stage to the application's next change (LEAD over
    its changes in time order). PostgreSQL may not aggregate over a window function, so the
    stays are a subquery, grouped by stage around it: the only SQL this module writes."""
    f = scope.filters
    stays = (
        StageChange.objects.filter(application_filter(scope, "application__"))
        .annotate(
            left_at=Window(
                Lead("changed_at"),
                partition_by=[F("application_id")],
                order_by=[F("changed_at").asc(), F("id").asc()],
            )
        )
        # A filter on the window applies to its result: each history is read whole first.
        .filter(left_at__gte=f.starts, left_at__lt=f.ends)
        .annotate(days=Days(F("left_at"), F("changed_at")))
        .order_by()
        .values("to_stage_id", "days")
    )
    inner, params = stays.query.sql_with_params()
    sql = (
        f"SELECT to_stage_id, {_percentile_sql('days', 0.5)}, {_percentile_sql('days', 0.9)}, "
        f"COUNT(*) FROM ({inner}) stays GROUP BY to_stage_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {stage: (median, p90, n) for stage, median, p90, n in cursor.fetchall()}


def _time_in_stage(scope: Scope) -> Table:
    figures = _stays(scope)
    stages = (
        Stage.objects.filter(pk__in=figures)
        .exclude(kind__in=CLOSING_KINDS)
        .select_related("role")
        .order_by("role__title", "role__city", "role_id", "position")
    )
    return Table(
        key="time_in_stage",
        title="Time in each stage",
        columns=[Column("role", "Role"), Column("stage", "Stage"), MEDIAN, P90, N],
        rows=[
            {
                "role": f"{stage.role.title}, {stage.role.city}",
                "stage": stage.name,
                "median": figures[stage.pk][0],
                "p90": figures[stage.pk][1],
                "n": figures[stage.pk][2],
            }
            for stage in stages
        ],
        note="Days from entering a stage to leaving it, for the stays that ended in these dates "
        "(whenever they began). Applications still in a stage are left out until they leave "
        "it; Hired and Lost close an application and are not stays.",
    )


# --- First contact, offer, answer ------------------------------------------------------------


def _offer_times(scope: Scope) -> tuple[str, tuple[Any, ...]]:
    """SQL for the applications the filters name that have a new-hire offer sent, each with
    its role (`role__title`, `role__city`), `contact`, `offered` (the first new-hire offer sent)
    and `answered` (the first acceptance or decline).

    The contact is when the candidate was first contacted about the application: the first
    outreach email sent for it, or its first entry into a stage past Sourced (Contacted, or a
    later stage it was added at or moved to), whichever came first. Both measures start at the
    first offer sent, so only the applications with one are read; each first time is a MIN per
    application, grouped once and joined (a subquery per application, repeated wherever the
    time is used, took seconds to minutes at 300,000 applications)."""
    offers = (
        Offer.objects.filter(kind=Offer.Kind.NEW_HIRE)
        .order_by()
        .values("application_id")
        .annotate(
            offered=Min("sent_at"),
            answered=Min(
                "closed_at", filter=Q(status__in=[Offer.Status.ACCEPTED, Offer.Status.DECLINED])
            ),
        )
        .filter(offered__isnull=False)
    )
    offered = Offer.objects.filter(kind=Offer.Kind.NEW_HIRE, sent_at__isnull=False).values(
        "application_id"
    )
    applications = (
        Application.objects.filter(application_filter(scope), pk__in=offered)
        .order_by()
        .values("pk", "role__title", "role__city")
    )
    emails = (
        SentMessage.objects.filter(
            enrollment__application__in=offered,
            status=SentMessage.Status.SENT,
            sent_at__isnull=False,
        )
        .order_by()
        .values("enrollment__application_id")
        .annotate(first=Min("sent_at"))
    )
    first_stages = Stage.objects.filter(kind__in=[Stage.Kind.SOURCED, Stage.Kind.LOST])
    moved = (
        StageChange.objects.filter(application__in=offered)
        .exclude(to_stage__in=first_stages.values("pk"))
        .order_by()
        .values("application_id")
        .annotate(first=Min("changed_at"))
    )
    parts = [q.query.sql_with_params() for q in (applications, offers, emails, moved)]
    # LEAST skips a NULL on PostgreSQL but SQLite's MIN does not: each side falls back on the
    # other.
    least = "MIN" if connection.vendor == "sqlite" else "LEAST"
    sql = (
        f"SELECT a.role__title, a.role__city, "
        f"{least}(COALESCE(e.first, m.first), COALESCE(m.first, e.first)) AS contact, "
        f"o.offered, o.answered FROM ({parts[0][0]}) a "
        f"JOIN ({parts[1][0]}) o ON o.application_id = a.pk "
        f"LEFT JOIN ({parts[2][0]}) e ON e.enrollment__application_id = a.pk "
        f"LEFT JOIN ({parts[3][0]}) m ON m.application_id = a.pk"
    )
    return sql, tuple(param for _, params in parts for param in params)


def _days_sql(end: str, start: str) -> str:
    """`Days` written by hand, for the same reason as `_percentile_sql`."""
    if connection.vendor == "sqlite":
        return f"(julianday({end}) - julianday({start}))"
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


def _offer_figures(scope: Scope) -> list[dict[str, Any]]:
    """The figures of the offer table: all roles (the first row, `role__title` None), then each
    role with an offer or an answer counted. Each measure reads only its own rows: the days are
    NULL elsewhere (a percentile, a COUNT of the days skip NULLs).

    The times are read once (a WITH) for the total and the roles alike."""
    f = scope.filters
    inner, params = _offer_times(scope)
    starts = connection.ops.adapt_datetimefield_value(f.starts)
    ends = connection.ops.adapt_datetimefield_value(f.ends)
    figures = ", ".join(
        f"{_percentile_sql(f'{days}_days', 0.5)}, {_percentile_sql(f'{days}_days', 0.9)}, "
        f"COUNT({days}_days)"
        for days in ("offer", "answer")
    )
    sql = (
        f"WITH t AS (SELECT role__title, role__city, "
        f"CASE WHEN offered >= %s AND offered < %s AND contact <= offered "
        f"THEN {_days_sql('offered', 'contact')} END AS offer_days, "
        f"CASE WHEN answered >= %s AND answered < %s AND offered <= answered "
        f"THEN {_days_sql('answered', 'offered')} END AS answer_days "
        f"FROM ({inner}) times) "
        f"SELECT 0, NULL, NULL, {figures} FROM t "
        f"UNION ALL SELECT 1, role__title, role__city, {figures} FROM t "
        f"GROUP BY role__title, role__city "
        f"HAVING COUNT(offer_days) > 0 OR COUNT(answer_days) > 0 "
        f"ORDER BY 1, 2, 3"
    )
    keys = ("offer_median", "offer_p90", "offer_n", "answer_median", "answer_p90", "answer_n")
    with connection.cursor() as cursor:
        cursor.execute(sql, (starts, ends, starts, ends, *params))
        return [
            {"role__title": title, "role__city": city, **dict(zip(keys, values, strict=True))}
            for _, title, city, *values in cursor.fetchall()
        ]


def _offers(scope: Scope) -> Table:
    total, *roles = _offer_figures(scope)
    rows = [{"role": f"{r['role__title']}, {r['role__city']}", **r} for r in roles]
    if total["offer_n"] or total["answer_n"]:
        rows.insert(0, {**total, "role": "All roles"})
    return Table(
        key="offers",
        title="From first contact to offer, and from offer to answer",
        columns=[
            Column("role", "Role"),
            Column("offer_median", "Contact to offer, median", DAYS),
            Column("offer_p90", "Contact to offer, 90th percentile", DAYS),
            Column("offer_n", "Offers", COUNT),
            Column("answer_median", "Offer to answer, median", DAYS),
            Column("answer_p90", "Offer to answer, 90th percentile", DAYS),
            Column("answer_n", "Answers", COUNT),
        ],
        rows=rows,
        note="Days from the first contact (the first outreach email sent for the application, or "
        "its first stage past Sourced, whichever came first) to the first new-hire offer sent, "
        "for first offers sent in these dates; and from that first offer to the first "
        "acceptance or decline, for answers recorded in these dates (a revised offer's answer "
        "counts from the first version sent; an expired or rescinded offer is no answer).",
    )


# --- Stale now -------------------------------------------------------------------------------


def _stale(scope: Scope, *group: str) -> QuerySet[Application, dict[str, Any]]:
    """The open applications the filters name, grouped by `group`: how many are open and how
    many of them stale, for the groups with any stale."""
    # The selector's condition read on each row, not an IN over its query (which PostgreSQL
    # hashed once per group and again for the HAVING): 0.7 s to a single pass.
    stale = stale_condition(scope.now)
    return (
        Application.objects.filter(application_filter(scope), status=Application.Status.OPEN)
        .order_by()
        .values(*group)
        .annotate(open=Count("pk"), stale=Count("pk", filter=stale))
        .filter(stale__gt=0)
        .order_by(*group)
    )


STALE_COLUMNS = [
    Column("stale", "Stale now", COUNT),
    Column("stale_share", "Of the open ones", RATE, of="open"),
]
STALE_NOTE = (
    "Open applications that have stayed in their stage longer than its time limit, today "
    "whatever the dates (the reminders' definition)."
)


def _stale_by_role(scope: Scope) -> Table:
    groups = _stale(scope, "role__title", "role__city", "role_id")
    return Table(
        key="stale_by_role",
        title="Stale now, by role",
        columns=[Column("role", "Role"), *STALE_COLUMNS],
        rows=[
            {
                "role": f"{g['role__title']}, {g['role__city']}",
                "stale": g["stale"],
                "open": g["open"],
                "stale_share": share(g["stale"], g["open"]),
            }
            for g in groups
        ],
        note=STALE_NOTE,
    )


def _owner_name(first: str | None, last: str | None, username: str | None) -> str:
    if username is None:
        return "No owner"
    return f"{first or ''} {last or ''}".strip() or username


def _stale_by_owner(scope: Scope) -> Table:
    groups = _stale(
        scope,
        "candidate__owner__first_name",
        "candidate__owner__last_name",
        "candidate__owner__username",
        "candidate__owner_id",
    )
    return Table(
        key="stale_by_owner",
        title="Stale now, by owner",
        columns=[Column("owner", "Owner", TEXT), *STALE_COLUMNS],
        rows=[
            {
                "owner": _owner_name(
                    g["candidate__owner__first_name"],
                    g["candidate__owner__last_name"],
                    g["candidate__owner__username"],
                ),
                "stale": g["stale"],
                "open": g["open"],
                "stale_share": share(g["stale"], g["open"]),
            }
            for g in groups
        ],
        note=STALE_NOTE + " The owner is the candidate's.",
    )


def build(scope: Scope) -> list[Table]:
    stages, counts = _reach(scope)
    by_source = _kind_counts(stages, counts)
    return [
        _overall(by_source),
        _by_role(stages, counts),
        _by_source(by_source),
        _time_in_stage(scope),
        _offers(scope),
        _stale_by_role(scope),
        _stale_by_owner(scope),
    ]


FUNNEL = ReportSpec(
    slug="funnel",
    title="Funnel",
    summary="How the applications that entered the pipeline in the dates moved from stage to "
    "stage, by role and by source; the days spent in each stage, from first contact to offer "
    "and from offer to answer; and the applications stale now.",
    build=build,
    filters=("dates", "role", "level", "zone", "owner"),
)
