"""The pipeline's reminder rules: follow-up due, stale application, pause risk. Each raises the
right alert to the right person at the right time, nothing before, nothing twice, nothing for
closed applications; a scan's queries do not grow with the data. Time is moved by passing
`now`, never waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import Candidate, Company
from recruiting.alerts import registry
from recruiting.alerts.keys import stamp
from recruiting.alerts.models import Alert
from recruiting.alerts.scan import run_reminder_rules
from recruiting.pipeline.models import Application, Stage
from recruiting.pipeline.reminders import follow_ups_due, pause_risks, stale
from recruiting.pipeline.services import log_activity, mark_lost, move_stage
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    CompanyPauseFactory,
    RoleFactory,
    UserFactory,
)
from tests.scan import split

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MINUTE = timedelta(minutes=1)


@pytest.fixture
def role(hiring_manager):
    return RoleFactory.create(
        title="Research Scientist, Pre-training", hiring_manager=hiring_manager
    )


@pytest.fixture
def ada(recruiter):
    return CandidateFactory.create(name="Ada Lovelace", owner=recruiter)


def apply(candidate: Candidate, role, kind: str = Stage.Kind.CONTACTED, at: datetime = T0):
    """An application in the role's stage of this kind, entered at `at`."""
    application = ApplicationFactory.create(
        candidate=candidate, role=role, stage=role.stages.get(kind=kind)
    )
    Application.objects.filter(pk=application.pk).update(stage_entered_at=at)
    application.refresh_from_db()
    return application


def keys(kind: str) -> list[str]:
    return sorted(Alert.objects.filter(kind=kind).values_list("key", flat=True))


# --- Registration --------------------------------------------------------------------------


def test_the_pipeline_registers_its_rules_and_kinds_when_it_loads():
    rules = registry.rules()
    assert rules["pipeline.follow_up_due"] is follow_ups_due
    assert rules["pipeline.application_stale"] is stale
    assert rules["pipeline.pause_risk"] is pause_risks
    for name in ("follow_up_due", "application_stale", "pause_risk"):
        assert registry.kind(name).urgent is False


def test_the_default_pipeline_asks_for_a_follow_up_after_5_days_in_contacted(role):
    follow_ups = dict(role.stages.values_list("kind", "follow_up_days"))
    assert follow_ups.pop(Stage.Kind.CONTACTED) == 5
    assert set(follow_ups.values()) == {None}


# --- Follow-up due -------------------------------------------------------------------------


def test_a_follow_up_is_due_to_the_owner_after_5_silent_days_in_contacted(ada, role, recruiter):
    application = apply(ada, role)

    assert follow_ups_due(T0 + timedelta(days=5) - MINUTE) == []
    [alert] = follow_ups_due(T0 + timedelta(days=5, minutes=1))

    assert alert.recipient == recruiter
    assert alert.kind == "follow_up_due"
    assert alert.key == f"follow-up-due:{application.pk}:{stamp(T0)}"
    assert alert.subject == (
        "Follow up with Ada Lovelace: no activity for 5 days "
        "(Research Scientist, Pre-training, San Francisco)"
    )
    assert "nothing was logged since 02 Mar 2026" in alert.context["message"]
    assert alert.link == application.get_absolute_url()
    assert alert.about == application
    assert alert.urgent is False


def test_a_follow_up_alerts_once_however_often_the_scan_runs(ada, role):
    apply(ada, role)
    due = T0 + timedelta(days=6)

    assert len(follow_ups_due(due)) == 1
    assert follow_ups_due(due) == []
    assert follow_ups_due(due + timedelta(days=3)) == []
    assert Alert.objects.count() == 1


