"""A candidate's page in the workspace: who they are and what they weigh, their pipelines,
outreach, offers, competing offers and activities; adding them to a role's pipeline and
logging an activity from there (bad input refused on its field); the admin links to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from recruiting.pipeline.models import Activity, Application
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


def page_url(candidate) -> str:
    return reverse("web:candidate", args=[candidate.pk])


def test_the_page_says_who_they_are_and_where_they_stand(recruiter_client, recruiter):
    from offers.demo import build_market

    build_market()
    ada = CandidateFactory(
        name="Ada Lovelace", owner=recruiter, current_title="Researcher", motivator_publishing=5
    )
    application = ApplicationFactory(candidate=ada, role=RoleFactory(title="Pre-training Lead"))
    offer = OfferFactory(
        application=application, drafted_by=recruiter, base_salary=Decimal(400_000)
    )

    html = recruiter_client.get(page_url(ada)).content.decode()

    assert '<h1 class="h3 mb-1">Ada Lovelace</h1>' in html
    assert "Researcher" in html
    assert f'href="{reverse("web:application", args=[application.pk])}">Pre-training Lead' in html
    assert f'href="{reverse("offers:detail", args=[offer.pk])}">v1 draft</a>' in html
    assert '<span>Publishing</span><span class="badge text-bg-dark">5/5</span>' in html
    assert reverse("web:board", args=[application.role_id]) in html
    assert reverse("admin:candidates_candidate_change", args=[ada.pk]) in html  # and back


def test_a_recruiter_adds_them_to_a_role_at_a_chosen_stage(recruiter_client, recruiter):
    ada = CandidateFactory(name="Ada Lovelace")
    role = RoleFactory(title="Inference Engineer")
    screen = role.stages.get(name="Screen")

    page = recruiter_client.post(
        page_url(ada), {"add-role": role.pk, "add-stage_name": "Screen"}, follow=True
    )

    application = Application.objects.get(candidate=ada, role=role)
    assert application.stage == screen
    assert f"Ada Lovelace is in the pipeline of {role} (Screen)." in page.content.decode()
    again = recruiter_client.post(page_url(ada), {"add-role": role.pk})
    assert "Choose one of the open roles." in again.content.decode()  # already in it
    assert Application.objects.filter(candidate=ada).count() == 1


def test_a_stage_the_role_does_not_have_is_refused_on_its_field(recruiter_client):
    ada = CandidateFactory(name="Ada Lovelace")
    role = RoleFactory(title="Inference Engineer")
    role.stages.filter(name="Screen").update(name="Phone screen")

    page = recruiter_client.post(page_url(ada), {"add-role": role.pk, "add-stage_name": "Screen"})

    assert f"{role} has no stage “Screen”." in page.content.decode()
    assert not Application.objects.exists()


def test_an_activity_is_logged_from_the_page(recruiter_client, recruiter):
    ada = CandidateFactory(name="Ada Lovelace")

    page = recruiter_client.post(
        page_url(ada),
        {"activity-kind": "call", "activity-summary": "Talked about the team", "activity-body": ""},
        follow=True,
    )
    empty = recruiter_client.post(
        page_url(ada), {"activity-kind": "note", "activity-summary": "  "}
    )

    [activity] = Activity.objects.filter(candidate=ada)
    assert (activity.kind, activity.summary, activity.author) == (
        "call",
        "Talked about the team",
        recruiter,
    )
    assert "Talked about the team" in page.content.decode()
    assert "This field is required." in empty.content.decode()


def test_a_hiring_manager_sees_only_the_candidates_of_their_roles(client, hiring_manager):
    mine = ApplicationFactory(role=RoleFactory(hiring_manager=hiring_manager)).candidate
    theirs = ApplicationFactory().candidate
    client.force_login(hiring_manager)

    html = client.get(page_url(mine)).content.decode()

    assert mine.name in html
    assert 'id="add-form"' not in html and 'id="activity-form"' not in html  # no permission
    assert client.get(page_url(theirs)).status_code == 404


def test_the_admin_candidate_and_application_pages_link_to_it(recruiter_client):
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"))

    candidate_admin = recruiter_client.get(
        reverse("admin:candidates_candidate_change", args=[application.candidate_id])
    ).content.decode()
    application_admin = recruiter_client.get(
        reverse("admin:pipeline_application_change", args=[application.pk])
    ).content.decode()

    assert page_url(application.candidate) in candidate_admin
    assert page_url(application.candidate) in application_admin
    assert reverse("web:application", args=[application.pk]) in application_admin
