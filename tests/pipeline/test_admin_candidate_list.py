"""The candidate list in the admin, for the pipeline: the stage and role filters, and the
move-stage and merge actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from candidates.models import Candidate, CandidateEmail
from recruiting.pipeline.models import DEFAULT_PIPELINE, Application, StageChange
from recruiting.pipeline.services import move_stage
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory
from tests.pipeline.admin_helpers import messages_of, run_action
from tests.pipeline.helpers import stage

pytestmark = pytest.mark.django_db


CANDIDATES = reverse("admin:candidates_candidate_changelist")


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["cl"].result_list)


# --- Stage and role filters on the candidate list ------------------------------------------


@pytest.fixture
def pipelines(recruiter):
    inference = RoleFactory(title="Inference Engineer")
    safety = RoleFactory(title="Safety Researcher")
    ada = CandidateFactory(name="Ada Lovelace")
    grace = CandidateFactory(name="Grace Hopper")
    alan = CandidateFactory(name="Alan Turing")
    CandidateFactory(name="Barbara Liskov")
    ada_inference = ApplicationFactory(candidate=ada, role=inference)
    move_stage(ada_inference, stage(inference, "Screen"), by=recruiter)
    ApplicationFactory(candidate=grace, role=inference)
    grace_safety = ApplicationFactory(candidate=grace, role=safety)
    move_stage(grace_safety, stage(safety, "Screen"), by=recruiter)
    ApplicationFactory(candidate=alan, role=safety)
    return {"inference": inference, "safety": safety}


def test_the_stage_filter_shows_candidates_in_that_stage_of_any_role(recruiter_client, pipelines):
    response = recruiter_client.get(CANDIDATES, {"stage": "Screen"})

    assert listed(response) == ["Ada Lovelace", "Grace Hopper"]


def test_the_stage_filter_offers_stages_in_pipeline_order(recruiter_client, pipelines):
    response = recruiter_client.get(CANDIDATES)

    stage_filter = next(f for f in response.context["cl"].filter_specs if f.title == "stage")
    assert [name for name, _ in stage_filter.lookup_choices] == [n for n, *_ in DEFAULT_PIPELINE]


def test_the_role_filter_shows_candidates_in_that_roles_pipeline(recruiter_client, pipelines):
    response = recruiter_client.get(CANDIDATES, {"role": pipelines["safety"].pk})

    assert listed(response) == ["Alan Turing", "Grace Hopper"]


def test_stage_and_role_filters_combine(recruiter_client, pipelines):
    response = recruiter_client.get(
        CANDIDATES, {"stage": "Screen", "role": pipelines["inference"].pk}
    )

    # Grace is in Screen for Safety, and in the Inference pipeline, but not in its Screen.
    assert listed(response) == ["Ada Lovelace"]


# --- The move-stage action -----------------------------------------------------------------


def test_moving_the_selected_candidates_to_a_stage(recruiter_client, recruiter):
    role = RoleFactory(title="Inference Engineer")
    ada, grace = CandidateFactory.create_batch(2)
    for candidate in (ada, grace):
        ApplicationFactory(candidate=candidate, role=role)

    response = run_action(
        recruiter_client,
        CANDIDATES,
        "move_stage_action",
        [ada, grace],
        stage=str(stage(role, "Interviews").pk),
    )

    assert response.status_code == 302
    assert set(Application.objects.values_list("stage__name", flat=True)) == {"Interviews"}
    assert (
        StageChange.objects.filter(to_stage__name="Interviews", changed_by=recruiter).count() == 2
    )
    assert "Moved 2 application(s)" in messages_of(response)[0]


def test_moving_refuses_all_when_one_candidate_is_not_in_the_role(recruiter_client):
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(name="Ada Lovelace")
    ApplicationFactory(candidate=ada, role=role)
    alan = CandidateFactory(name="Alan Turing")

    response = run_action(
        recruiter_client,
        CANDIDATES,
        "move_stage_action",
        [ada, alan],
        stage=str(stage(role, "Screen").pk),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alan Turing" in page
    assert "Nothing moved" in page
    assert Application.objects.get().stage.name == "Sourced"
    assert StageChange.objects.count() == 1


# --- The merge action ----------------------------------------------------------------------


def test_merging_two_selected_candidates_keeps_the_chosen_record(recruiter_client):
    role = RoleFactory()
    keep = CandidateFactory(name="Ada Lovelace", email="ada@example.org")
    duplicate = CandidateFactory(name="A. Lovelace", email="countess@example.org")
    ApplicationFactory(candidate=duplicate, role=role)

    response = run_action(
        recruiter_client, CANDIDATES, "merge_action", [keep, duplicate], keep=str(keep.pk)
    )

    assert response.status_code == 302
    assert list(Candidate.objects.all()) == [keep]
    assert set(keep.emails.values_list("email", flat=True)) == {
        "ada@example.org",
        "countess@example.org",
    }
    assert keep.applications.get().role == role
    assert "Merged A. Lovelace into Ada Lovelace." in messages_of(response)


def test_merging_needs_exactly_two_candidates(recruiter_client):
    candidates = CandidateFactory.create_batch(3)

    response = recruiter_client.post(
        CANDIDATES,
        {"action": "merge_action", "_selected_action": [c.pk for c in candidates]},
    )

    assert response.status_code == 302
    assert "Select exactly two candidates to merge." in messages_of(response)
    assert Candidate.objects.count() == 3


def test_candidate_emails_survive_the_merge_action_without_a_second_primary(recruiter_client):
    keep = CandidateFactory(email="ada@example.org")
    duplicate = CandidateFactory(email="countess@example.org")

    run_action(recruiter_client, CANDIDATES, "merge_action", [keep, duplicate], keep=str(keep.pk))

    assert list(CandidateEmail.objects.filter(is_primary=True).values_list("email", flat=True)) == [
        "ada@example.org"
    ]
