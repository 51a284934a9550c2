"""The application admin: adding and changing applications through the pipeline, the
page's history, marking hired or lost from the list, and the list's queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from candidates.models import Candidate, Company
from recruiting.pipeline.models import Application, StageChange
from recruiting.pipeline.services import mark_lost, move_stage
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    UserFactory,
)
from tests.pipeline.admin_helpers import messages_of, run_action
from tests.pipeline.helpers import stage

pytestmark = pytest.mark.django_db


APPLICATIONS = reverse("admin:pipeline_application_changelist")


def application_url(application: Application) -> str:
    return reverse("admin:pipeline_application_change", args=[application.pk])


# --- The application admin -----------------------------------------------------------------


def test_adding_an_application_in_its_admin_goes_through_the_pipeline(
    recruiter_client, recruiter, admin_form_data
):
    role = RoleFactory()
    ada = CandidateFactory()
    url = reverse("admin:pipeline_application_add")
    data = admin_form_data(recruiter_client.get(url))
    data.update({"candidate": str(ada.pk), "role": str(role.pk), "stage": ""})

    response = recruiter_client.post(url, data)

    assert response.status_code == 302
    application = Application.objects.get()
    assert application.stage.name == "Sourced"
    assert application.stage_changes.get().changed_by == recruiter


def test_adding_a_duplicate_application_in_its_admin_is_refused(recruiter_client, admin_form_data):
    application = ApplicationFactory()
    url = reverse("admin:pipeline_application_add")
    data = admin_form_data(recruiter_client.get(url))
    data.update({"candidate": str(application.candidate.pk), "role": str(application.role.pk)})

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert "already in the pipeline" in response.content.decode()
    assert Application.objects.count() == 1


def test_a_stage_of_another_role_is_refused_on_the_application_form(
    recruiter_client, admin_form_data
):
    role = RoleFactory(title="Inference Engineer")
    other = RoleFactory(title="Safety Researcher")
    application = ApplicationFactory(role=role)
    url = application_url(application)
    data = admin_form_data(recruiter_client.get(url))
    data["stage"] = str(stage(other, "Screen").pk)

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "stage" in response.context["adminform"].form.errors
    application.refresh_from_db()
    assert application.stage.name == "Sourced"
    assert application.stage_changes.count() == 1


def test_changing_the_stage_on_the_application_form_records_the_move(
    recruiter_client, recruiter, admin_form_data
):
    role = RoleFactory()
    application = ApplicationFactory(role=role)
    url = application_url(application)
    data = admin_form_data(recruiter_client.get(url))
    data["stage"] = str(stage(role, "Offer").pk)

    response = recruiter_client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage.name == "Offer"
    latest = application.stage_changes.last()
    assert (latest.from_stage.name, latest.to_stage.name, latest.changed_by) == (
        "Sourced",
        "Offer",
        recruiter,
    )


def test_the_application_page_shows_its_history(recruiter_client, recruiter):
    role = RoleFactory()
    application = ApplicationFactory(role=role, by=recruiter)
    move_stage(application, stage(role, "Contacted"), by=recruiter)

    response = recruiter_client.get(application_url(application))

    assert response.status_code == 200
    stage_changes = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is StageChange
    )
    assert [str(f.instance) for f in stage_changes.forms] == ["— → Sourced", "Sourced → Contacted"]


def test_marking_applications_hired_from_the_list(recruiter_client, recruiter):
    ada = CandidateFactory(name="Ada Lovelace")
    application = ApplicationFactory(candidate=ada)

    confirmation = recruiter_client.post(
        APPLICATIONS, {"action": "mark_hired_action", "_selected_action": [application.pk]}
    )
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN  # nothing until confirmed
    assert "Ada Lovelace" in confirmation.content.decode()

    response = run_action(recruiter_client, APPLICATIONS, "mark_hired_action", [application])

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.HIRED
    assert application.stage.name == "Hired"
    ada.refresh_from_db()
    assert ada.relationship == Candidate.Relationship.EMPLOYEE
    assert "Marked 1 application(s) hired." in messages_of(response)


def test_marking_hired_changes_nothing_when_one_is_already_closed(recruiter_client, recruiter):
    open_one = ApplicationFactory()
    lost_one = ApplicationFactory()
    mark_lost(lost_one, reason=Application.LostReason.WITHDREW, by=recruiter)

    response = recruiter_client.post(
        APPLICATIONS,
        {"action": "mark_hired_action", "_selected_action": [open_one.pk, lost_one.pk]},
    )

    assert response.status_code == 302
    assert "Nothing changed" in messages_of(response)[0]
    open_one.refresh_from_db()
    assert open_one.status == Application.Status.OPEN


def test_marking_applications_lost_to_a_competitor(recruiter_client):
    rival = CompanyFactory(name="Rival AI", kind=Company.Kind.COMPETITOR)
    application = ApplicationFactory()

    response = run_action(
        recruiter_client,
        APPLICATIONS,
        "mark_lost_action",
        [application],
        reason="competing_offer",
        lost_to=str(rival.pk),
        note="Matched on equity.",
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.LOST
    assert application.lost_to == rival
    assert application.lost_note == "Matched on equity."


def test_marking_lost_to_a_competing_offer_without_the_competitor_shows_why(recruiter_client):
    application = ApplicationFactory()

    response = run_action(
        recruiter_client,
        APPLICATIONS,
        "mark_lost_action",
        [application],
        reason="competing_offer",
        lost_to="",
    )

    assert response.status_code == 200
    assert "lost_to" in response.context["form"].errors
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


def test_our_own_company_is_not_offered_as_a_competitor(recruiter_client):
    ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)
    application = ApplicationFactory()

    response = run_action(
        recruiter_client,
        APPLICATIONS,
        "mark_lost_action",
        [application],
        reason="competing_offer",
        lost_to=str(ours.pk),
    )

    assert response.status_code == 200
    assert "lost_to" in response.context["form"].errors
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


@pytest.mark.parametrize("rows", [5, 45])
def test_the_application_list_takes_the_same_number_of_queries_whatever_the_rows(
    recruiter_client, django_assert_max_num_queries, rows
):
    roles = RoleFactory.create_batch(3)
    for i in range(rows):
        ApplicationFactory(role=roles[i % 3])

    # Session, user, permissions (2), the role filter's choices, the count and the page.
    with django_assert_max_num_queries(7):
        response = recruiter_client.get(APPLICATIONS)

    assert len(response.context["cl"].result_list) == rows


def test_someone_who_may_only_view_applications_can_open_them(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "view_candidate"])
    )
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"))
    client.force_login(viewer)

    application_page = client.get(
        reverse("admin:pipeline_application_change", args=[application.pk])
    )
    candidate_page = client.get(
        reverse("admin:candidates_candidate_change", args=[application.candidate_id])
    )

    assert application_page.status_code == 200 and candidate_page.status_code == 200
    assert application.stage.name in application_page.content.decode()
    assert "Ada Lovelace" in candidate_page.content.decode()
