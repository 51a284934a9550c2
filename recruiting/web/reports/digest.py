"""The weekly digest to the head of recruiting: the week's wins and losses, and the rivals whose
pay moved, emailed through the alerts outbox (docs/architecture.md, "How an alert travels").

The week is the seven days before Monday 00:00 (settings.TIME_ZONE) of the day the digest is
made, so the scheduler's Monday run and any re-run that week describe the same week; each
recipient's alert is keyed by that Monday, so a second run of the week sends nothing new.

- Wins: our offers accepted in the week (their closing time), any kind (a retention offer
  accepted keeps one of our people).
- Losses: our offers declined in the week, with the competitor whose offer the candidate chose
  (named on the decline, else the application's `lost_to`) and that competitor's latest
  competing offer on the same application.
- Rivals: per competitor, the median year one (report_year_one, in the reporting currency) of
  the competing offers recorded in the week against that of the twelve weeks before it.
  Rumoured offers are left out (hearsay), and so are offers not valued yet. A rival "moved"
  when both medians exist and the week's differs from the twelve weeks' by more than
  settings.REPORTS_DIGEST_MOVE_PERCENT (5 by default) of it.

Amounts go only to recipients with `view_compensation`; the others get the same digest as
counts (wins, losses, competing offers recorded per competitor), and no amount is kept in their
alert's row either. A member of the group who does not see every application (a hiring
manager) gets nothing: the digest names every role's candidates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from offers.models import CompetingOffer, Offer
from recruiting.alerts import registry as alert_registry
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert
from recruiting.lib.access import can_see_compensation
from recruiting.lib.aggregates import Median
from recruiting.lib.formats import money_in_sentence, signed_percent
from recruiting.pipeline.access import sees_every_application

log = logging.getLogger(__name__)

KIND = "reports_weekly_digest"
KEY_PREFIX = "reports-weekly-digest:"
BASELINE_WEEKS = 12
# The wins and losses listed by name; the counts cover them all.
LISTED = 15
CENT = Decimal("0.01")


def register() -> None:
    """The digest's alert kind (recruiting/web/apps.py calls this when the app loads)."""
    alert_registry.register_kind(alert_registry.AlertKind(KIND, "Weekly reports digest"))


@dataclass(frozen=True)
class Week:
    """Seven days, [starts, ends), ending on a Monday 00:00."""

    starts: datetime
    ends: datetime

    @property
    def baseline_starts(self) -> datetime:
        return self.starts - timedelta(weeks=BASELINE_WEEKS)

    @property
    def first_day(self) -> date:
        return timezone.localdate(self.starts)

    @property
    def last_day(self) -> date:
        return timezone.localdate(self.ends) - timedelta(days=1)


