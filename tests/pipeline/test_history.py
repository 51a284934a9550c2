"""What the pipeline keeps from each application's history (recruiting/pipeline/history.py), which
the funnel report counts: when each stay in a stage ended (the application's next change), the
furthest stage it reached, Lost aside, and when it first went past Sourced. Kept by every way a
change is made, and made again when history is rewritten: a merge joining two histories, the
stages reordered in the admin, the migration that computed them for the history there was."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate
from recruiting.pipeline import history
from recruiting.pipeline.models import Application, StageChange
from recruiting.pipeline.services import (
    add_candidates_to_pipeline,
    mark_lost,
    merge_candidates,
    move_stage,
    move_stages_from,
    reopen_application,
)
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory
from tests.pipeline.helpers import stage

pytestmark = pytest.mark.django_db


def stays(application: Application) -> list[tuple[str, object, object]]:
    """Each change of the application in time order: the stage entered, when, when left."""
    return [
        (c.to_stage.name, c.changed_at, c.left_at)
        for c in application.stage_changes.select_related("to_stage").order_by("changed_at", "pk")
    ]


def furthest(application: Application) -> str | None:
    application.refresh_from_db()
    return application.furthest_stage.name if application.furthest_stage else None


def test_each_stay_ends_when_the_application_next_moves_and_the_furthest_stage_stays(recruiter):
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    for name in ("Contacted", "Screen", "Contacted"):
        application = move_stage(application, stage(role, name), by=recruiter)

    (s, t1, end1), (c, t2, end2), (sc, t3, end3), (back, t4, end4) = stays(application)
    assert (s, c, sc, back) == ("Sourced", "Contacted", "Screen", "Contacted")
    # Each stay ends when the next change was made; the stay in progress has no end.
    assert (end1, end2, end3, end4) == (t2, t3, t4, None)
    # Back to Contacted, it still reached Screen: on the row, and on the instance returned.
    assert furthest(application) == "Screen"
    assert application.furthest_stage_id == stage(role, "Screen").pk


def test_lost_is_no_stage_reached_and_a_reopened_application_goes_on(recruiter):
    role = RoleFactory()
    application = move_stage(ApplicationFactory(role=role), stage(role, "Screen"), by=recruiter)
    application = mark_lost(application, reason="not_interested", by=recruiter)

    assert furthest(application) == "Screen"
    *_, (screen, _, left_screen), (lost, lost_at, left_lost) = stays(application)
    assert (screen, lost, left_screen, left_lost) == ("Screen", "Lost", lost_at, None)

    application = reopen_application(application, by=recruiter)

    assert furthest(application) == "Offer"
    *_, (lost, _, left_lost), (offer, offer_at, left_offer) = stays(application)
    assert (lost, offer, left_lost, left_offer) == ("Lost", "Offer", offer_at, None)


def test_many_added_and_moved_at_once_keep_their_stays_and_furthest_stage(recruiter):
    role = RoleFactory()
    people = [CandidateFactory(owner=recruiter) for _ in range(3)]
    made, already = add_candidates_to_pipeline(
        Candidate.objects.filter(pk__in=[p.pk for p in people]), role, by=recruiter
    )
    assert already == [] and [furthest(a) for a in made] == ["Sourced"] * 3

    contacted = stage(role, "Contacted")
    moved = move_stages_from([(a, contacted) for a in made[:2]], kind="sourced", by=recruiter)

    assert [furthest(a) for a in made] == ["Contacted", "Contacted", "Sourced"]
    for application in moved:
        (_, _, left), (_, entered, still) = stays(application)
        assert left == entered and still is None
    assert stays(made[2])[0][2] is None  # not moved: still in Sourced


def advanced(application: Application) -> object:
    application.refresh_from_db()
    return application.first_advanced_at


def test_the_first_move_past_sourced_is_kept_as_the_first_contact(recruiter):
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    assert advanced(application) is None  # added at Sourced: not contacted yet

    application = move_stage(application, stage(role, "Contacted"), by=recruiter)
    contacted_at = application.stage_changes.get(to_stage__name="Contacted").changed_at
    assert advanced(application) == contacted_at
    for name in ("Screen", "Sourced", "Replied"):
        application = move_stage(application, stage(role, name), by=recruiter)
    assert advanced(application) == contacted_at  # the first one, whatever came after
    assert application.first_advanced_at == contacted_at  # on the instance returned too

    # Lost from Sourced is no contact; a reopened one goes to Offer, which is.
    lost = mark_lost(ApplicationFactory(role=role), reason="withdrew", by=recruiter)
    assert advanced(lost) is None
    lost = reopen_application(lost, by=recruiter)
    assert advanced(lost) == lost.stage_changes.get(to_stage__name="Offer").changed_at


def test_a_merge_joins_two_histories_in_time_order(recruiter):
    role = RoleFactory()
    ada, twin = CandidateFactory(name="Ada Lovelace"), CandidateFactory(name="Ada Lovelace")
    first = move_stage(
        ApplicationFactory(candidate=ada, role=role), stage(role, "Contacted"), by=None
    )
    second = move_stage(
        ApplicationFactory(candidate=twin, role=role), stage(role, "Screen"), by=None
    )
    now = timezone.now()
    # Ada's record: Sourced 10 days ago, Contacted 6; her twin's: Sourced 8, Screen 4.
    for application, days in ((first, (10, 6)), (second, (8, 4))):
        changes = list(application.stage_changes.order_by("pk"))
        for change, ago in zip(changes, days, strict=True):
            change.changed_at = now - timedelta(days=ago)
        history.restamp(changes)
    Application.objects.filter(pk=first.pk).update(first_emailed_at=now - timedelta(days=7))
    Application.objects.filter(pk=second.pk).update(first_emailed_at=now - timedelta(days=9))

    merge_candidates(ada, twin, by=recruiter)

    survivor = Application.objects.get(candidate=ada, role=role)
    day = [now - timedelta(days=n) for n in (10, 8, 6, 4)]
    assert stays(survivor) == [
        ("Sourced", day[0], day[1]),
        ("Sourced", day[1], day[2]),
        ("Contacted", day[2], day[3]),
        ("Screen", day[3], None),
    ]
    assert furthest(survivor) == "Screen"
    # Ada's first contact was her move to Contacted, 6 days ago; her twin's first email, 9 days
    # ago, is the survivor's first email, whichever application it was about.
    assert advanced(survivor) == day[2]
    assert survivor.first_emailed_at == now - timedelta(days=9)


def edit_stage_in_admin(client, admin_form_data, role, name: str, field: str, value: str):
    """Posts the role's admin page with one field of its stage `name` changed."""
    url = reverse("admin:pipeline_role_change", args=[role.pk])
    data = admin_form_data(client.get(url))
    key = next(key for key, given in data.items() if given == name)
    data[key.replace("-name", f"-{field}")] = value
    return client.post(url, data)