def test_activity_restarts_the_follow_up_clock(ada, role, recruiter):
    application = apply(ada, role)
    call = T0 + timedelta(days=3)
    log_activity(ada, kind="call", summary="Left a voicemail", by=recruiter, occurred_at=call)

    assert follow_ups_due(T0 + timedelta(days=6)) == []
    [alert] = follow_ups_due(call + timedelta(days=5, minutes=1))
    assert alert.key == f"follow-up-due:{application.pk}:{stamp(call)}"

    # Another silence after the next contact is another follow-up.
    email = call + timedelta(days=7)
    log_activity(
        ada, kind="email", summary="Wrote again", by=recruiter, occurred_at=email,
        application=application,
    )  # fmt: skip
    assert follow_ups_due(email + timedelta(days=4)) == []
    [again] = follow_ups_due(email + timedelta(days=5, minutes=1))
    assert again.key == f"follow-up-due:{application.pk}:{stamp(email)}"


def test_only_activity_about_this_application_or_none_in_particular_counts(ada, role, recruiter):
    apply(ada, role)
    other = apply(ada, RoleFactory.create(title="Inference Engineer"), kind=Stage.Kind.SCREEN)
    log_activity(
        ada,
        kind="meeting",
        summary="Screen for the other role",
        by=recruiter,
        occurred_at=T0 + timedelta(days=4),
        application=other,
    )
    # A note from before she was contacted is no follow-up either.
    log_activity(ada, kind="note", summary="Met at NeurIPS", by=recruiter, occurred_at=T0 - MINUTE)

    [alert] = follow_ups_due(T0 + timedelta(days=5, minutes=1))
    assert alert.subject.startswith("Follow up with Ada Lovelace")


def test_the_follow_up_delay_is_set_per_stage(ada, role):
    Stage.objects.filter(role=role, kind=Stage.Kind.REPLIED).update(follow_up_days=2)
    Stage.objects.filter(role=role, kind=Stage.Kind.CONTACTED).update(follow_up_days=None)
    replied = apply(ada, role, kind=Stage.Kind.REPLIED)
    grace = apply(CandidateFactory.create(owner=ada.owner), role, kind=Stage.Kind.CONTACTED)

    [alert] = follow_ups_due(T0 + timedelta(days=2, minutes=1))

    assert alert.about == replied
    assert follow_ups_due(T0 + timedelta(days=30)) == []  # Contacted asks for none now
    assert not Alert.objects.filter(about_id=grace.pk, kind="follow_up_due").exists()


def test_no_follow_up_for_closed_applications_other_stages_no_owner_or_do_not_contact(
    role, recruiter
):
    lost = apply(CandidateFactory.create(owner=recruiter), role)
    mark_lost(lost, reason="no_response", by=recruiter)
    apply(CandidateFactory.create(owner=recruiter), role, kind=Stage.Kind.SOURCED)
    apply(CandidateFactory.create(owner=None), role)
    apply(CandidateFactory.create(owner=recruiter, do_not_contact=True), role)
    apply(CandidateFactory.create(owner=UserFactory.create(username="gone", is_active=False)), role)

    assert follow_ups_due(T0 + timedelta(days=60)) == []


# --- Stale application ---------------------------------------------------------------------


def test_a_stale_application_alerts_its_owner_once_past_the_stage_limit(ada, role, recruiter):
    application = apply(ada, role, kind=Stage.Kind.SOURCED)  # 14 days allowed

    assert stale(T0 + timedelta(days=14) - MINUTE) == []
    [alert] = stale(T0 + timedelta(days=14, minutes=1))

    assert alert.recipient == recruiter
    assert alert.kind == "application_stale"
    assert alert.key == f"application-stale:{application.pk}:{application.stage_id}:{stamp(T0)}"
    assert alert.subject == (
        "Ada Lovelace has been in Sourced for 14 days "
        "(Research Scientist, Pre-training, San Francisco)"
    )
    assert alert.context["message"].startswith("Sourced allows 14 days")
    assert alert.link == application.get_absolute_url()
    assert stale(T0 + timedelta(days=20)) == []  # nothing twice


