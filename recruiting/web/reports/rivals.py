"""Rival pay intelligence: what each competitor's offers pay, how sure we are of them, how that
moves quarter by quarter, and what competitors offer our own employees.

The rows are competing offers (offers.CompetingOffer), each dated by when we recorded it: the
day we learned of it, which every offer has (its decision deadline says when it ends, not when
it was made). Their amounts are the figures kept on each row in the reporting currency
(offers/figures.py):

- year one: everything the offer pays in its first year (base, target bonus, the year's signing
  and retention instalments, equity vesting in the year, relocation and the rest);
- annual average: what it pays a year on average over the years it is valued for;
- signing bonus: every instalment together (report_signing_total), what people quote ("a $1M
  signing bonus paid over two years"); zero for an offer without one;
- equity grant: the grants' value at grant (report_equity_grant), again what people quote
  ("$4M over four years"); the year-one vesting of it is already inside year one.

A rumoured offer is counted with the others (one column per certainty) but left out of every
amount unless the filters say to count it (`with_rumoured`): hearsay should not move a median
without anyone asking. An offer that could not be valued (a currency without a rate yet) is
counted but has no amount; "In the figures" says how many amounts each figure stands on. The
tables by level and zone and by quarter count only the offers whose amounts count (rumoured
ones left out unless asked). Someone without view_compensation sees the counts alone.

Offers on an application are a candidate's (the first three tables; the role, level, zone and
owner filters apply through the application). An offer on no application is an employee's
outside offer (the last table, for those who see every application only, as on the offers'
own pages). For those, the owner filter is the person's owner, the level their level on their
record, and the role and zone those of the role they were hired into (an application of theirs
marked hired): someone never hired through Closer has none, and drops out when a role or zone
is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncQuarter

from candidates.models import Level
from offers.models import CompetingOffer
from recruiting.lib.aggregates import Median
from recruiting.pipeline.models import Application, Role

from .base import COUNT, MONEY, Bar, BarChart, Column, ReportSpec, Scope, Table
from .scoping import application_filter

Confidence = CompetingOffer.Confidence
CENT = Decimal("0.01")

# One count column per certainty, from least to most sure.
CERTAINTIES = (
    (Confidence.RUMOURED, "Rumoured"),
    (Confidence.VERBAL, "Verbal"),
    (Confidence.WRITTEN, "Written"),
    (Confidence.VERIFIED, "Verified"),
)

COMPETITOR = Column("competitor", "Competitor")
COUNTED = Column("counted", "In the figures", COUNT)
YEAR_ONE = [
    Column("year_one", "Median year one", MONEY),
    Column("year_one_min", "Lowest year one", MONEY),
    Column("year_one_max", "Highest year one", MONEY),
]
ANNUAL = Column("annual", "Median annual average", MONEY)
SIGNING = Column("signing", "Median signing bonus (all instalments)", MONEY)
EQUITY = Column("equity", "Median equity grant (value at grant)", MONEY)
BY_COMPETITOR = [
    COMPETITOR,
    Column("offers", "Offers", COUNT),
    *(Column(value, label, COUNT) for value, label in CERTAINTIES),
    COUNTED,
    *YEAR_ONE,
    ANNUAL,
    SIGNING,
    EQUITY,
]


def _shown(columns: Sequence[Column], scope: Scope) -> list[Column]:
    """`columns`, without "In the figures" for someone who sees no figure (the amounts
    themselves are dropped by Table.for_viewer)."""
    return [c for c in columns if scope.pay or c is not COUNTED]


def _money(value: Any) -> Decimal | None:
    """An amount from SQL (a percentile is a float) as Decimal cents."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT)


def _dated(scope: Scope) -> QuerySet[CompetingOffer]:
    """The competing offers recorded within the dates, of the competitor asked for."""
    f = scope.filters
    offers = CompetingOffer.objects.filter(recorded_at__gte=f.starts, recorded_at__lt=f.ends)
    if f.competitor:
        offers = offers.filter(competitor_id=f.competitor)
    return offers


def candidates_offers(scope: Scope) -> QuerySet[CompetingOffer]:
    """Competing offers on the applications the filters name and the person sees."""
    return (
        _dated(scope)
        .filter(application__isnull=False)
        .filter(application_filter(scope, "application__"))
    )


