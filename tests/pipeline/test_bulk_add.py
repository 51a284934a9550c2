"""Adding many candidates to a role's pipeline at once: from the admin's candidate list (an
action) and from the workspace's; at the role's first stage or a chosen one of its stages;
those already in it left as they are; a closed role or another role's stage refuses them all."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recruiting.pipeline.models import Application, Role, StageChange
from recruiting.pipeline.services import PipelineError, add_candidates_to_pipeline
from tests.candidates.test_admin_bulk_actions import run_action
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_five_candidates_join_a_pipeline_at_its_first_stage_and_the_others_stay(recruiter):
    role = RoleFactory(title="Inference Engineer")
    five = [CandidateFactory(name=f"Candidate {n}") for n in range(5)]
    ApplicationFactory(candidate=five[0], role=role)  # already there
    chosen = type(five[0]).objects.filter(pk__in=[c.pk for c in five])

    made, already = add_candidates_to_pipeline(chosen, role, by=recruiter)

    assert already == ["Candidate 0"]
    assert len(made) == 4
    assert {a.stage.name for a in made} == {"Sourced"}
    assert Application.objects.filter(role=role).count() == 5
    assert StageChange.objects.filter(application__in=made, changed_by=recruiter).count() == 4


def test_a_chosen_stage_and_the_refusals(recruiter):
    role, other = RoleFactory(title="Inference Engineer"), RoleFactory(title="Safety")
    people = type(CandidateFactory()).objects.all()

    made, _ = add_candidates_to_pipeline(
        people, role, by=recruiter, stage=role.stages.get(name="Screen")
    )
    assert [a.stage.name for a in made] == ["Screen"]

    with pytest.raises(PipelineError) as wrong_stage:
        add_candidates_to_pipeline(
            people, other, by=recruiter, stage=role.stages.get(name="Screen")
        )
    assert wrong_stage.value.message_dict == {
        "stage": [f"Screen is a stage of {role}, not of {other}."]
    }
    Role.objects.filter(pk=other.pk).update(status=Role.Status.FILLED)
    other.refresh_from_db()
    with pytest.raises(PipelineError, match="only open roles take candidates"):
        add_candidates_to_pipeline(people, other, by=recruiter)
    assert not Application.objects.filter(role=other).exists()


def test_the_admin_action_adds_the_selected_candidates(recruiter_client):
    role = RoleFactory(title="Inference Engineer")
    ada, grace = CandidateFactory(name="Ada Lovelace"), CandidateFactory(name="Grace Hopper")

    response = run_action(
        recruiter_client,
        "add_to_pipeline_action",
        [ada, grace],
        role=str(role.pk),
        stage_name="Contacted",
    )

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Added 2 to the pipeline of {role}, at Contacted."
    ]
    assert sorted(
        Application.objects.filter(role=role).values_list("candidate__name", "stage__name")
    ) == [("Ada Lovelace", "Contacted"), ("Grace Hopper", "Contacted")]


def test_the_workspace_list_searches_and_adds_the_ticked_ones(recruiter_client):
    role = RoleFactory(title="Inference Engineer")
    people = [CandidateFactory(name=f"Smith {n}") for n in range(3)] + [
        CandidateFactory(name="Ada")
    ]
    url = reverse("web:candidates")

    found = recruiter_client.get(url, {"q": "smith"}).content.decode()
    assert found.count('name="candidate"') == 3 and "Ada" not in found

    page = recruiter_client.post(
        url + "?q=smith",
        {"candidate": [str(p.pk) for p in people[:2]], "role": str(role.pk), "stage_name": ""},
        follow=True,
    )
    assert f"Added 2 to the pipeline of {role}, at Sourced." in page.content.decode()
    nothing = recruiter_client.post(url, {"role": str(role.pk)})
    assert "Tick the candidates to add first." in nothing.content.decode()
    assert Application.objects.filter(role=role).count() == 2


def test_the_workspace_list_is_the_recruiters(client, hiring_manager):
    client.force_login(hiring_manager)

    assert client.get(reverse("web:candidates")).status_code == 404


def test_the_workspace_list_counts_up_to_a_thousand_then_says_more_than(recruiter_client):
    from candidates.models import Candidate

    Candidate.objects.bulk_create([Candidate(name=f"Smith {n:04}") for n in range(1001)])
    url = reverse("web:candidates")

    page = recruiter_client.get(url, {"q": "smith"}).content.decode()

    assert (
        "Page 1 of 20 (more than 1,000 candidates match: the 1,000 added last are listed; "
        "add a word to narrow the search)" in page
    )
    Candidate.objects.filter(name="Smith 1000").delete()
    exact = recruiter_client.get(url, {"q": "smith"}).content.decode()
    assert "Page 1 of 20 (1,000 candidates)" in exact
