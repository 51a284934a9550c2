"""move_stage, move_candidates_to_stage and move_stages_from: who moved an application and
when, only to a stage of its own role, never closed by a move; many candidates move all or
none; a job's many moves only of those still where it read them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from candidates.models import Candidate
from recruiting.pipeline.models import Application, StageChange
from recruiting.pipeline.services import (
    PipelineError,
    mark_hired,
    mark_lost,
    move_candidates_to_stage,
    move_stage,
)
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory
from tests.pipeline.helpers import history, stage

pytestmark = pytest.mark.django_db


# --- move_stage ----------------------------------------------------------------------------


def test_moving_an_application_records_who_moved_it_and_when(recruiter, hiring_manager):
    role = RoleFactory()
    application = ApplicationFactory(role=role, by=recruiter)
    before = timezone.now()

    move_stage(application, stage(role, "Screen"), by=hiring_manager)

    application.refresh_from_db()
    assert application.stage.name == "Screen"
    assert before <= application.stage_entered_at <= timezone.now()
    latest = application.stage_changes.last()
    assert (latest.from_stage.name, latest.to_stage.name) == ("Sourced", "Screen")
    assert latest.changed_by == hiring_manager
    assert latest.changed_at == application.stage_entered_at
    assert history(application) == [(None, "Sourced"), ("Sourced", "Screen")]


def test_an_application_moves_only_to_a_stage_of_its_own_role(recruiter):
    role = RoleFactory(title="Inference Engineer")
    other = RoleFactory(title="Safety Researcher")
    application = ApplicationFactory(role=role)

    with pytest.raises(PipelineError) as caught:
        move_stage(application, stage(other, "Interviews"), by=recruiter)

    message = caught.value.message_dict["stage"][0]
    assert "Interviews" in message
    assert "Safety Researcher" in message
    assert "Inference Engineer" in message
    application.refresh_from_db()
    assert application.stage.name == "Sourced"
    assert history(application) == [(None, "Sourced")]


def test_a_closed_application_cannot_move(recruiter):
    role = RoleFactory()
    application = mark_lost(
        ApplicationFactory(role=role), reason=Application.LostReason.NOT_A_FIT, by=recruiter
    )

    with pytest.raises(PipelineError) as caught:
        move_stage(application, stage(role, "Screen"), by=recruiter)

    assert "closed application cannot move" in caught.value.message_dict["stage"][0]
    application.refresh_from_db()
    assert application.stage.name == "Lost"


def test_moving_to_the_stage_it_is_in_is_refused(recruiter):
    role = RoleFactory()
    application = ApplicationFactory(role=role)

    with pytest.raises(PipelineError) as caught:
        move_stage(application, stage(role, "Sourced"), by=recruiter)

    assert "already in Sourced" in caught.value.message_dict["stage"][0]
    assert application.stage_changes.count() == 1


@pytest.mark.parametrize(("closing", "hint"), [("Hired", "Mark hired"), ("Lost", "Mark lost")])
def test_an_application_is_closed_by_marking_it_not_by_moving_it(recruiter, closing, hint):
    role = RoleFactory()
    application = ApplicationFactory(role=role)

    with pytest.raises(PipelineError) as caught:
        move_stage(application, stage(role, closing), by=recruiter)

    assert hint in caught.value.message_dict["stage"][0]
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


# --- move_candidates_to_stage --------------------------------------------------------------


def test_moving_many_candidates_moves_each_application_in_that_role(recruiter):
    role, other = RoleFactory(), RoleFactory()
    ada, grace = CandidateFactory.create_batch(2)
    ApplicationFactory(candidate=ada, role=role)
    ApplicationFactory(candidate=grace, role=role)
    elsewhere = ApplicationFactory(candidate=ada, role=other)

    moved = move_candidates_to_stage(
        Candidate.objects.all(), stage(role, "Interviews"), by=recruiter
    )

    assert moved == 2
    assert set(Application.objects.filter(role=role).values_list("stage__name", flat=True)) == {
        "Interviews"
    }
    assert (
        StageChange.objects.filter(to_stage__name="Interviews", changed_by=recruiter).count() == 2
    )
    elsewhere.refresh_from_db()
    assert elsewhere.stage.name == "Sourced"


def test_moving_many_candidates_moves_none_when_one_is_not_in_the_role(recruiter):
    role = RoleFactory()
    ada = CandidateFactory(name="Ada Lovelace")
    grace = CandidateFactory(name="Grace Hopper")
    ApplicationFactory(candidate=ada, role=role)
    ApplicationFactory(candidate=grace, role=role)
    CandidateFactory(name="Alan Turing")

    with pytest.raises(PipelineError) as caught:
        move_candidates_to_stage(Candidate.objects.all(), stage(role, "Screen"), by=recruiter)

    message = caught.value.message_dict["stage"][0]
    assert "Alan Turing" in message
    assert "Nothing moved" in message
    assert set(Application.objects.values_list("stage__name", flat=True)) == {"Sourced"}
    assert StageChange.objects.count() == 2


def test_moving_many_candidates_moves_none_when_one_application_is_closed(recruiter):
    role = RoleFactory()
    ada = CandidateFactory(name="Ada Lovelace")
    grace = CandidateFactory(name="Grace Hopper")
    ApplicationFactory(candidate=ada, role=role)
    mark_hired(ApplicationFactory(candidate=grace, role=role), by=recruiter)

    with pytest.raises(PipelineError) as caught:
        move_candidates_to_stage(Candidate.objects.all(), stage(role, "Offer"), by=recruiter)

    assert "Grace Hopper" in caught.value.message_dict["stage"][0]
    assert Application.objects.get(candidate=ada).stage.name == "Sourced"


def test_moving_many_candidates_to_a_closing_stage_moves_none(recruiter):
    role = RoleFactory()
    for candidate in CandidateFactory.create_batch(3):
        ApplicationFactory(candidate=candidate, role=role)

    with pytest.raises(PipelineError):
        move_candidates_to_stage(Candidate.objects.all(), stage(role, "Hired"), by=recruiter)

    assert set(Application.objects.values_list("stage__name", "status")) == {
        ("Sourced", Application.Status.OPEN)
    }
    assert StageChange.objects.count() == 3


# --- move_stages_from ------------------------------------------------------------------------


def test_moving_many_from_a_kind_moves_only_those_still_in_it(recruiter, hiring_manager):
    from recruiting.pipeline.models import Stage
    from recruiting.pipeline.services import move_stages_from
    from recruiting.pipeline.signals import application_moved

    role = RoleFactory()
    sourced, moved_on, closed = (ApplicationFactory(role=role, by=recruiter) for _ in range(3))
    # Read as a job read them, all in Sourced; then a recruiter moves one on and loses another.
    stale = list(Application.objects.filter(role=role).select_related("stage").order_by("pk"))
    move_stage(moved_on, stage(role, "Screen"), by=hiring_manager)
    mark_lost(closed, reason=Application.LostReason.NOT_INTERESTED, by=hiring_manager)
    announced = []

    def listen(application, **kwargs):
        announced.append(application.pk)

    application_moved.connect(listen)
    try:
        moved = move_stages_from(
            [(a, stage(role, "Contacted")) for a in stale],
            kind=Stage.Kind.SOURCED,
            by=recruiter,
        )
    finally:
        application_moved.disconnect(listen)

    assert [a.pk for a in moved] == announced == [sourced.pk]
    assert history(Application.objects.get(pk=sourced.pk)) == [
        (None, "Sourced"),
        ("Sourced", "Contacted"),
    ]
    assert sourced.stage_changes.last().changed_by == recruiter
    assert Application.objects.get(pk=moved_on.pk).stage.name == "Screen"
    assert Application.objects.get(pk=closed.pk).status == Application.Status.LOST