def employees_offers(scope: Scope) -> QuerySet[CompetingOffer]:
    """Outside offers to our employees (on no application), with the filters read from the
    person: their owner, their level, and the role (and its zone) they were hired into."""
    f = scope.filters
    offers = _dated(scope).filter(application__isnull=True)
    if f.owner:
        offers = offers.filter(candidate__owner_id=f.owner)
    if f.level:
        offers = offers.filter(candidate__level=f.level)
    hired_into = Q()
    if f.role:
        hired_into &= Q(role_id=f.role)
    if f.zone:
        hired_into &= Q(role__zone=f.zone)
    if hired_into:
        hired = Application.objects.filter(
            hired_into, candidate_id=OuterRef("candidate_id"), status=Application.Status.HIRED
        )
        offers = offers.filter(Exists(hired))
    return offers


def _counted(scope: Scope) -> Q:
    """The offers whose amounts count: every one, or all but the rumoured."""
    if scope.filters.with_rumoured:
        return Q()
    return ~Q(confidence=Confidence.RUMOURED)


def _only(counted: Q, field: str) -> Any:
    """`field` where `counted` holds, NULL elsewhere (which every aggregate skips). A CASE
    rather than an aggregate's `filter=`: the embedded demo's SQLite percentile takes none."""
    return Case(When(counted, then=F(field))) if counted else F(field)


def _money_figures(counted: Q) -> dict[str, Any]:
    """The aggregates of a group's amounts, over the offers `counted` names."""
    year_one = _only(counted, "report_year_one")
    return {
        "counted": Count(year_one),
        "year_one": Median(year_one),
        "year_one_min": Min(year_one),
        "year_one_max": Max(year_one),
        "annual": Median(_only(counted, "report_annual_average")),
        "signing": Median(_only(counted, "report_signing_total")),
        "equity": Median(_only(counted, "report_equity_grant")),
    }


def _money_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The amounts of an aggregated row, as Decimal cents."""
    return {
        "counted": row["counted"],
        **{key: _money(row[key]) for key in ("year_one", "annual", "signing", "equity")},
        "year_one_min": row["year_one_min"],
        "year_one_max": row["year_one_max"],
    }


def _per_competitor(offers: QuerySet[CompetingOffer], scope: Scope) -> list[dict[str, Any]]:
    """One row a competitor: its offers counted by certainty, and their amounts."""
    certainty_counts = {value: Count("pk", filter=Q(confidence=value)) for value, _ in CERTAINTIES}
    rows = (
        offers.values("competitor_id", "competitor__name")
        .annotate(offers=Count("pk"), **certainty_counts, **_money_figures(_counted(scope)))
        .order_by("competitor__name", "competitor_id")
    )
    return [
        {
            "competitor": row["competitor__name"],
            **_counts_row(row),
            **_money_row(row),
        }
        for row in rows
    ]


def _counts_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The offers of an aggregated row, and how many of each certainty."""
    return {"offers": row["offers"], **{value: row[value] for value, _ in CERTAINTIES}}


def _rumour_note(scope: Scope) -> str:
    if not scope.pay:
        return "Each offer is counted under how sure we are of it."
    if scope.filters.with_rumoured:
        return "Amounts count rumoured offers too (as asked)."
    return (
        "Amounts leave rumoured offers out (they are counted in their own column); tick "
        "“Count rumoured offers” to count them."
    )


def _rumours_in(scope: Scope) -> str:
    """For the tables that count only the offers the amounts stand on."""
    if scope.filters.with_rumoured:
        return "Rumoured offers are counted (as asked)."
    return "Rumoured offers are left out."


# What the amounts are, for those who see them.
AMOUNTS_NOTE = (
    "“In the figures” counts the offers the amounts stand on (an offer not yet valued, for want "
    "of an exchange rate, has none). Year one is everything paid in the first year, equity "
    "vesting included; the signing bonus is every instalment (zero for an offer without one); "
    "the equity grant is the grants' value when granted."
)


def _amounts_note(scope: Scope) -> str:
    return f" {AMOUNTS_NOTE}" if scope.pay else ""


def _year_one_chart(rows: Sequence[dict[str, Any]], title: str) -> BarChart:
    return BarChart(
        title,
        [
            Bar(
                row["competitor"],
                float(row["year_one"]),
                float(row["year_one_min"]),
                float(row["year_one_max"]),
            )
            for row in rows
            if row["year_one"] is not None
        ],
        MONEY,
    )


def competitors_table(scope: Scope) -> Table:
    rows = _per_competitor(candidates_offers(scope), scope)
    return Table(
        "competitors",
        "Per competitor",
        _shown(BY_COMPETITOR, scope),
        rows,
        note=(
            "Competing offers to our candidates, dated by when we recorded them. "
            f"{_rumour_note(scope)}{_amounts_note(scope)}"
        ),
        chart=_year_one_chart(rows, "Median year one, lowest to highest"),
    )


