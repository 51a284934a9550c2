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
three tables share. The furthest stage of each application and the end of each stay are kept
on the rows as the pipeline records its changes (recruiting/pipeline/history.py); computed
here from a million changes they took seconds. No figure here is an amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Min, Q

from candidates.models import Candidate
from offers.models import Offer
from recruiting.lib.aggregates import Median, Percentile
from recruiting.pipeline.models import CLOSING_KINDS, Application, Role, Stage, StageChange

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
    `furthest`, the position of the furthest stage each entered, which the pipeline keeps on
    each application (recruiting/pipeline/history.py; one that entered none reached none). One
    grouping, shared by the three conversion tables: by furthest stage and source only, the
    stage saying the role and the position (a third key and a join to the stages cost a fifth
    of its time)."""
    f = scope.filters
    groups = [
        (group["furthest_stage_id"], group["candidate_source"], group["n"])
        for group in Application.objects.filter(
            application_filter(scope), created_at__gte=f.starts, created_at__lt=f.ends
        )
        .order_by()
        .values("furthest_stage_id", "candidate_source")
        .annotate(n=Count("pk"))
    ]
    stages: list[dict[str, Any]] = [
        dict(stage)
        for stage in Stage.objects.filter(
            role__in=Stage.objects.filter(pk__in={g[0] for g in groups}).values("role_id")
        )
        .exclude(kind=Stage.Kind.LOST)
        .order_by("role__title", "role__city", "role_id", "position")
        .values("pk", "role_id", "role__title", "role__city", "name", "kind", "position")
    ]
    at = {stage["pk"]: (stage["role_id"], stage["position"]) for stage in stages}
    counts: list[tuple[int, str, int | None, int]] = [
        (at[furthest][0], source, at[furthest][1], n)
        for furthest, source, n in groups
        if furthest is not None  # none entered: reached no stage
    ]
    return stages, counts


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["from_previous"] = share(row["reached"], row["previous"])
    row["from_first"] = share(row["reached"], row["entered"])
    return row


def _by_role(stages: list[dict[str, Any]], counts: list[tuple[int, str, int | None, int]]) -> Table:
    """Each role's stages in its pipeline's order, with how many of the cohort reached each: the
    grouped counts of the applications that went at least that far."""
    by_role: dict[int, list[tuple[int, int]]] = {}
    for role, _, furthest, n in counts:
        if furthest is not None:
            by_role.setdefault(role, []).append((furthest, n))
    rows: list[dict[str, Any]] = []
    for stage in stages:
        reached = sum(
            n for furthest, n in by_role.get(stage["role_id"], ()) if furthest >= stage["position"]
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


def _stays(scope: Scope) -> dict[int, tuple[float, float, int]]:
    """For each stage, the median and 90th percentile of the days applications stayed in it
    before they left it within the dates, and how many such stays: a stay runs from the change
    into the stage to the application's next change, kept on the change as `left_at`, its
    length as `stay_days`."""
    f = scope.filters
    stays = (
        StageChange.objects.filter(
            application_filter(scope, "application__"), left_at__gte=f.starts, left_at__lt=f.ends
        )
        .order_by()
        .values("to_stage_id")
        .annotate(median=Median("stay_days"), p90=Percentile("stay_days", 0.9), n=Count("*"))
    )
    return {s["to_stage_id"]: (s["median"], s["p90"], s["n"]) for s in stays}


def _time_in_stage(scope: Scope) -> Table:
    figures = _stays(scope)
    stages = (
        Stage.objects.filter(pk__in=figures)
        .exclude(kind__in=CLOSING_KINDS)
        .order_by("role__title", "role__city", "role_id", "position")
        .values_list("pk", "role__title", "role__city", "name")
    )
    return Table(
        key="time_in_stage",
        title="Time in each stage",
        columns=[Column("role", "Role"), Column("stage", "Stage"), MEDIAN, P90, N],
        rows=[
            {
                "role": f"{title}, {city}",
                "stage": name,
                "median": figures[pk][0],
                "p90": figures[pk][1],
                "n": figures[pk][2],
            }
            for pk, title, city, name in stages
        ],
        note="Days from entering a stage to leaving it, for the stays that ended in these dates "
        "(whenever they began). Applications still in a stage are left out until they leave "
        "it; Hired and Lost close an application and are not stays.",
    )


# --- First contact, offer, answer ------------------------------------------------------------


def _offer_times(scope: Scope) -> tuple[str, tuple[Any, ...]]:
    """SQL naming, for a WITH, `times`: the applications the filters name that have a new-hire
    offer sent, each with its role (`role__title`, `role__city`), `contact`, `offered` (the
    first new-hire offer sent) and `answered` (the first acceptance or decline).

    The contact is when the candidate was first contacted about the application: the first
    outreach email sent for it, or its first entry into a stage past Sourced (Contacted, or a
    later stage it was added at or moved to), whichever came first, both kept on the
    application (`first_emailed_at`, `first_advanced_at`) as they happen: looked up here for
    each offered application they took a third of a second at 20,000 offers."""
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
    applications = (
        Application.objects.filter(application_filter(scope))
        .order_by()
        .values("pk", "role__title", "role__city", "first_emailed_at", "first_advanced_at")
    )
    parts = [q.query.sql_with_params() for q in (applications, offers)]
    # LEAST skips a NULL on PostgreSQL but SQLite's MIN does not: each side falls back on the
    # other.
    least = "MIN" if connection.vendor == "sqlite" else "LEAST"
    emailed, advanced = "a.first_emailed_at", "a.first_advanced_at"
    sql = (
        f"times AS (SELECT a.role__title, a.role__city, "
        f"{least}(COALESCE({emailed}, {advanced}), COALESCE({advanced}, {emailed})) AS contact, "
        f"o.offered, o.answered FROM ({parts[0][0]}) a "
        f"JOIN ({parts[1][0]}) o ON o.application_id = a.pk)"
    )
    return sql, tuple(param for _, params in parts for param in params)


def _percentile_sql(column: str, fraction: float) -> str:
    """`Percentile` written by hand, for a query Django cannot build (aggregates over a WITH's
    rows, for all roles and for each in one UNION): PostgreSQL's percentile_cont, or the
    embedded demo's SQLite one."""
    if connection.vendor == "sqlite":
        return f"closer_percentile({column}, {fraction})"
    return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})"


