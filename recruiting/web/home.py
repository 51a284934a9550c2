"""The signed-in user's home page: what needs them this week."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from candidates.models import Candidate
from offers.access import (
    approving_groups,
    can_see_compensation,
    visible_competing_offers,
    visible_offers,
)
from offers.models import Approval, Offer
from recruiting.alerts.models import Alert
from recruiting.lib.types import AuthenticatedRequest
from recruiting.pipeline.access import sees_every_application, visible_applications
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.selectors import stale_applications

SHOWN = 10  # rows per panel; each panel links to the full list


def _my_stale_applications(user: User, now: datetime) -> QuerySet[Application]:
    """The stale applications of the user's candidates and roles. Only the sides the user has
    are asked for: someone who owns no candidate and manages no role (an administrator) would
    otherwise have PostgreSQL read every stale application, oldest first, for none."""
    mine = Q()
    if Candidate.objects.filter(owner=user).exists():
        mine |= Q(candidate__owner=user)
    if Role.objects.filter(hiring_manager=user).exists():
        mine |= Q(role__hiring_manager=user)
    if not mine:
        return Application.objects.none()
    stale = stale_applications(now).filter(mine)
    if not sees_every_application(user):
        stale = stale.filter(pk__in=visible_applications(user).values("pk"))
    return stale.select_related("candidate", "role", "stage").order_by("stage_entered_at")


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    user, now = request.user, timezone.now()
    week = now + timedelta(days=7)
    waiting = (
        Approval.objects.filter(
            status=Approval.Status.PENDING,
            offer__status=Offer.Status.PENDING_APPROVAL,
            group__in=approving_groups(user),
        )
        .exclude(offer__drafted_by=user)
        .select_related("offer__application__candidate", "offer__application__role", "group")
        .order_by("requested_at")
    )
    expiring = (
        visible_offers(user)
        .filter(status__in=Offer.OPEN_STATUSES, expires_at__gt=now, expires_at__lte=week)
        .exclude(status=Offer.Status.DRAFT)
        .select_related("application__candidate", "application__role")
        .order_by("expires_at")
    )
    deadlines = (
        visible_competing_offers(user)
        .filter(deadline__gt=now, deadline__lte=week)
        .filter(Q(application__isnull=True) | Q(application__status="open"))
        .select_related("candidate", "competitor", "application__role")
        .order_by("deadline")
    )
    stale = _my_stale_applications(user, now)
    # The pipelines to open: a hiring manager's own roles; everyone's open roles for those who
    # see every application.
    roles = Role.objects.filter(status=Role.Status.OPEN)
    if not sees_every_application(user):
        roles = roles.filter(hiring_manager=user)
    context = {
        "roles": roles.order_by("title", "city"),
        "alerts": Alert.objects.filter(recipient=user)
        .exclude(status=Alert.Status.SUPPRESSED)  # kinds the user turned off
        .order_by("-created_at", "-id")[:SHOWN],
        "waiting": waiting[:SHOWN],
        "expiring": expiring[:SHOWN],
        "deadlines": deadlines[:SHOWN],
        "stale": stale[:SHOWN],
        "amounts": can_see_compensation(user),
    }
    return render(request, "web/home.html", context)
