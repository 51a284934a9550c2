"""An application's stage history and what is kept from it on the rows: the end of each stay
(StageChange.left_at, the time of the application's next change), the furthest stage it
reached (Application.furthest_stage, Lost aside) and when it first went past Sourced
(Application.first_advanced_at, Lost aside). The funnel report groups these; computed from the
history at read time they took seconds at a million changes (a window over every
application's changes, a grouping of all of them, a lookup for each offered application).

Every change is recorded through `record`; what rewrites history afterwards (the demo's and the
tests' histories moved into the past, a merge joining two histories, a role's stages
reordered) calls `rebuild` for the applications it touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery

from .models import Application, Stage, StageChange

# The stages whose entry is no step past the first: an application entering any other has been
# taken further than Sourced (the candidate was contacted, at least).
NOT_ADVANCED = (Stage.Kind.SOURCED, Stage.Kind.LOST)


def record(changes: list[StageChange]) -> list[StageChange]:
    """Saves new changes, at most one an application (each given its Application and Stage, not
    ids), each later than any before it: each application's stay before ends when its change
    is made, and its furthest stage moves on where the change goes further, in the database
    and on the instances given."""
    made = StageChange.objects.bulk_create(changes)
    made_pks = [change.pk for change in made]
    by_moment: defaultdict[object, list[int]] = defaultdict(list)
    advanced_at: defaultdict[object, list[int]] = defaultdict(list)
    by_stage: defaultdict[Stage, list[int]] = defaultdict(list)
    for change in made:
        by_moment[change.changed_at].append(change.application_id)
        if change.to_stage.kind != Stage.Kind.LOST:  # Lost is no stage reached
            by_stage[change.to_stage].append(change.application_id)
        if change.to_stage.kind not in NOT_ADVANCED:
            advanced_at[change.changed_at].append(change.application_id)
    for moment, applications in by_moment.items():
        StageChange.objects.filter(
            application_id__in=applications, left_at__isnull=True, changed_at__lte=moment
        ).exclude(pk__in=made_pks).update(left_at=moment)
    for stage, applications in by_stage.items():
        Application.objects.filter(pk__in=applications).filter(
            Q(furthest_stage__isnull=True) | Q(furthest_stage__position__lt=stage.position)
        ).update(furthest_stage=stage)
    for moment, applications in advanced_at.items():
        Application.objects.filter(pk__in=applications).filter(
            Q(first_advanced_at__isnull=True) | Q(first_advanced_at__gt=moment)
        ).update(first_advanced_at=moment)
    kept = {
        pk: (furthest, advanced)
        for pk, furthest, advanced in Application.objects.filter(
            pk__in=[c.application_id for c in made]
        ).values_list("pk", "furthest_stage_id", "first_advanced_at")
    }
    for change in made:
        application = change.application
        application.furthest_stage_id, application.first_advanced_at = kept[application.pk]
    return made


def rebuild(applications: QuerySet[Application] | Iterable[int]) -> None:
    """Computes again, from their whole history, the end of each stay, the furthest stage and
    when they first went past Sourced of `applications` (a queryset or ids)."""
    chosen = (
        applications
        if isinstance(applications, QuerySet)
        else Application.objects.filter(pk__in=list(applications))
    )
    later = Q(changed_at__gt=OuterRef("changed_at")) | Q(
        changed_at=OuterRef("changed_at"), pk__gt=OuterRef("pk")
    )
    following = (
        StageChange.objects.filter(later, application_id=OuterRef("application_id"))
        .order_by("changed_at", "pk")
        .values("changed_at")[:1]
    )
    StageChange.objects.filter(application__in=chosen).update(left_at=Subquery(following))
    furthest = (
        StageChange.objects.filter(application_id=OuterRef("pk"))
        .exclude(to_stage__kind=Stage.Kind.LOST)
        .order_by("-to_stage__position", "-changed_at", "-pk")
        .values("to_stage_id")[:1]
    )
    advanced = (
        StageChange.objects.filter(application_id=OuterRef("pk"))
        .exclude(to_stage__kind__in=NOT_ADVANCED)
        .order_by("changed_at")
        .values("changed_at")[:1]
    )
    chosen.update(furthest_stage=Subquery(furthest), first_advanced_at=Subquery(advanced))


def restamp(changes: list[StageChange]) -> None:
    """Saves the times given to `changes` (the demo's and the tests' histories, moved into the
    past after the services stamped them now) and rebuilds their applications' stays."""
    for change in changes:
        change.left_at = None
    StageChange.objects.bulk_update(changes, ["changed_at", "left_at"])
    rebuild({change.application_id for change in changes})