def _days_sql(end: str, start: str) -> str:
    """`Days` written by hand, for the same reason as `_percentile_sql`."""
    if connection.vendor == "sqlite":
        return f"(julianday({end}) - julianday({start}))"
    return f"(date_part('epoch', {end} - {start}) / 86400.0)"


def _offer_figures(scope: Scope) -> list[dict[str, Any]]:
    """The figures of the offer table: all roles (the first row, `role__title` None), then each
    role with an offer or an answer counted. Each measure reads only its own rows: the days are
    NULL elsewhere (a percentile, a COUNT of the days skip NULLs).

    The times are read once (a WITH) for the total and the roles alike."""
    f = scope.filters
    times, params = _offer_times(scope)
    starts = connection.ops.adapt_datetimefield_value(f.starts)
    ends = connection.ops.adapt_datetimefield_value(f.ends)
    figures = ", ".join(
        f"{_percentile_sql(f'{days}_days', 0.5)}, {_percentile_sql(f'{days}_days', 0.9)}, "
        f"COUNT({days}_days)"
        for days in ("offer", "answer")
    )
    sql = (
        f"WITH {times}, t AS (SELECT role__title, role__city, "
        f"CASE WHEN offered >= %s AND offered < %s AND contact <= offered "
        f"THEN {_days_sql('offered', 'contact')} END AS offer_days, "
        f"CASE WHEN answered >= %s AND answered < %s AND offered <= answered "
        f"THEN {_days_sql('answered', 'offered')} END AS answer_days "
        f"FROM times) "
        f"SELECT 0, NULL, NULL, {figures} FROM t "
        f"UNION ALL SELECT 1, role__title, role__city, {figures} FROM t "
        f"GROUP BY role__title, role__city "
        f"HAVING COUNT(offer_days) > 0 OR COUNT(answer_days) > 0 "
        f"ORDER BY 1, 2, 3"
    )
    keys = ("offer_median", "offer_p90", "offer_n", "answer_median", "answer_p90", "answer_n")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, starts, ends, starts, ends))
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


