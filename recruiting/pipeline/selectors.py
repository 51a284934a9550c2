"""Reads of the pipeline that more than one place needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import CLOSING_KINDS, Application, Role, Stage


def stale_applications(now: datetime | None = None) -> QuerySet[Application]:
    """Open applications that have stayed in their stage longer than its time limit.

    Time limits take only a handful of values, so the condition is one OR per distinct limit,
    each a plain range on stage_entered_at: set-based and the same on PostgreSQL and SQLite.
    """
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
    return Application.objects.filter(over, status=Application.Status.OPEN)


def open_stages() -> QuerySet[Stage]:
    """The stages an application can be moved to: of open roles, not hired or lost."""
    return (
        Stage.objects.filter(role__status=Role.Status.OPEN)
        .exclude(kind__in=CLOSING_KINDS)
        .select_related("role")
        .order_by("role__title", "role_id", "position")
    )