def _level_label(value: str) -> str:
    return Level(value).label if value in Level.values else value or "—"


def _zone_label(value: str) -> str:
    return Role.Zone(value).label if value in Role.Zone.values else value or "—"


def levels_table(scope: Scope) -> Table:
    """Per competitor, level and zone of the role applied for: the amounts only (the offers
    counted are those the amounts stand on, so rumoured ones are left out unless asked)."""
    offers = candidates_offers(scope).filter(_counted(scope))
    grouped = (
        offers.values(
            "competitor_id",
            "competitor__name",
            "application__role__level",
            "application__role__zone",
        )
        .annotate(offers=Count("pk"), **_money_figures(Q()))
        .order_by("competitor__name", "competitor_id")
    )
    level_order = {value: i for i, value in enumerate(Level.values)}
    zone_order = {value: i for i, value in enumerate(Role.Zone.values)}
    ordered = sorted(
        grouped,
        key=lambda row: (
            row["competitor__name"],
            row["competitor_id"],
            level_order.get(row["application__role__level"], len(level_order)),
            zone_order.get(row["application__role__zone"], len(zone_order)),
        ),
    )
    return Table(
        "levels",
        "Per competitor, level and zone",
        _shown(
            [
                COMPETITOR,
                Column("level", "Level"),
                Column("zone", "Zone"),
                Column("offers", "Offers", COUNT),
                COUNTED,
                *YEAR_ONE,
                SIGNING,
                EQUITY,
            ],
            scope,
        ),
        [
            {
                "competitor": row["competitor__name"],
                "level": _level_label(row["application__role__level"]),
                "zone": _zone_label(row["application__role__zone"]),
                "offers": row["offers"],
                **_money_row(row),
            }
            for row in ordered
        ],
        note=(f"The level and zone of the role the candidate applied for. {_rumours_in(scope)}"),
    )


def _quarter(moment: Any) -> str:
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


def trend_table(scope: Scope) -> Table:
    """Per competitor and quarter (of the day each offer was recorded, in the site's time
    zone): how many offers, and their median year one."""
    rows = (
        candidates_offers(scope)
        .filter(_counted(scope))
        .annotate(quarter=TruncQuarter("recorded_at"))
        .values("competitor_id", "competitor__name", "quarter")
        .annotate(offers=Count("pk"), year_one=Median("report_year_one"))
        .order_by("competitor__name", "competitor_id", "quarter")
    )
    return Table(
        "trend",
        "Trend by quarter",
        [
            COMPETITOR,
            Column("quarter", "Quarter"),
            Column("offers", "Offers", COUNT),
            Column("year_one", "Median year one", MONEY),
        ],
        [
            {
                "competitor": row["competitor__name"],
                "quarter": _quarter(row["quarter"]),
                "offers": row["offers"],
                "year_one": _money(row["year_one"]),
            }
            for row in rows
        ],
        note=f"By the quarter each offer was recorded in. {_rumours_in(scope)}",
    )


def retention_table(scope: Scope) -> Table:
    rows = _per_competitor(employees_offers(scope), scope)
    return Table(
        "retention",
        "Outside offers to our employees",
        _shown(BY_COMPETITOR, scope),
        rows,
        note=(
            "Offers competitors made to people who work for us (competing offers on no "
            f"application). {_rumour_note(scope)}{_amounts_note(scope)} The level filter reads "
            "their level on their record; the role and zone filters, the role they were hired "
            "into (someone not hired through Closer has none, and is left out when a role or "
            "zone is asked for)."
        ),
        chart=_year_one_chart(rows, "Median year one offered to our employees"),
    )


def build(scope: Scope) -> list[Table]:
    tables = [competitors_table(scope), levels_table(scope), trend_table(scope)]
    # An employee's outside offer is on no role: like on the offers' pages, it is for those
    # who see every application, not for a hiring manager seeing their roles.
    if scope.role_ids is None:
        tables.append(retention_table(scope))
    return tables


REPORT = ReportSpec(
    slug="rivals",
    title="Rival pay intelligence",
    summary=(
        "What each competitor's offers pay (median and range of year one, annual average, "
        "signing bonus, equity), how sure we are of them, the trend by quarter, and what "
        "competitors offer our own employees."
    ),
    build=build,
    filters=("dates", "role", "level", "zone", "competitor", "owner", "rumoured"),
)
