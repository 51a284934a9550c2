"""Wins and losses: how candidates answered our offers, what we lost to competitors by, and
what counter-offers won and cost.

The unit is an application's answer to the last offer we sent it: its highest sent new-hire
version, accepted or declined (expired and rescinded offers are no answer; an earlier version
declined while the application stayed open for a revision is not the last answer). Its date is
the day it was accepted or declined (`closed_at`), which the dates filter. A decline went to a
competitor when the application was lost to one (`lost_to`) or, while the application stays
open, when the candidate's decline named one.

Figures are year one in the reporting currency, as offers/figures.py keeps them on each
package: ours are the answered offer's, theirs are those of the competitor's offer recorded on
the same application (the most certain one, then the latest recorded, when there are several).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from candidates.models import Company, Level
from offers.models import CompetingOffer, Offer
from recruiting.lib.aggregates import Median
from recruiting.pipeline.models import Role

from .base import COUNT, MONEY, RATE, Bar, BarChart, Column, ReportSpec, Scope, Table, share
from .scoping import application_filter

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ACCEPTED, DECLINED = Offer.Status.ACCEPTED, Offer.Status.DECLINED
AMOUNT = DecimalField(max_digits=20, decimal_places=2)

# The year-one parts of a package (offers/figures.py), which add up to its year one.
COMPONENTS = (
    ("base", "Base salary"),
    ("bonus", "Target bonus"),
    ("signing", "Signing bonus"),
    ("equity", "Equity"),
    ("retention", "Retention bonus"),
    ("other", "Relocation and other"),
)

# The competing offer we believe most: the more certain, then the latest recorded.
CERTAINTY = Case(
    *(
        When(confidence=value, then=Value(rank))
        for rank, value in enumerate(CompetingOffer.Confidence.values)
    ),
    output_field=IntegerField(),
)


class _Answer(TypedDict):
    """What `answers` annotates each offer with."""

    went_to: int | None


class _Loss(_Answer):
    """What `losses` adds: the id of the competitor's offer believed."""

    their_pk: int | None


class _Counter(_Answer):
    first_year_one: Decimal | None
    raise_: Decimal | None


# --- The answers -------------------------------------------------------------------------------


def _went_to(field: str) -> Case:
    """The competitor a declined offer went to (its `field`, "pk" or "name"): the one the
    application was lost to, else the one the candidate's decline named."""
    return Case(
        When(
            status=DECLINED,
            then=Coalesce(f"application__lost_to__{field}", f"decline_answer__competitor__{field}"),
        ),
        default=None,
    )


def answers(scope: Scope) -> QuerySet[WithAnnotations[Offer, _Answer]]:
    """The last offer sent to each application the scope sees, accepted or declined within the
    dates; with `went_to` (a competitor's id, or None). With a competitor
    filter: the answers where that competitor had made an offer, or took the candidate."""
    f = scope.filters
    sent_later = Offer.objects.filter(
        application=OuterRef("application"),
        kind=Offer.Kind.NEW_HIRE,
        version__gt=OuterRef("version"),
        sent_at__isnull=False,
    )
    rows = (
        Offer.objects.filter(
            application_filter(scope, "application__"),
            kind=Offer.Kind.NEW_HIRE,
            status__in=(ACCEPTED, DECLINED),
            sent_at__isnull=False,
            closed_at__gte=f.starts,
            closed_at__lt=f.ends,
        )
        .exclude(Exists(sent_later))
        .annotate(went_to=_went_to("pk"))
    )
    if f.competitor:
        rival = CompetingOffer.objects.filter(
            application=OuterRef("application"), competitor_id=f.competitor
        )
        rows = rows.filter(Q(went_to=f.competitor) | Exists(rival))
    return rows


def tally(scope: Scope) -> list[dict[str, Any]]:
    """The answers counted in one pass, by role, answer and the competitor it went to: a few
    hundred rows, which the tables sum as each needs; each with its role's title, city and
    level (read apart, for the roles counted), in the roles' order."""
    groups: QuerySet[Any] = (
        answers(scope).values("application__role_id", "status", "went_to").annotate(n=Count("pk"))
    )
    counted = list(groups.order_by())
    roles = {
        role["pk"]: role
        for role in Role.objects.filter(pk__in={g["application__role_id"] for g in counted})
        .order_by("title", "city", "pk")
        .values("pk", "title", "city", "level")
    }
    place = {pk: i for i, pk in enumerate(roles)}
    counted.sort(key=lambda g: place[g["application__role_id"]])
    for g in counted:
        role = roles[g["application__role_id"]]
        g.update(
            application__role__title=role["title"],
            application__role__city=role["city"],
            application__role__level=role["level"],
        )
    return counted


