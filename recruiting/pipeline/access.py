"""Who may see which applications on Closer's pages (the admin has its own permissions).

Recruiters (anyone who may view applications in the admin) see every application; a hiring
manager sees the applications of the roles they manage. Anyone else sees none: a page about
an application they may not see is a 404, so that its existence does not leak.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Activity, Application


def sees_every_application(user: User) -> bool:
    # As in the admin, the right to change applications includes the right to view them.
    return user.is_active and (
        user.has_perm("pipeline.view_application") or user.has_perm("pipeline.change_application")
    )


def visible_applications(user: User) -> QuerySet[Application]:
    applications = Application.objects.all()
    if not user.is_active:
        return applications.none()
    if sees_every_application(user):
        return applications
    return applications.filter(Q(role__hiring_manager=user))


def get_application_or_404(user: User, pk: int) -> Application:
    return get_object_or_404(
        visible_applications(user).select_related("candidate", "role", "stage"), pk=pk
    )


def visible_activities(user: User) -> QuerySet[Activity]:
    """The activities the pages show: a candidate's page shows all of theirs, and opens for
    whoever sees one of the candidate's applications (or every application)."""
    activities = Activity.objects.all()
    if not user.is_active:
        return activities.none()
    if sees_every_application(user):
        return activities
    return activities.filter(candidate__in=visible_applications(user).values("candidate_id"))