def test_stages_reordered_in_the_admin_change_which_stage_went_furthest(
    client, superuser, admin_form_data
):
    client.force_login(superuser)  # recruiters see the stages; an administrator edits them
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    for name in ("Replied", "Screen"):
        application = move_stage(application, stage(role, name), by=None)
    assert furthest(application) == "Screen"

    # Replied moved after every other stage.
    response = edit_stage_in_admin(client, admin_form_data, role, "Replied", "position", "10")

    assert response.status_code == 302, response.context["errors"]
    assert stage(role, "Replied").position == 10
    assert furthest(application) == "Replied"


def test_a_stage_given_another_kind_in_the_admin_changes_the_first_contact(
    client, superuser, admin_form_data
):
    client.force_login(superuser)
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    for name in ("Contacted", "Screen"):
        application = move_stage(application, stage(role, name), by=None)
    moved_at = {c.to_stage.name: c.changed_at for c in application.stage_changes.all()}
    assert advanced(application) == moved_at["Contacted"]

    # Contacted made a second Sourced step: entering it is no contact.
    response = edit_stage_in_admin(client, admin_form_data, role, "Contacted", "kind", "sourced")

    assert response.status_code == 302, response.context["errors"]
    assert advanced(application) == moved_at["Screen"]


def test_the_migration_computes_them_from_the_history_there_was(recruiter):
    """Its SQL (the same on PostgreSQL and SQLite) gives what the services keep."""
    role = RoleFactory()
    moved = move_stage(ApplicationFactory(role=role), stage(role, "Interviews"), by=None)
    moved = move_stage(moved, stage(role, "Contacted"), by=None)
    lost = mark_lost(ApplicationFactory(role=role), reason="withdrew", by=None)
    ApplicationFactory(role=role)
    kept = list(StageChange.objects.order_by("pk").values_list("pk", "left_at"))
    kept_on_applications = ("pk", "furthest_stage_id", "first_advanced_at")
    reached = list(Application.objects.order_by("pk").values_list(*kept_on_applications))
    assert furthest(moved) == "Interviews" and furthest(lost) == "Sourced"
    assert advanced(moved) is not None and advanced(lost) is None
    StageChange.objects.update(left_at=None)
    Application.objects.update(furthest_stage=None, first_advanced_at=None)

    migration = importlib.import_module(
        "recruiting.pipeline.migrations.0010_stay_ends_and_furthest_stage"
    )
    firsts = importlib.import_module("recruiting.pipeline.migrations.0011_first_contact")
    with connection.cursor() as cursor:
        cursor.execute(migration.STAY_ENDS)
        cursor.execute(migration.FURTHEST)
        cursor.execute(firsts.FIRST_ADVANCED)

    assert list(StageChange.objects.order_by("pk").values_list("pk", "left_at")) == kept
    assert list(Application.objects.order_by("pk").values_list(*kept_on_applications)) == (reached)


def test_rebuild_gives_what_the_services_kept(recruiter):
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    for name in ("Screen", "Replied"):
        application = move_stage(application, stage(role, name), by=None)
    kept = stays(application)
    first = advanced(application)
    StageChange.objects.update(left_at=None)
    Application.objects.update(furthest_stage=None, first_advanced_at=None)

    history.rebuild(Application.objects.all())

    assert stays(application) == kept
    assert furthest(application) == "Screen"
    assert advanced(application) == first == kept[1][1]  # its move to Screen