def races(scope: Scope) -> list[dict[str, Any]]:
    """Per competitor, the answers with an offer of theirs on file on the application (each
    counted once, however many offers of theirs there are), and of them those that went to
    them."""
    counted: QuerySet[Any] = (
        answers(scope)
        .values(competitor=F("application__competing_offers__competitor_id"))
        .filter(competitor__isnull=False)
        .annotate(
            decided=Count("pk", distinct=True),
            accepted=Count("pk", filter=Q(status=ACCEPTED), distinct=True),
            declined=Count("pk", filter=Q(status=DECLINED), distinct=True),
            went_with_offer=Count("pk", filter=Q(went_to=F("competitor")), distinct=True),
        )
        .order_by()
    )
    return list(counted)


def competitor_names(groups: list[dict[str, Any]], raced: list[dict[str, Any]]) -> dict[int, str]:
    """The names of the competitors the tables name, in the order of their names."""
    pks = {g["went_to"] for g in groups if g["went_to"] is not None}
    pks |= {race["competitor"] for race in raced}
    return dict(Company.objects.filter(pk__in=pks).order_by("name", "pk").values_list("pk", "name"))


def _sums(groups: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], dict[str, int]]:
    """The tally's groups summed by `key`: decided, accepted, declined, lost_to_rival."""
    sums: dict[tuple[Any, ...], dict[str, int]] = {}
    for g in groups:
        figures = sums.setdefault(
            tuple(g[k] for k in key),
            {"decided": 0, "accepted": 0, "declined": 0, "lost_to_rival": 0},
        )
        figures["decided"] += g["n"]
        if g["status"] == ACCEPTED:
            figures["accepted"] += g["n"]
        elif g["status"] == DECLINED:
            figures["declined"] += g["n"]
        if g["went_to"] is not None:
            figures["lost_to_rival"] += g["n"]
    return sums


def _answer_row(label: str, tally: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "decided": tally["decided"],
        "accepted": tally["accepted"],
        "declined": tally["declined"],
        "lost_to_rival": tally["lost_to_rival"],
        "acceptance": share(tally["accepted"], tally["decided"]),
    }


def _answer_columns(label: str) -> list[Column]:
    return [
        Column("label", label),
        Column("accepted", "Accepted", COUNT),
        Column("declined", "Declined", COUNT),
        Column("lost_to_rival", "Declined for a competitor", COUNT),
        Column("acceptance", "Acceptance rate", RATE, of="decided"),
    ]


def by_role(groups: list[dict[str, Any]]) -> Table:
    sums = _sums(
        groups, "application__role__title", "application__role__city", "application__role_id"
    )
    rows = [_answer_row(f"{title}, {city}", figures) for (title, city, _), figures in sums.items()]
    return Table(
        "by_role",
        "Offers accepted and declined, by role",
        _answer_columns("Role"),
        rows,
        note="Each application counts once, by its answer to the last offer we sent it, on the "
        "day it answered. The rate is of the offers answered.",
        chart=BarChart(
            "Acceptance rate by role",
            [Bar(r["label"], float(r["acceptance"] or 0)) for r in rows],
            RATE,
        ),
    )


def by_level(groups: list[dict[str, Any]]) -> Table:
    order = {value: i for i, value in enumerate(Level.values)}
    labels = dict(Level.choices)
    sums = sorted(
        _sums(groups, "application__role__level").items(),
        key=lambda item: order.get(item[0][0], len(order)),
    )
    rows = [_answer_row(labels.get(level, "—"), figures) for (level,), figures in sums]
    return Table(
        "by_level", "Offers accepted and declined, by level", _answer_columns("Level"), rows
    )


