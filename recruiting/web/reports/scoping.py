"""The rows a report counts: those the filters name, among those the person may see."""

from __future__ import annotations

from django.db.models import Q

from .base import Scope


def application_filter(scope: Scope, prefix: str = "") -> Q:
    """The applications (reached from the report's rows through `prefix`, "application__" for
    offers) of the roles, levels, zones and owners the filters name and the person sees. The
    competitor and the dates mean something different to each report, which applies them."""
    f = scope.filters
    where = Q()
    if scope.role_ids is not None:
        where &= Q(**{f"{prefix}role_id__in": scope.role_ids})
    if f.role:
        where &= Q(**{f"{prefix}role_id": f.role})
    if f.level:
        where &= Q(**{f"{prefix}role__level": f.level})
    if f.zone:
        where &= Q(**{f"{prefix}role__zone": f.zone})
    if f.owner:
        # The application's copy of its candidate's owner: no join to the candidates.
        where &= Q(**{f"{prefix}candidate_owner_id": f.owner})
    return where
