"""The candidate's page in the admin: its applications inline (adding one, changing its
stage, what is refused) and logging an activity."""

from __future__ import annotations

import pytest
from django.urls import reverse

from candidates.models import Candidate
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import mark_lost
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory
from tests.pipeline.helpers import stage

pytestmark = pytest.mark.django_db


def candidate_url(candidate: Candidate) -> str:
    return reverse("admin:candidates_candidate_change", args=[candidate.pk])


# --- The candidate's applications inline ---------------------------------------------------


def test_adding_an_application_on_the_candidate_page_starts_its_history(
    recruiter_client, recruiter, admin_form_data
):
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(name="Ada Lovelace")
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data.update({"applications-TOTAL_FORMS": "1", "applications-0-role": str(role.pk)})

    response = recruiter_client.post(url, data)

    assert response.status_code == 302
    application = ada.applications.get()
    assert application.role == role
    assert application.stage.name == "Sourced"
    change = application.stage_changes.get()
    assert (change.from_stage, change.to_stage.name) == (None, "Sourced")
    assert change.changed_by == recruiter


def test_adding_an_application_to_a_closed_role_shows_why(recruiter_client, admin_form_data):
    role = RoleFactory(title="Inference Engineer", status=Role.Status.CLOSED)
    ada = CandidateFactory()
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data.update({"applications-TOTAL_FORMS": "1", "applications-0-role": str(role.pk)})

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "only open roles take candidates" in response.content.decode()
    assert not Application.objects.exists()


def test_changing_the_stage_on_the_candidate_page_records_the_move(
    recruiter_client, recruiter, admin_form_data
):
    role = RoleFactory()
    ada = CandidateFactory()
    application = ApplicationFactory(candidate=ada, role=role)
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data["applications-0-stage"] = str(stage(role, "Screen").pk)

    response = recruiter_client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage.name == "Screen"
    latest = application.stage_changes.last()
    assert (latest.from_stage.name, latest.to_stage.name) == ("Sourced", "Screen")
    assert latest.changed_by == recruiter


def test_a_stage_of_another_role_on_the_candidate_page_is_refused(
    recruiter_client, admin_form_data
):
    role = RoleFactory(title="Inference Engineer")
    other = RoleFactory(title="Safety Researcher")
    ada = CandidateFactory()
    application = ApplicationFactory(candidate=ada, role=role)
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data["applications-0-stage"] = str(stage(other, "Screen").pk)

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "Safety Researcher" in response.content.decode()
    application.refresh_from_db()
    assert application.stage.name == "Sourced"
    assert application.stage_changes.count() == 1


def test_a_candidate_with_a_lost_application_can_still_be_edited(
    recruiter_client, recruiter, admin_form_data
):
    ada = CandidateFactory(name="Ada Lovelace", city="London")
    application = ApplicationFactory(candidate=ada)
    mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data["city"] = "Cambridge"

    response = recruiter_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    ada.refresh_from_db()
    assert ada.city == "Cambridge"
    application.refresh_from_db()
    assert application.status == Application.Status.LOST


def test_a_candidate_in_a_role_on_hold_can_still_be_edited(recruiter_client, admin_form_data):
    ada = CandidateFactory(name="Ada Lovelace", city="London")
    role = RoleFactory()
    ApplicationFactory(candidate=ada, role=role)
    Role.objects.filter(pk=role.pk).update(status=Role.Status.ON_HOLD)
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data["city"] = "Cambridge"

    response = recruiter_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    ada.refresh_from_db()
    assert ada.city == "Cambridge"


def test_logging_an_activity_on_the_candidate_page_records_its_author(
    recruiter_client, recruiter, admin_form_data
):
    ada = CandidateFactory()
    url = candidate_url(ada)
    data = admin_form_data(recruiter_client.get(url))
    data.update(
        {
            "activities-TOTAL_FORMS": "1",
            "activities-0-occurred_at_0": "2025-06-02",
            "activities-0-occurred_at_1": "10:30:00",
            "activities-0-kind": "call",
            "activities-0-summary": "Intro call",
            "activities-0-body": "",
        }
    )

    response = recruiter_client.post(url, data)

    assert response.status_code == 302
    activity = ada.activities.get()
    assert (activity.kind, activity.summary, activity.author) == ("call", "Intro call", recruiter)
