"""The pipeline in the admin: the candidate's applications, stage moves, merges, roles."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from candidates.models import Candidate, CandidateEmail, Company
from recruiting.pipeline.models import DEFAULT_PIPELINE, Application, Role, Stage, StageChange
from recruiting.pipeline.services import mark_lost, move_stage
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("admin:candidates_candidate_changelist")
APPLICATIONS = reverse("admin:pipeline_application_changelist")


def stage(role: Role, name: str) -> Stage:
    return role.stages.get(name=name)


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["cl"].result_list)


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def candidate_url(candidate: Candidate) -> str:
    return reverse("admin:candidates_candidate_change", args=[candidate.pk])


def application_url(application: Application) -> str:
    return reverse("admin:pipeline_application_change", args=[application.pk])


def run_action(client, url: str, action: str, rows, **form: str):  # type: ignore[no-untyped-def]
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(r.pk) for r in rows]
    page = client.post(url, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(url, {"action": action, "_selected_action": selected, "apply": "1", **form})


# --- Stage and role filters on the candidate list ------------------------------------------


@pytest.fixture
def pipelines(recruiter):  # type: ignore[no-untyped-def]
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


# --- Roles ---------------------------------------------------------------------------------


def test_a_role_added_in_the_admin_gets_the_default_pipeline(recruiter_client):
    response = recruiter_client.post(
        reverse("admin:pipeline_role_add"),
        {
            "title": "Inference Engineer",
            "team": "Serving",
            "hiring_manager": "",
            "level": "senior",
            "family": "ml_engineer",
            "zone": "europe",
            "city": "London",
            "country": "GB",
            "headcount": "2",
            "status": "open",
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(title="Inference Engineer")
    assert (role.family, role.zone) == (Role.Family.ML_ENGINEER, Role.Zone.EUROPE)
    assert [
        (s.position, s.name, s.kind, s.time_limit_days, s.follow_up_days) for s in role.stages.all()
    ] == [(position, *stage) for position, stage in enumerate(DEFAULT_PIPELINE, start=1)]
    assert role.stages.count() == 8


def test_the_role_list_counts_open_applications(recruiter_client, recruiter):
    role = RoleFactory(title="Inference Engineer")
    ApplicationFactory(role=role)
    mark_lost(ApplicationFactory(role=role), reason=Application.LostReason.WITHDREW, by=recruiter)

    response = recruiter_client.get(reverse("admin:pipeline_role_changelist"))

    assert response.status_code == 200
    assert [r.open_count for r in response.context["cl"].result_list] == [1]


def test_candidate_emails_survive_the_merge_action_without_a_second_primary(recruiter_client):
    keep = CandidateFactory(email="ada@example.org")
    duplicate = CandidateFactory(email="countess@example.org")

    run_action(recruiter_client, CANDIDATES, "merge_action", [keep, duplicate], keep=str(keep.pk))

    assert list(CandidateEmail.objects.filter(is_primary=True).values_list("email", flat=True)) == [
        "ada@example.org"
    ]


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