def week_before(now: datetime) -> Week:
    """The last whole week (Monday to Sunday) before `now`'s."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    ends = timezone.make_aware(datetime.combine(monday, time.min))
    return Week(ends - timedelta(weeks=1), ends)


# --- The figures (SQL: one query each, whatever the number of rows) -------------------------


def _money(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def wins(week: Week) -> tuple[int, list[dict[str, Any]]]:
    """(how many, the first LISTED by time): offers accepted in the week, with their year one."""
    accepted = Offer.objects.filter(
        status=Offer.Status.ACCEPTED, closed_at__gte=week.starts, closed_at__lt=week.ends
    )
    rows = accepted.order_by("closed_at", "pk").values(
        "report_year_one",
        candidate=F("application__candidate__name"),
        role=F("application__role__title"),
    )[:LISTED]
    return accepted.count(), [
        {"candidate": r["candidate"], "role": r["role"], "year_one": _money(r["report_year_one"])}
        for r in rows
    ]


def losses(week: Week) -> tuple[int, list[dict[str, Any]]]:
    """(how many, the first LISTED by time): offers declined in the week, with the competitor
    chosen and, when it is recorded, that competitor's latest competing offer's year one."""
    declined = Offer.objects.filter(
        status=Offer.Status.DECLINED, closed_at__gte=week.starts, closed_at__lt=week.ends
    ).annotate(
        competitor_id=Coalesce("decline_answer__competitor_id", "application__lost_to_id"),
    )
    theirs = CompetingOffer.objects.filter(
        application_id=OuterRef("application_id"), competitor_id=OuterRef("competitor_id")
    ).order_by("-recorded_at", "-pk")
    rows = (
        declined.order_by("closed_at", "pk")
        .annotate(
            rival_year_one=Subquery(theirs.values("report_year_one")[:1]),
        )
        .values(
            "report_year_one",
            "rival_year_one",
            candidate=F("application__candidate__name"),
            role=F("application__role__title"),
            competitor=Coalesce(
                F("decline_answer__competitor__name"), F("application__lost_to__name")
            ),
        )[:LISTED]
    )
    return declined.count(), [
        {
            "candidate": row["candidate"],
            "role": row["role"],
            "competitor": row["competitor"] or "",
            "year_one": _money(row["report_year_one"]),
            "rival_year_one": _money(row["rival_year_one"]),
        }
        for row in rows
    ]


def rivals(week: Week) -> list[dict[str, Any]]:
    """Per competitor with a competing offer in the week or the twelve before: how many were
    recorded in each, their medians of year one, the change in percent and whether it moved.
    Rumoured and not yet valued offers are left out."""
    this_week = Q(recorded_at__gte=week.starts)
    before = Q(recorded_at__lt=week.starts)
    rows = (
        CompetingOffer.objects.filter(
            recorded_at__gte=week.baseline_starts,
            recorded_at__lt=week.ends,
            report_year_one__isnull=False,
        )
        .exclude(confidence=CompetingOffer.Confidence.RUMOURED)
        .values("competitor_id")
        .annotate(
            name=F("competitor__name"),
            week_count=Count("pk", filter=this_week),
            before_count=Count("pk", filter=before),
            # Case rather than filter=: the median ignores the NULLs it gives, and SQLite's
            # percentile (the embedded setup) takes no filter= yet.
            week_median=Median(Case(When(this_week, then="report_year_one"))),
            before_median=Median(Case(When(before, then="report_year_one"))),
        )
        .order_by("name")
    )
    threshold = settings.REPORTS_DIGEST_MOVE_PERCENT
    figures = []
    for row in rows:
        now_, then = _money(row["week_median"]), _money(row["before_median"])
        change = (
            ((now_ - then) / then * 100).quantize(Decimal("0.1"))
            if now_ is not None and then
            else None
        )
        figures.append(
            {
                "name": row["name"],
                "week_count": row["week_count"],
                "before_count": row["before_count"],
                "week_median": now_,
                "before_median": then,
                "change": change,
                "moved": change is not None and abs(change) > threshold,
            }
        )
    return figures


# --- What each recipient reads --------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    week: Week
    wins: tuple[int, list[dict[str, Any]]]
    losses: tuple[int, list[dict[str, Any]]]
    rivals: list[dict[str, Any]]


def figures_of(week: Week) -> Figures:
    return Figures(week, wins(week), losses(week), rivals(week))


def _amount(value: Decimal | None) -> str:
    return money_in_sentence(value, settings.REPORTING_CURRENCY) if value is not None else ""


def context_for(figures: Figures, *, pay: bool) -> dict[str, object]:
    """The alert's context: text only (the outbox keeps it as JSON), and no amount at all when
    `pay` is False, so that the row holds none either."""
    (won, won_rows), (lost, lost_rows) = figures.wins, figures.losses
    week = figures.week
    context: dict[str, object] = {
        "pay": pay,
        "first_day": week.first_day.isoformat(),
        "last_day": week.last_day.isoformat(),
        "period": _period(week),
        "wins_count": won,
        "losses_count": lost,
        "baseline_weeks": BASELINE_WEEKS,
        "move_percent": str(settings.REPORTS_DIGEST_MOVE_PERCENT),
        "wins": [
            {"candidate": r["candidate"], "role": r["role"]}
            | ({"year_one": _amount(r["year_one"])} if pay else {})
            for r in won_rows
        ],
        "losses": [
            {"candidate": r["candidate"], "role": r["role"], "competitor": r["competitor"]}
            | (
                {"year_one": _amount(r["year_one"]), "rival_year_one": _amount(r["rival_year_one"])}
                if pay
                else {}
            )
            for r in lost_rows
        ],
        "more_wins": max(won - len(won_rows), 0),
        "more_losses": max(lost - len(lost_rows), 0),
    }
    if pay:
        context["moved"] = [
            {
                "name": r["name"],
                "week_median": _amount(r["week_median"]),
                "before_median": _amount(r["before_median"]),
                "change": signed_percent(r["change"]),
                "week_count": r["week_count"],
                "before_count": r["before_count"],
            }
            for r in figures.rivals
            if r["moved"]
        ]
    else:
        context["recorded"] = [
            {"name": r["name"], "week_count": r["week_count"], "before_count": r["before_count"]}
            for r in figures.rivals
            if r["week_count"]
        ]
    context["message"] = _summary(context)
    return context


def _period(week: Week) -> str:
    first, last = week.first_day, week.last_day
    return f"{first:%-d %b} to {last:%-d %b %Y}"


def _summary(context: dict[str, object]) -> str:
    """One line for the My alerts page."""
    moved = context.get("moved")
    rivals = f", {len(moved)} rival(s) moved" if isinstance(moved, list) else ""
    return (
        f"{context['period']}: {context['wins_count']} offer(s) accepted, "
        f"{context['losses_count']} declined{rivals}."
    )


def subject_of(figures: Figures) -> str:
    return (
        f"Weekly digest, {_period(figures.week)}: {figures.wins[0]} won, {figures.losses[0]} lost"
    )


# --- Sending ----------------------------------------------------------------------------


def recipients() -> list[User]:
    """The active members of settings.REPORTS_DIGEST_GROUP with an email address."""
    return list(
        User.objects.filter(groups__name=settings.REPORTS_DIGEST_GROUP, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def send_weekly_digest(now: datetime | None = None) -> int:
    """Raises this week's digest for each recipient who has not had it yet; the outbox delivers
    it (and the sweep, if its task is lost). Returns how many alerts it raised."""
    now = now or timezone.now()
    week = week_before(now)
    key = f"{KEY_PREFIX}{week.first_day.isoformat()}:"
    people = [u for u in recipients() if sees_every_application(u)]
    done = set(Alert.objects.filter(key__startswith=key).values_list("recipient_id", flat=True))
    people = [u for u in people if u.pk not in done]
    if not people:
        return 0
    figures = figures_of(week)
    link = reverse("web:reports")
    raised = 0
    for user in people:
        alert = raise_alert(
            kind=KIND,
            recipient=user,
            key=f"{key}{user.pk}",
            subject=subject_of(figures),
            context=context_for(figures, pay=can_see_compensation(user)),
            link=link,
            now=now,
        )
        raised += alert is not None
    log.info("weekly digest of %s: %s alert(s) raised", week.first_day, raised)
    return raised