def by_competitor(
    groups: list[dict[str, Any]], raced: list[dict[str, Any]], names: dict[int, str]
) -> Table:
    """Per competitor, the answers where they were in the race: they had made the candidate an
    offer on that application, or the candidate declined ours to join them. Those with their
    offer on file are counted by `races`, which also counts those of them that went to that
    competitor; those that went to each are summed from the tally's groups, and the difference
    went to them with no offer of theirs on file."""
    tally: dict[int, dict[str, int]] = {}

    def of(competitor: int) -> dict[str, int]:
        return tally.setdefault(
            competitor, {"decided": 0, "accepted": 0, "declined": 0, "went_there": 0}
        )

    for g in groups:
        if g["went_to"] is not None:
            of(g["went_to"])["went_there"] += g["n"]
    # Those that went to them with no offer of theirs on file: in their race, declined.
    without_offer = {pk: figures["went_there"] for pk, figures in tally.items()}
    for race in raced:
        figures = of(race["competitor"])
        for key in ("decided", "accepted", "declined"):
            figures[key] += race[key]
        without_offer[race["competitor"]] = (
            without_offer.get(race["competitor"], 0) - race["went_with_offer"]
        )
    for pk, n in without_offer.items():
        tally[pk]["decided"] += n
        tally[pk]["declined"] += n
    place = {pk: i for i, pk in enumerate(names)}
    rows: list[dict[str, Any]] = [
        {
            "name": names[pk],
            **figures,
            "acceptance": share(figures["accepted"], figures["decided"]),
            "lost": share(figures["went_there"], figures["decided"]),
        }
        for pk, figures in sorted(tally.items(), key=lambda item: place[item[0]])
    ]
    return Table(
        "by_competitor",
        "Offers accepted and declined, by competitor",
        [
            Column("name", "Competitor"),
            Column("accepted", "Accepted ours", COUNT),
            Column("declined", "Declined ours", COUNT),
            Column("went_there", "Went to them", COUNT),
            Column("acceptance", "Acceptance rate", RATE, of="decided"),
            Column("lost", "Lost to them", RATE, of="decided"),
        ],
        rows,
        note="A competitor is counted where they had made the candidate an offer for that "
        "application, or where the candidate declined ours to join them; an answer can count "
        "under several competitors.",
    )


# --- Losses to a competitor --------------------------------------------------------------------


LATEST = 200  # The losses listed, the latest first: a page of thousands is not a report.


def _theirs() -> QuerySet[CompetingOffer]:
    """The competing offer recorded on a loss's application by the competitor it went to, the
    most certain one and then the latest recorded."""
    return (
        CompetingOffer.objects.filter(
            application=OuterRef("application"), competitor=OuterRef("went_to")
        )
        .annotate(certainty=CERTAINTY)
        .order_by("-certainty", "-recorded_at", "-pk")
    )


def losses(scope: Scope) -> QuerySet[WithAnnotations[Offer, _Loss]]:
    """The offers declined for a competitor, each with the id of the competitor's offer on the
    same application (`their_pk`, empty when none was recorded)."""
    return (
        answers(scope)
        .filter(status=DECLINED, went_to__isnull=False)
        .annotate(their_pk=Subquery(_theirs().values("pk")[:1]))
    )


