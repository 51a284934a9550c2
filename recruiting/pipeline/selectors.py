"""Reads of the pipeline that more than one place needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import CLOSING_KINDS, Activity, Application, Role, Stage


def stale_condition(now: datetime | None = None) -> Q:
    """The condition `stale_applications` puts on an application (with its status), to count
    the stale ones among others in one pass: a filter on a COUNT rather than an IN subquery."""
    now = now or timezone.now()
    limits = (
        Stage.objects.filter(time_limit_days__isnull=False)
        .order_by()
        .values_list("time_limit_days", flat=True)
        .distinct()
    )
    over = Q(pk__in=[])
    for days in limits:
        assert days is not None  # the query reads only stages with a limit
        over |= Q(stage__time_limit_days=days, stage_entered_at__lt=now - timedelta(days=days))
    return over & Q(status=Application.Status.OPEN)


def stale_applications(now: datetime | None = None) -> QuerySet[Application]:
    """Open applications that have stayed in their stage longer than its time limit.

    Time limits take only a handful of values, so the condition is one OR per distinct limit,
    each a plain range on stage_entered_at: set-based and the same on PostgreSQL and SQLite.
    """
    return Application.objects.filter(stale_condition(now))


def open_stages() -> QuerySet[Stage]:
    """The stages an application can be moved to: of open roles, not hired or lost."""
    return (
        Stage.objects.filter(role__status=Role.Status.OPEN)
        .exclude(kind__in=CLOSING_KINDS)
        .select_related("role")
        .order_by("role__title", "role_id", "position")
    )


def follow_ups_due_applications(now: datetime | None = None) -> QuerySet[Application]:
    """Open applications in a stage marked for follow-ups (Contacted by default) with nothing
    logged for the stage's follow_up_days, annotated with `last_touch`.

    The clock starts at the later of the stage entry and the latest activity with the
    candidate about this application or about no application in particular (the candidate
    page logs those): a note from before the candidate was contacted is no follow-up.
    """
    now = now or timezone.now()
    latest_activity = (
        Activity.objects.filter(candidate_id=OuterRef("candidate_id"))
        .filter(Q(application_id=OuterRef("pk")) | Q(application__isnull=True))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    # One OR per distinct number of days (a handful), as in stale_applications; the plain
    # range on stage_entered_at lets the database skip recent entries before the subquery.
    due = Q(pk__in=[])
    for days in (
        Stage.objects.filter(follow_up_days__isnull=False)
        .order_by()
        .values_list("follow_up_days", flat=True)
        .distinct()
    ):
        assert days is not None  # the query reads only stages with follow-up days
        cutoff = now - timedelta(days=days)
        due |= Q(stage__follow_up_days=days, stage_entered_at__lt=cutoff, last_touch__lt=cutoff)
    return (
        Application.objects.filter(status=Application.Status.OPEN)
        .annotate(
            last_touch=Greatest(
                "stage_entered_at", Coalesce(Subquery(latest_activity), "stage_entered_at")
            )
        )
        .filter(due)
    )
