"""The alert for an outside offer during a company's pause: the person flagged and the
team told; out of a pause, or for a prospect with no open application, no pause alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from candidates.models import Candidate
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import mark_lost
from tests.factories import ApplicationFactory, CandidateFactory, CompanyPauseFactory, OfferFactory
from tests.offers.competing_alerts.helpers import AHEAD, IN_PAUSE, M, alerts, recipients, record

pytestmark = pytest.mark.django_db


# --- An outside offer during a pause --------------------------------------------------------


@pytest.fixture
def acme_pauses(acme):
    today = timezone.localdate()
    return CompanyPauseFactory(
        company=acme,
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=4),
    )


def test_an_outside_offer_during_the_pause_flags_the_person_and_tells_the_team(
    application, ada, helix, acme, acme_pauses, recruiter, hiring_manager
):
    Candidate.objects.filter(pk=ada.pk).update(current_company=acme)
    OfferFactory(application=application, drafted_by=recruiter, base_salary=2 * M)

    theirs = record(application, helix, recruiter, base_salary=M)

    ada.refresh_from_db()
    assert ada.flight_risk is True
    assert ada.flight_risk_reason == Candidate.FlightRiskReason.APPROACHED_DURING_PAUSE
    raised = list(alerts(IN_PAUSE))
    assert recipients(raised) == ["hiring_manager", "recruiter"]
    pause = f"{acme_pauses.starts_on:%d %b}–{acme_pauses.ends_on:%d %b %Y}"
    for alert in raised:
        assert alert.subject == (
            "Ada Lovelace has an offer from Helix Intelligence during Acme AI's pause"
        )
        assert not alert.urgent
        assert alert.key == f"outside-offer-in-pause:{theirs.pk}:{alert.recipient_id}"
        assert alert.about == theirs
        assert f"while Acme AI pauses ({pause})" in alert.context["message"]
        assert "Ada Lovelace is now flagged as a flight risk" in alert.context["message"]
    assert not alerts(AHEAD).exists()  # ours pays more: only the pause is news


def test_an_employee_approached_during_the_pause_is_flagged_and_the_recruiter_told(
    helix, acme, acme_pauses, recruiter
):
    grace = CandidateFactory(
        name="Grace Hopper",
        owner=recruiter,
        relationship=Candidate.Relationship.EMPLOYEE,
        current_company=acme,
    )

    record(None, helix, recruiter, candidate=grace, base_salary=M)

    grace.refresh_from_db()
    assert (grace.flight_risk, grace.flight_risk_reason) == (True, "approached_during_pause")
    [alert] = alerts(IN_PAUSE)
    assert alert.recipient == recruiter
    assert alert.subject == (
        "Grace Hopper has an offer from Helix Intelligence during Acme AI's pause"
    )


def test_an_employee_s_outside_offer_out_of_a_pause_flags_them_without_a_pause_alert(
    helix, acme, recruiter
):
    today = timezone.localdate()
    CompanyPauseFactory(  # last month's: over
        company=acme, starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=24)
    )
    grace = CandidateFactory(
        name="Grace Hopper",
        owner=recruiter,
        relationship=Candidate.Relationship.EMPLOYEE,
        current_company=acme,
    )

    record(None, helix, recruiter, candidate=grace, base_salary=M)

    grace.refresh_from_db()
    assert grace.flight_risk is True
    assert grace.flight_risk_reason == Candidate.FlightRiskReason.OUTSIDE_OFFER
    assert not alerts(IN_PAUSE).exists()


def test_a_prospect_with_no_open_application_gets_no_pause_alert(
    helix, acme, acme_pauses, recruiter, role
):
    lin = CandidateFactory(
        name="Lin Wei",
        owner=recruiter,
        relationship=Candidate.Relationship.PROSPECT,
        current_company=acme,
    )
    # Lost last year: no longer in our pipeline.
    mark_lost(
        ApplicationFactory(candidate=lin, role=role),
        reason=Application.LostReason.NOT_INTERESTED,
        by=recruiter,
    )

    record(None, helix, recruiter, candidate=lin, base_salary=M)

    lin.refresh_from_db()
    assert lin.flight_risk is False
    assert lin.flight_risk_reason == Candidate.FlightRiskReason.NONE
    assert not alerts(IN_PAUSE).exists()