def test_a_new_stay_in_a_stage_can_be_stale_again(ada, role, recruiter):
    application = apply(ada, role, kind=Stage.Kind.SOURCED)
    assert len(stale(T0 + timedelta(days=15))) == 1

    move_stage(application, role.stages.get(kind=Stage.Kind.SCREEN), by=recruiter)
    entered = T0 + timedelta(days=16)
    Application.objects.filter(pk=application.pk).update(stage_entered_at=entered)

    assert stale(entered + timedelta(days=10) - MINUTE) == []
    [alert] = stale(entered + timedelta(days=10, minutes=1))
    assert alert.subject.startswith("Ada Lovelace has been in Screen for 10 days")
    assert keys("application_stale") == sorted(
        [
            f"application-stale:{application.pk}:{role.stages.get(kind='sourced').pk}:{stamp(T0)}",
            f"application-stale:{application.pk}:{role.stages.get(kind='screen').pk}:"
            f"{stamp(entered)}",
        ]
    )


def test_no_stale_alert_for_closed_applications_or_without_an_owner(role, recruiter):
    lost = apply(CandidateFactory.create(owner=recruiter), role, kind=Stage.Kind.SOURCED)
    mark_lost(lost, reason="not_a_fit", by=recruiter)
    Application.objects.filter(pk=lost.pk).update(stage_entered_at=T0)
    apply(CandidateFactory.create(owner=None), role, kind=Stage.Kind.SOURCED)

    assert stale(T0 + timedelta(days=60)) == []


# --- Pause risk ----------------------------------------------------------------------------


@pytest.fixture
def meridian():
    return CompanyFactory.create(name="Meridian AI", kind=Company.Kind.COMPETITOR)


@pytest.fixture
def ours():
    return Company.objects.filter(kind=Company.Kind.OURS).first() or CompanyFactory.create(
        name="Closer Labs", kind=Company.Kind.OURS
    )


TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def pause(company, starts_in_days: int, reason: str = "Quiet week"):
    starts_on = TODAY + timedelta(days=starts_in_days)
    return CompanyPauseFactory.create(
        company=company, starts_on=starts_on, ends_on=starts_on + timedelta(days=4), reason=reason
    )


def test_a_pause_of_a_candidates_company_within_7_days_alerts_the_owner(
    ada, role, recruiter, meridian
):
    Candidate.objects.filter(pk=ada.pk).update(current_company=meridian)
    apply(ada, role)
    quiet = pause(meridian, 7)

    [alert] = pause_risks(NOON)

    assert alert.recipient == recruiter
    assert alert.kind == "pause_risk"
    assert alert.key == f"pause-risk:{ada.pk}:{quiet.pk}"
    assert alert.subject == "Ada Lovelace: Meridian AI's pause starts Mon 09 Mar"
    assert "works there and is in our pipeline" in alert.context["message"]
    assert alert.link == ada.get_absolute_url()
    assert pause_risks(NOON) == []  # nothing twice
    assert pause_risks(NOON + timedelta(days=3)) == []


def test_a_one_day_pause_is_named_by_its_day(ada, role, meridian):
    Candidate.objects.filter(pk=ada.pk).update(current_company=meridian)
    apply(ada, role)
    starts_on = TODAY + timedelta(days=2)
    CompanyPauseFactory.create(company=meridian, starts_on=starts_on, ends_on=starts_on, reason="")

    [alert] = pause_risks(NOON)

    assert alert.context["message"].startswith(
        f"Meridian AI pauses on {starts_on:%a %d %b %Y}. Ada Lovelace works there"
    )


def test_a_pause_alerts_from_7_days_before_until_it_starts(ada, role, meridian):
    Candidate.objects.filter(pk=ada.pk).update(current_company=meridian)
    apply(ada, role)
    pause(meridian, 8)
    pause(meridian, 0, reason="Started today")
    pause(meridian, -3, reason="Half over")

    assert pause_risks(NOON) == []
    assert len(pause_risks(NOON + timedelta(days=1))) == 1