def _gaps(ours: Mapping[str, Any], theirs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Theirs minus ours, in all (`gap`) and by component (`gap_base`, ...), each empty when
    either side has no figure; and the component with the largest gap (`mostly`, empty when
    none was in their favour; the first of them on a tie)."""

    def minus(key: str) -> Decimal | None:
        if theirs is None or theirs[key] is None or ours[key] is None:
            return None
        return Decimal(theirs[key] - ours[key])

    gaps = {f"gap_{key}": minus(f"report_{key}") for key, _ in COMPONENTS}
    known = [gap for gap in gaps.values() if gap is not None]
    widest = max(known) if known else None
    mostly = None
    if widest is not None and widest > 0:
        mostly = next(label for key, label in COMPONENTS if gaps[f"gap_{key}"] == widest)
    return {
        "their_confidence": theirs["confidence"] if theirs else None,
        "their_year_one": theirs["report_year_one"] if theirs else None,
        "gap": minus("report_year_one"),
        **gaps,
        "mostly": mostly,
    }


def loss_list(scope: Scope, lost: int, names: dict[int, str]) -> Table:
    """The latest losses (`lost` in all), each against the competitor's offer: two queries,
    the losses shown and then their competing offers, whose gaps are worked out for the rows
    shown."""
    figures = ("report_year_one", *(f"report_{key}" for key, _ in COMPONENTS))
    latest = list(
        losses(scope)
        .order_by("-closed_at", "-pk")
        .values(
            "pk",
            "closed_at",
            "application__candidate__name",
            "application__role__title",
            "application__role__city",
            "went_to",
            "their_pk",
            *figures,
        )[:LATEST]
    )
    theirs = {
        c["pk"]: c
        for c in CompetingOffer.objects.filter(
            pk__in=[r["their_pk"] for r in latest if r["their_pk"] is not None]
        ).values("pk", "confidence", *figures)
    }
    # By competitor (by name: those of one name together), then by the day they declined.
    place: dict[str, int] = {}
    for name in names.values():
        place.setdefault(name, len(place))
    latest.sort(key=lambda r: (place[names[r["went_to"]]], r["closed_at"], r["pk"]))
    confidence = dict(CompetingOffer.Confidence.choices)
    laid_out = []
    for r in latest:
        row = {**r, **_gaps(r, theirs.get(r["their_pk"]))}
        row.update(
            candidate=r["application__candidate__name"],
            role=f"{r['application__role__title']}, {r['application__role__city']}",
            competitor=names[r["went_to"]],
            confidence=confidence.get(row["their_confidence"], "not recorded"),
        )
        laid_out.append(row)
    columns = [
        Column("candidate", "Candidate"),
        Column("role", "Role"),
        Column("competitor", "Went to"),
        Column("confidence", "How sure we are"),
        Column("report_year_one", "Our last offer", MONEY),
        Column("their_year_one", "Theirs", MONEY),
        Column("gap", "Gap", MONEY),
        *(Column(f"gap_{key}", f"{label} gap", MONEY) for key, label in COMPONENTS),
    ]
    if scope.pay:
        # Read from the amounts, though it is words: shown only to those who see pay.
        columns.append(Column("mostly", "Mostly in"))
    shown = (
        f"The latest {LATEST} of {lost} losses, by the day they declined; narrow the filters to "
        "see the others. "
        if lost > LATEST
        else ""
    )
    return Table(
        "losses",
        "Losses to a competitor: their offer against our last one",
        columns,
        laid_out,
        note=shown + "Year one, in the reporting currency. The gap is theirs minus ours "
        "(negative: ours was higher); the component gaps add up to it. Theirs is the "
        "competitor's offer recorded on the application, the most certain one and then the "
        "latest. “Mostly in” is the component with the largest gap in their favour (the first "
        "of them, in this order, on a tie).",
    )


def gap_by_competitor(scope: Scope, names: dict[int, str]) -> Table:
    """The losses to each competitor and the median gaps, in one grouped query: the competing
    offer believed is joined by its id (one subquery a loss), not read field by field."""
    theirs = FilteredRelation(
        "application__competing_offers",
        condition=Q(application__competing_offers__pk=F("their_pk")),
    )
    groups: QuerySet[Any] = (
        losses(scope)
        .annotate(
            theirs=theirs,
            gap=_money(F("theirs__report_year_one") - F("report_year_one")),
            gap_base=_money(F("theirs__report_base") - F("report_base")),
            gap_equity=_money(F("theirs__report_equity") - F("report_equity")),
        )
        .values("went_to")
        .annotate(
            lost=Count("pk"),
            compared=Count("pk", filter=Q(gap__isnull=False)),
            median_gap=Median("gap"),
            median_base=Median("gap_base"),
            median_equity=Median("gap_equity"),
        )
        .order_by()
    )
    place = {pk: i for i, pk in enumerate(names)}
    rows = [
        {
            "competitor": names[g["went_to"]],
            "lost": g["lost"],
            "compared": g["compared"],
            "median_gap": _cents(g["median_gap"]),
            "median_base": _cents(g["median_base"]),
            "median_equity": _cents(g["median_equity"]),
        }
        for g in sorted(groups, key=lambda g: place[g["went_to"]])
    ]
    return Table(
        "gap_by_competitor",
        "Losses to each competitor",
        [
            Column("competitor", "Competitor"),
            Column("lost", "Lost to them", COUNT),
            Column("compared", "With their offer recorded", COUNT),
            Column("median_gap", "Median gap", MONEY),
            Column("median_base", "Median base salary gap", MONEY),
            Column("median_equity", "Median equity gap", MONEY),
        ],
        rows,
        note="The medians are over the losses whose competing offer was recorded and valued: "
        "year one, theirs minus ours."
        if scope.pay
        else "",
        chart=BarChart(
            "Median gap, year one",
            [Bar(r["competitor"], float(r["median_gap"])) for r in rows if r["median_gap"]],
            MONEY,
        ),
    )


def _money(expression: Any) -> ExpressionWrapper[Any]:
    return ExpressionWrapper(expression, output_field=AMOUNT)


def _cents(value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- Counter-offers ----------------------------------------------------------------------------


def counters(scope: Scope) -> QuerySet[WithAnnotations[Offer, _Counter]]:
    """The answers to a counter-offer: the last version sent was not the first (an earlier
    version was sent), and a competing offer had been recorded on the application before it was
    sent. `raise_` is its year one above the first version sent's."""
    sent = Offer.objects.filter(
        application=OuterRef("application"), kind=Offer.Kind.NEW_HIRE, sent_at__isnull=False
    )
    rival_before = CompetingOffer.objects.filter(
        application=OuterRef("application"), recorded_at__lt=OuterRef("sent_at")
    )
    return (
        answers(scope)
        .filter(Exists(sent.filter(version__lt=OuterRef("version"))))
        .filter(Exists(rival_before))
        .annotate(
            first_year_one=Subquery(sent.order_by("version").values("report_year_one")[:1]),
        )
        .annotate(raise_=_money(F("report_year_one") - F("first_year_one")))
    )


def _counter_figures() -> dict[str, Any]:
    return {
        "n": Count("pk"),
        "won": Count("pk", filter=Q(status=ACCEPTED)),
        "median_raise": Median("raise_"),
        "cost_won": Sum("raise_", filter=Q(status=ACCEPTED)),
    }


def _counter_row(label: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "n": figures["n"],
        "won": figures["won"],
        "won_rate": share(figures["won"], figures["n"]),
        "median_raise": _cents(figures["median_raise"]),
        "cost_won": figures["cost_won"] if figures["won"] else None,
    }


def counter_offers(scope: Scope) -> Table:
    rows_of = counters(scope)
    groups = (
        rows_of.values(
            "application__role_id", "application__role__title", "application__role__city"
        )
        .annotate(**_counter_figures())
        .order_by("application__role__title", "application__role__city", "application__role_id")
    )
    rows = [
        _counter_row(f"{g['application__role__title']}, {g['application__role__city']}", g)
        for g in groups
    ]
    if rows:
        rows.append(_counter_row("All roles", rows_of.aggregate(**_counter_figures())))
    return Table(
        "counter_offers",
        "Counter-offers: how often they won, and at what cost",
        [
            Column("label", "Role"),
            Column("n", "Counter-offers answered", COUNT),
            Column("won", "Accepted", COUNT),
            Column("won_rate", "Won", RATE, of="n"),
            Column("median_raise", "Median raise over the first offer", MONEY),
            Column("cost_won", "Raises of those accepted, in all", MONEY),
        ],
        rows,
        note="A counter-offer: the last version we sent was a revision, sent after a competing "
        "offer was recorded on the application."
        + (
            " The raise is its year one minus that of the first version sent; the median is "
            "over every counter-offer answered, the total over those accepted (what winning "
            "cost)."
            if scope.pay
            else ""
        ),
    )


def build(scope: Scope) -> list[Table]:
    groups = tally(scope)
    raced = races(scope)
    names = competitor_names(groups, raced)
    lost = sum(g["n"] for g in groups if g["status"] == DECLINED and g["went_to"] is not None)
    return [
        by_role(groups),
        by_level(groups),
        by_competitor(groups, raced, names),
        loss_list(scope, lost, names),
        gap_by_competitor(scope, names),
        counter_offers(scope),
    ]


OUTCOMES = ReportSpec(
    slug="outcomes",
    title="Wins and losses",
    summary="Offers accepted and declined by role, level and competitor; what each loss to a "
    "competitor was lost by, and in which components; how often a counter-offer won, and what "
    "it cost above the first offer.",
    build=build,
)
