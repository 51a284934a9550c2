"""Pipeline state changes: adding, moving, hiring, losing, logging and merging."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, Company
from recruiting.pipeline.models import Activity, Application, Role, Stage, StageChange
from recruiting.pipeline.services import (
    PipelineError,
    add_to_pipeline,
    log_activity,
    mark_hired,
    mark_lost,
    merge_candidates,
    move_candidates_to_stage,
    move_stage,
)
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def stage(role: Role, name: str) -> Stage:
    return role.stages.get(name=name)


def history(application: Application) -> list[tuple[str | None, str]]:
    return [
        (c.from_stage.name if c.from_stage else None, c.to_stage.name)
        for c in application.stage_changes.select_related("from_stage", "to_stage")
    ]


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


# --- mark_hired ----------------------------------------------------------------------------


def test_a_hired_candidate_becomes_an_employee(recruiter):
    role = RoleFactory()
    ada = CandidateFactory(relationship=Candidate.Relationship.CANDIDATE)
    application = ApplicationFactory(candidate=ada, role=role)
    move_stage(application, stage(role, "Offer"), by=recruiter)

    mark_hired(application, by=recruiter)

    application.refresh_from_db()
    assert application.status == Application.Status.HIRED
    assert application.stage == stage(role, "Hired")
    assert application.closed_at == application.stage_entered_at
    assert history(application)[-1] == ("Offer", "Hired")
    assert application.stage_changes.last().changed_by == recruiter
    ada.refresh_from_db()
    assert ada.relationship == Candidate.Relationship.EMPLOYEE
    assert ada.is_retention_case


def test_a_closed_application_cannot_be_hired(recruiter):
    application = ApplicationFactory()
    mark_lost(application, reason=Application.LostReason.WITHDREW, by=recruiter)

    with pytest.raises(PipelineError, match="already lost"):
        mark_hired(application, by=recruiter)

    application.refresh_from_db()
    assert application.status == Application.Status.LOST
    assert application.candidate.relationship == Candidate.Relationship.PROSPECT


# --- mark_lost -----------------------------------------------------------------------------


def test_an_application_lost_to_a_competitor_names_it(recruiter):
    role = RoleFactory()
    rival = CompanyFactory(name="Rival AI", kind=Company.Kind.COMPETITOR)
    application = ApplicationFactory(role=role)

    mark_lost(
        application,
        reason=Application.LostReason.COMPETING_OFFER,
        lost_to=rival,
        note="Matched on equity.",
        by=recruiter,
    )

    application.refresh_from_db()
    assert application.status == Application.Status.LOST
    assert application.stage == stage(role, "Lost")
    assert application.lost_reason == Application.LostReason.COMPETING_OFFER
    assert application.lost_to == rival
    assert application.lost_note == "Matched on equity."
    assert application.closed_at is not None
    assert history(application)[-1] == ("Sourced", "Lost")


def test_an_application_lost_for_another_reason_names_no_competitor(recruiter):
    application = ApplicationFactory()

    mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)

    application.refresh_from_db()
    assert application.status == Application.Status.LOST
    assert application.lost_to is None


@pytest.mark.parametrize("reason", ["", "bored"])
def test_losing_an_application_needs_a_known_reason(recruiter, reason):
    application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        mark_lost(application, reason=reason, by=recruiter)

    assert "lost_reason" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


def test_a_competing_offer_needs_the_competitor(recruiter):
    application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        mark_lost(application, reason=Application.LostReason.COMPETING_OFFER, by=recruiter)

    assert "lost_to" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


def test_a_candidate_is_never_lost_to_our_own_company(recruiter):
    ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)
    application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        mark_lost(
            application,
            reason=Application.LostReason.COMPETING_OFFER,
            lost_to=ours,
            by=recruiter,
        )

    assert "Closer Labs is our own company" in caught.value.message_dict["lost_to"][0]
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


def test_a_competitor_is_named_only_for_a_competing_offer(recruiter):
    application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        mark_lost(
            application,
            reason=Application.LostReason.DECLINED,
            lost_to=CompanyFactory(kind=Company.Kind.COMPETITOR),
            by=recruiter,
        )

    assert "lost_to" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


def test_a_hired_application_cannot_be_lost(recruiter):
    application = mark_hired(ApplicationFactory(), by=recruiter)

    with pytest.raises(PipelineError, match="already hired"):
        mark_lost(application, reason=Application.LostReason.WITHDREW, by=recruiter)

    application.refresh_from_db()
    assert application.status == Application.Status.HIRED


# --- log_activity --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", Activity.Kind.values)
def test_each_kind_of_activity_is_logged_with_its_author(recruiter, kind):
    ada = CandidateFactory()

    activity = log_activity(ada, kind=kind, summary="  Talked about the role  ", by=recruiter)

    activity.refresh_from_db()
    assert activity.candidate == ada
    assert activity.kind == kind
    assert activity.summary == "Talked about the role"
    assert activity.author == recruiter
    assert activity.occurred_at is not None


def test_an_activity_can_belong_to_one_of_the_candidates_applications(recruiter):
    application = ApplicationFactory()

    activity = log_activity(
        application.candidate,
        kind=Activity.Kind.CALL,
        summary="Screen call",
        body="Strong on distributed training.",
        application=application,
        by=recruiter,
    )

    assert list(application.activities.all()) == [activity]


def test_an_unknown_kind_of_activity_is_refused(recruiter):
    with pytest.raises(PipelineError) as caught:
        log_activity(CandidateFactory(), kind="carrier_pigeon", summary="Sent", by=recruiter)

    assert "kind" in caught.value.message_dict
    assert not Activity.objects.exists()


@pytest.mark.parametrize("summary", ["", "   "])
def test_an_activity_needs_a_summary(recruiter, summary):
    with pytest.raises(PipelineError) as caught:
        log_activity(CandidateFactory(), kind=Activity.Kind.NOTE, summary=summary, by=recruiter)

    assert "summary" in caught.value.message_dict
    assert not Activity.objects.exists()


def test_an_activity_cannot_belong_to_another_candidates_application(recruiter):
    graces_application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        log_activity(
            CandidateFactory(),
            kind=Activity.Kind.NOTE,
            summary="Wrong file",
            application=graces_application,
            by=recruiter,
        )

    assert "another candidate" in caught.value.message_dict["application"][0]
    assert not Activity.objects.exists()


# --- merge_candidates ----------------------------------------------------------------------


@pytest.fixture
def duplicates(recruiter):  # type: ignore[no-untyped-def]
    """Two records of one person, each with emails, tags, applications and history."""
    shared_role = RoleFactory(title="Inference Engineer")
    other_role = RoleFactory(title="Safety Researcher")
    company = CompanyFactory(name="Analytical Engines")
    safety, rlhf, london = TagFactory(name="safety"), TagFactory(name="rlhf"), TagFactory()

    keep = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        city="London",
        phone="",
        linkedin_url="",
        current_company=None,
        timezone="",
    )
    keep.tags.add(safety, london)
    keep_application = ApplicationFactory(candidate=keep, role=shared_role, by=recruiter)
    log_activity(
        keep,
        kind=Activity.Kind.NOTE,
        summary="Keep's note",
        application=keep_application,
        by=recruiter,
    )

    duplicate = CandidateFactory(
        name="A. Lovelace",
        email="ada@analytical.example",
        city="Paris",
        phone="+44 20 7946 0000",
        linkedin_url="https://www.linkedin.com/in/ada-lovelace",
        current_company=company,
        timezone="Europe/London",
        do_not_contact=True,
    )
    CandidateEmail.objects.create(candidate=duplicate, email="countess@example.org")
    duplicate.tags.add(safety, rlhf)
    duplicate_shared = ApplicationFactory(candidate=duplicate, role=shared_role, by=recruiter)
    move_stage(duplicate_shared, shared_role.stages.get(name="Screen"), by=recruiter)
    log_activity(
        duplicate,
        kind=Activity.Kind.CALL,
        summary="Duplicate's screen call",
        application=duplicate_shared,
        by=recruiter,
    )
    duplicate_other = ApplicationFactory(candidate=duplicate, role=other_role, by=recruiter)
    log_activity(duplicate, kind=Activity.Kind.EMAIL, summary="Duplicate's email", by=recruiter)

    return {
        "keep": keep,
        "duplicate": duplicate,
        "shared_role": shared_role,
        "other_role": other_role,
        "keep_application": keep_application,
        "duplicate_shared": duplicate_shared,
        "duplicate_other": duplicate_other,
        "company": company,
        "tags": {safety, rlhf, london},
    }


def test_merging_keeps_every_email_and_tag_of_both(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merged = merge_candidates(keep, duplicate, by=recruiter)

    assert set(merged.emails.values_list("email", flat=True)) == {
        "ada@example.org",
        "ada@analytical.example",
        "countess@example.org",
    }
    assert merged.emails.get(is_primary=True).email == "ada@example.org"
    assert set(merged.tags.all()) == duplicates["tags"]
    assert not Candidate.objects.filter(pk=duplicate.pk).exists()
    assert Candidate.objects.count() == 1


def test_merging_keeps_every_application_and_folds_those_in_the_same_role(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    applications = Application.objects.filter(candidate=keep)
    assert {a.role.title for a in applications} == {"Inference Engineer", "Safety Researcher"}
    assert Application.objects.count() == 2
    folded = applications.get(role=duplicates["shared_role"])
    # The duplicate's application had reached Screen, further than the kept one: it survives.
    assert folded.stage.name == "Screen"
    assert folded.pk == duplicates["duplicate_shared"].pk
    # Both records' stage history of the shared role survives on the one application.
    assert sorted(history(folded), key=str) == sorted(
        [(None, "Sourced"), (None, "Sourced"), ("Sourced", "Screen")], key=str
    )
    assert set(folded.activities.values_list("summary", flat=True)) == {
        "Keep's note",
        "Duplicate's screen call",
    }
    moved = applications.get(role=duplicates["other_role"])
    assert moved.pk == duplicates["duplicate_other"].pk
    assert history(moved) == [(None, "Sourced")]


def test_merging_keeps_every_activity_and_notes_the_merge(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    summaries = set(keep.activities.values_list("summary", flat=True))
    assert {"Keep's note", "Duplicate's screen call", "Duplicate's email"} <= summaries
    note = keep.activities.get(summary__startswith="Merged with duplicate record")
    assert "A. Lovelace" in note.summary
    assert note.author == recruiter
    assert Activity.objects.count() == 4


def test_merging_fills_blanks_from_the_duplicate_and_keeps_what_was_set(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.name == "Ada Lovelace"
    assert keep.city == "London"
    assert keep.phone == "+44 20 7946 0000"
    assert keep.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"
    assert keep.current_company == duplicates["company"]
    assert keep.timezone == "Europe/London"


def test_merging_carries_an_opt_out_given_under_the_duplicate(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]
    assert not keep.do_not_contact

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.do_not_contact


def test_merging_keeps_the_kept_application_when_it_is_further_along(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]
    kept = duplicates["keep_application"]
    move_stage(kept, duplicates["shared_role"].stages.get(name="Offer"), by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    folded = Application.objects.get(candidate=keep, role=duplicates["shared_role"])
    assert folded.pk == kept.pk
    assert folded.stage.name == "Offer"
    assert "Duplicate's screen call" in set(folded.activities.values_list("summary", flat=True))


def test_a_candidate_cannot_be_merged_into_itself(recruiter):
    ada = CandidateFactory()
    ApplicationFactory(candidate=ada)

    with pytest.raises(PipelineError, match="itself"):
        merge_candidates(ada, Candidate.objects.get(pk=ada.pk), by=recruiter)

    assert Candidate.objects.filter(pk=ada.pk).exists()
    assert ada.applications.count() == 1
    assert ada.emails.count() == 1


def test_merging_keeps_the_duplicates_owner_when_the_kept_record_has_none(recruiter):
    keep = CandidateFactory(owner=None)
    duplicate = CandidateFactory(owner=UserFactory(username="sam"))

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.owner.username == "sam"


def test_a_hired_candidate_now_works_for_us_in_the_role_they_took(recruiter):
    ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(current_company=CompanyFactory(name="Rival AI"), current_title="SWE")

    mark_hired(ApplicationFactory(candidate=ada, role=role), by=recruiter)

    ada.refresh_from_db()
    assert ada.current_company == ours
    assert ada.current_title == "Inference Engineer"


def test_merging_takes_the_duplicates_pay_only_as_a_whole(recruiter):
    keep = CandidateFactory(current_base=Decimal("200000"), current_pay_currency_id="USD")
    duplicate = CandidateFactory(
        current_base=Decimal("150000"),
        current_bonus=Decimal("30000"),
        current_pay_currency_id="EUR",
    )

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    # No euro bonus next to a dollar base.
    assert (keep.current_base, keep.current_bonus, keep.current_pay_currency_id) == (
        Decimal("200000.00"),
        None,
        "USD",
    )


def test_merging_fills_missing_pay_from_the_duplicate(recruiter):
    keep = CandidateFactory()
    duplicate = CandidateFactory(
        current_base=Decimal("150000"),
        current_bonus=Decimal("30000"),
        current_pay_currency_id="EUR",
    )

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert (keep.current_base, keep.current_bonus, keep.current_pay_currency_id) == (
        Decimal("150000.00"),
        Decimal("30000.00"),
        "EUR",
    )


def test_the_hire_that_reaches_the_headcount_fills_the_role(recruiter):
    role = RoleFactory(headcount=2)
    first, second = ApplicationFactory(role=role), ApplicationFactory(role=role)

    mark_hired(first, by=recruiter)
    role.refresh_from_db()
    assert role.status == Role.Status.OPEN

    mark_hired(second, by=recruiter)
    role.refresh_from_db()
    assert role.status == Role.Status.FILLED