def test_our_own_pause_alerts_for_employees_at_risk_and_candidates_in_a_pipeline(
    ada, role, recruiter, ours, meridian
):
    Candidate.objects.filter(pk=ada.pk).update(current_company=meridian)
    apply(ada, role)
    grace = CandidateFactory.create(
        name="Grace Hopper",
        owner=recruiter,
        relationship=Candidate.Relationship.EMPLOYEE,
        flight_risk=True,
        current_company=ours,
    )
    # An employee recorded without a company is still ours.
    alan = CandidateFactory.create(
        name="Alan Turing",
        owner=recruiter,
        relationship=Candidate.Relationship.EMPLOYEE,
        flight_risk=True,
    )
    CandidateFactory.create(  # an employee not at risk
        owner=recruiter, relationship=Candidate.Relationship.EMPLOYEE, current_company=ours
    )
    CandidateFactory.create(owner=recruiter, current_company=ours)  # a prospect in no pipeline
    ours_pause = pause(ours, 5, reason="Closer Labs quiet week")

    raised = pause_risks(NOON)

    assert sorted(a.key for a in raised) == sorted(
        f"pause-risk:{person.pk}:{ours_pause.pk}" for person in (ada, grace, alan)
    )
    by_person = {a.about: a for a in raised}
    assert by_person[grace].subject == "Grace Hopper: our pause starts Sat 07 Mar"
    assert "one of our employees, flagged at risk" in by_person[grace].context["message"]
    assert "(in our pipeline)" in by_person[ada].context["message"]
    assert pause_risks(NOON) == []


def test_no_pause_alert_for_closed_applications_or_without_an_owner(role, recruiter, meridian):
    gone = CandidateFactory.create(owner=recruiter, current_company=meridian)
    mark_lost(apply(gone, role), reason="withdrew", by=recruiter)
    apply(CandidateFactory.create(owner=None, current_company=meridian), role)
    CandidateFactory.create(owner=recruiter, current_company=meridian)  # in no pipeline
    pause(meridian, 2)

    assert pause_risks(NOON) == []


# --- One scan: queries that do not grow with the data ---------------------------------------

# The queries that find what is due, in one scan of every rule, at any size: follow-up delays
# and follow-ups; time limits and stale applications; pauses, the pausing companies' people
# and our own pause's; the offer rules' five with no offers (tests/offers/test_rules.py); the
# competitor deadline rule's three steps with no competing offers; and
# the content types of applications and candidates, the first time they are asked for.
SCAN_QUERIES = 17


def build_pipeline(size: int, owner, meridian, ours) -> None:
    """Per unit of size: a stale application, a follow-up due, a candidate at a pausing
    company and an employee at risk, in a few roles."""
    roles = [RoleFactory.create(), RoleFactory.create()]
    for n in range(size):
        role = roles[n % 2]
        apply(CandidateFactory.create(owner=owner), role, kind=Stage.Kind.SOURCED)
        apply(CandidateFactory.create(owner=owner), role, kind=Stage.Kind.CONTACTED)
        apply(CandidateFactory.create(owner=owner, current_company=meridian), role, kind="screen")
        CandidateFactory.create(
            owner=owner,
            relationship=Candidate.Relationship.EMPLOYEE,
            flight_risk=True,
            current_company=ours,
        )


@pytest.mark.parametrize("size", [2, 12])
def test_a_scan_runs_the_same_queries_at_any_size(
    size, recruiter, meridian, ours, django_assert_max_num_queries
):
    build_pipeline(size, recruiter, meridian, ours)
    Application.objects.update(stage_entered_at=NOON - timedelta(days=20))
    pause(meridian, 3)
    pause(ours, 4)

    with CaptureQueriesContext(connection) as first:
        raised = run_reminder_rules(NOON)

    queries = split(first.captured_queries)
    alerts = Alert.objects.count()
    # Per unit: 3 stale (sourced, contacted, screen), 1 follow-up, and 5 pause risks (our
    # pause for the three in a pipeline and the employee, Meridian's for its candidate).
    assert alerts == size * 9
    assert sum(raised.values()) == alerts
    assert len(queries.finding) <= SCAN_QUERIES
    assert len(queries.inserts) <= len(registry.rules())  # one per rule, not per alert
    assert len(queries.lookups) <= 4  # one recipient, three kinds: preferences and profile

    # The rerun raises nothing: only the finding queries, and a savepoint around each rule.
    with django_assert_max_num_queries(SCAN_QUERIES + 2 * len(registry.rules())):
        assert sum(run_reminder_rules(NOON).values()) == 0