def _stale(scope: Scope) -> list[dict[str, Any]]:
    """The open applications the filters name, counted by role and candidate owner: how many
    are open and how many of them stale (in their stage longer than its time limit, as
    `recruiting.pipeline.selectors.stale_applications` has it). One grouping for both tables,
    which add it up: by stage and owner, with a count of those in the stage since before each
    time limit there is (a handful), the stage saying the role and which count is stale. A
    join to the stages for their limits, and the role as a third key, cost a fifth of it."""
    stages = {
        pk: (role, limit)
        for pk, role, limit in Stage.objects.values_list("pk", "role_id", "time_limit_days")
    }
    limits = sorted({limit for _, limit in stages.values() if limit is not None})
    over = {
        f"over_{days}": Count("pk", filter=Q(stage_entered_at__lt=scope.now - timedelta(days=days)))
        for days in limits
    }
    column = {days: i for i, days in enumerate(limits)}
    groups = (
        Application.objects.filter(application_filter(scope), status=Application.Status.OPEN)
        .order_by()
        .values("stage_id", "candidate_owner_id")
        .annotate(open=Count("pk"), **over)
        .values_list("stage_id", "candidate_owner_id", "open", *over)
    )
    rows = []
    for stage, owner, open_, *overs in groups:
        role, limit = stages[stage]
        rows.append(
            {
                "role_id": role,
                "candidate__owner_id": owner,
                "open": open_,
                "stale": 0 if limit is None else overs[column[limit]],
            }
        )
    return rows


def _sums(groups: list[dict[str, Any]], key: str) -> dict[int | None, tuple[int, int]]:
    """The open and stale counts of `groups` added up by `key`, for the keys with any stale."""
    sums: dict[int | None, tuple[int, int]] = {}
    for group in groups:
        open_, stale = sums.get(group[key], (0, 0))
        sums[group[key]] = (open_ + group["open"], stale + group["stale"])
    return {k: v for k, v in sums.items() if v[1]}


STALE_COLUMNS = [
    Column("stale", "Stale now", COUNT),
    Column("stale_share", "Of the open ones", RATE, of="open"),
]
STALE_NOTE = (
    "Open applications that have stayed in their stage longer than its time limit, today "
    "whatever the dates (the reminders' definition)."
)


def _stale_row(key: str, name: str, open_: int, stale: int) -> dict[str, Any]:
    return {key: name, "stale": stale, "open": open_, "stale_share": share(stale, open_)}


def _stale_by_role(groups: list[dict[str, Any]]) -> Table:
    sums = _sums(groups, "role_id")
    roles = Role.objects.filter(pk__in=[pk for pk in sums if pk is not None])
    roles = roles.order_by("title", "city", "pk")
    return Table(
        key="stale_by_role",
        title="Stale now, by role",
        columns=[Column("role", "Role"), *STALE_COLUMNS],
        rows=[_stale_row("role", f"{role.title}, {role.city}", *sums[role.pk]) for role in roles],
        note=STALE_NOTE,
    )


def _stale_by_owner(groups: list[dict[str, Any]]) -> Table:
    sums = _sums(groups, "candidate__owner_id")
    owners = get_user_model().objects.filter(pk__in=[pk for pk in sums if pk is not None])
    rows = [
        _stale_row("owner", owner.get_full_name() or owner.username, *sums[owner.pk])
        for owner in owners.order_by("first_name", "last_name", "username", "pk")
    ]
    if None in sums:
        rows.append(_stale_row("owner", "No owner", *sums[None]))
    return Table(
        key="stale_by_owner",
        title="Stale now, by owner",
        columns=[Column("owner", "Owner", TEXT), *STALE_COLUMNS],
        rows=rows,
        note=STALE_NOTE + " The owner is the candidate's; those with none come last.",
    )


def build(scope: Scope) -> list[Table]:
    stages, counts = _reach(scope)
    by_source = _kind_counts(stages, counts)
    stale = _stale(scope)
    return [
        _overall(by_source),
        _by_role(stages, counts),
        _by_source(by_source),
        _time_in_stage(scope),
        _offers(scope),
        _stale_by_role(stale),
        _stale_by_owner(stale),
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
