"""add_to_pipeline: an application starts in its role's first (or a chosen open) stage
with its history; closed roles, duplicates and other roles' stages are refused."""

from __future__ import annotations

import pytest
from django.utils import timezone

from recruiting.pipeline.models import Application, Role, StageChange
from recruiting.pipeline.services import PipelineError, add_to_pipeline
from tests.factories import CandidateFactory, RoleFactory
from tests.pipeline.helpers import history, stage

pytestmark = pytest.mark.django_db


# --- add_to_pipeline -----------------------------------------------------------------------


def test_a_new_application_starts_in_the_first_stage_with_its_history(recruiter):
    role = RoleFactory(title="Pre-training Researcher")
    ada = CandidateFactory(name="Ada Lovelace")
    before = timezone.now()

    application = add_to_pipeline(ada, role, by=recruiter)

    application.refresh_from_db()
    assert application.stage == stage(role, "Sourced")
    assert application.status == Application.Status.OPEN
    change = application.stage_changes.get()
    assert change.from_stage is None
    assert change.to_stage == stage(role, "Sourced")
    assert change.changed_by == recruiter
    assert before <= change.changed_at <= timezone.now()
    assert change.changed_at == application.stage_entered_at


def test_an_application_can_start_in_a_chosen_open_stage(recruiter):
    role = RoleFactory()

    application = add_to_pipeline(
        CandidateFactory(), role, stage=stage(role, "Screen"), by=recruiter
    )

    assert application.stage.name == "Screen"
    assert history(application) == [(None, "Screen")]


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Role.Status.CLOSED, "closed"),
        (Role.Status.ON_HOLD, "on hold"),
        (Role.Status.FILLED, "filled"),
    ],
)
def test_a_role_that_is_not_open_takes_no_candidates(recruiter, status, shown):
    role = RoleFactory(status=status)

    with pytest.raises(PipelineError) as caught:
        add_to_pipeline(CandidateFactory(), role, by=recruiter)

    assert shown in caught.value.message_dict["role"][0]
    assert not Application.objects.exists()


def test_a_candidate_is_in_a_role_pipeline_only_once(recruiter):
    role = RoleFactory()
    ada = CandidateFactory(name="Ada Lovelace")
    add_to_pipeline(ada, role, by=recruiter)

    with pytest.raises(PipelineError) as caught:
        add_to_pipeline(ada, role, by=recruiter)

    assert "Ada Lovelace is already in the pipeline" in caught.value.message_dict["role"][0]
    assert Application.objects.count() == 1
    assert StageChange.objects.count() == 1


def test_an_application_cannot_start_in_a_stage_of_another_role(recruiter):
    role = RoleFactory(title="Inference Engineer")
    other = RoleFactory(title="Safety Researcher")

    with pytest.raises(PipelineError) as caught:
        add_to_pipeline(CandidateFactory(), role, stage=stage(other, "Screen"), by=recruiter)

    message = caught.value.message_dict["stage"][0]
    assert "Screen" in message
    assert "Safety Researcher" in message
    assert not Application.objects.exists()


@pytest.mark.parametrize("closing", ["Hired", "Lost"])
def test_an_application_cannot_start_hired_or_lost(recruiter, closing):
    role = RoleFactory()

    with pytest.raises(PipelineError) as caught:
        add_to_pipeline(CandidateFactory(), role, stage=stage(role, closing), by=recruiter)

    assert "stage" in caught.value.message_dict
    assert not Application.objects.exists()
