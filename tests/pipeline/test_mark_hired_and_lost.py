"""mark_hired and mark_lost: a hire becomes an employee and fills the role at its
headcount; a loss names its reason and, for a competing offer, the competitor."""

from __future__ import annotations

import pytest

from candidates.models import Candidate, Company
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import PipelineError, mark_hired, mark_lost, move_stage
from tests.factories import ApplicationFactory, CandidateFactory, CompanyFactory, RoleFactory
from tests.pipeline.helpers import history, stage

pytestmark = pytest.mark.django_db


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


def test_a_hired_candidate_now_works_for_us_in_the_role_they_took(recruiter):
    ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(current_company=CompanyFactory(name="Rival AI"), current_title="SWE")

    mark_hired(ApplicationFactory(candidate=ada, role=role), by=recruiter)

    ada.refresh_from_db()
    assert ada.current_company == ours
    assert ada.current_title == "Inference Engineer"


def test_the_hire_that_reaches_the_headcount_fills_the_role(recruiter):
    role = RoleFactory(headcount=2)
    first, second = ApplicationFactory(role=role), ApplicationFactory(role=role)

    mark_hired(first, by=recruiter)
    role.refresh_from_db()
    assert role.status == Role.Status.OPEN

    mark_hired(second, by=recruiter)
    role.refresh_from_db()
    assert role.status == Role.Status.FILLED


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
