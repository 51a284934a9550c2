"""The competitor's deadline coming close while our offer is not accepted: the 72/24/6-hour
ladder (a setting), nothing once accepted or lost, again when the deadline moves, the
approvers left out when we pay more; the rule's queries do not grow with the competing
offers. Time is moved by passing `now` to the rule, never waited for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.models import Candidate
from offers.competition import deadlines_near
from offers.models import CompetingOffer, Offer
from offers.services import accept_offer, draft_offer, send_offer, submit_for_approval
from recruiting.alerts import registry
from recruiting.alerts.models import Alert, AlertProfile
from recruiting.alerts.scan import run_reminder_rules
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import mark_lost
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    OfferFactory,
    UserFactory,
    approver_group,
    offer_terms,
)
from tests.offers.competing_alerts.helpers import (
    DEADLINE,
    DEADLINE_CLOSE,
    HOUR,
    M,
    edit,
    recipients,
    record,
    sent,
)
from tests.scan import split

pytestmark = pytest.mark.django_db


MINUTE = timedelta(minutes=1)


# --- The deadline ladder --------------------------------------------------------------------


@pytest.fixture
def theirs(application, helix, recruiter, deadline):
    """A competing offer ahead of ours (the team heard so when it was recorded), due at
    `deadline`."""
    OfferFactory(application=application, drafted_by=recruiter, base_salary=M)
    return record(application, helix, recruiter, base_salary=2 * M, deadline=deadline)


def deadline_key(competing: CompetingOffer, hours: int, user) -> str:
    stamp = f"{competing.deadline.timestamp():.0f}"
    return f"competitor-deadline-{hours}h:{competing.pk}:{stamp}:{user.pk}"


def test_the_ladder_72_then_24_then_6_hours_before_the_competitor_s_deadline(
    theirs, recruiter, hiring_manager, approver, deadline
):
    retired = UserFactory(username="retired", is_active=False)
    retired.groups.add(approver_group())

    assert deadlines_near(deadline - 72 * HOUR - MINUTE) == []
    first = deadlines_near(deadline - 70 * HOUR)

    assert recipients(first) == ["hiring_manager", "recruiter"]
    for alert in first:
        assert alert.kind == DEADLINE and not alert.urgent
        assert alert.key == deadline_key(theirs, 72, alert.recipient)
        assert alert.subject == (
            "Ada Lovelace must answer Helix Intelligence within 72 hours "
            "(Senior Research Scientist, San Francisco)"
        )
        assert alert.context["message"].startswith(
            "Helix Intelligence's offer to Ada Lovelace (written) must be answered by "
            f"{deadline:%a %d %b %Y at %H:%M} UTC, in 70 hours, and our offer is not accepted."
        )
        assert alert.about == theirs
        assert alert.link == theirs.get_absolute_url()
    assert deadlines_near(deadline - 30 * HOUR) == []  # nothing twice

    close = deadlines_near(deadline - 20 * HOUR)

    # From 24 hours, every active approver too; not the one who left.
    assert recipients(close) == ["approver", "hiring_manager", "recruiter"]
    for alert in close:
        assert alert.kind == DEADLINE_CLOSE and alert.urgent
        assert alert.key == deadline_key(theirs, 24, alert.recipient)
        assert alert.subject.startswith("Ada Lovelace must answer Helix Intelligence within 24 ")
        assert ", in 20 hours, " in alert.context["message"]
    assert deadlines_near(deadline - 7 * HOUR) == []

    last = deadlines_near(deadline - 5 * HOUR)

    assert recipients(last) == ["approver", "hiring_manager", "recruiter"]
    for alert in last:
        assert alert.kind == DEADLINE_CLOSE and alert.urgent
        assert alert.key == deadline_key(theirs, 6, alert.recipient)
        assert "within 6 hours" in alert.subject
    assert deadlines_near(deadline - HOUR) == []
    assert deadlines_near(deadline + HOUR) == []  # past: nothing left to warn about
    assert Alert.objects.filter(kind__in=[DEADLINE, DEADLINE_CLOSE]).count() == 8
    assert not Alert.objects.filter(recipient=retired).exists()


def test_with_an_hour_and_a_half_left_the_alert_says_1_hour(theirs, recruiter, deadline):
    # Known bug (offers/competition.py, _raise_deadline): "in 1 hours".
    raised = deadlines_near(deadline - 90 * MINUTE)

    assert recipients(raised) == ["hiring_manager", "recruiter"]
    for alert in raised:
        assert ", in 1 hour, and our offer is not accepted." in alert.context["message"]


def test_the_sweep_s_scan_raises_the_step_it_finds_once(
    theirs, recruiter, hiring_manager, approver, deadline
):
    now = deadline - 20 * HOUR

    assert run_reminder_rules(now)["offers.competitor_deadline"] == 3
    assert run_reminder_rules(now)["offers.competitor_deadline"] == 0
    assert run_reminder_rules(now + 2 * HOUR)["offers.competitor_deadline"] == 0

    # First seen inside 24 hours: the 72-hour step is skipped, not sent late.
    raised = Alert.objects.filter(kind__in=[DEADLINE, DEADLINE_CLOSE])
    assert recipients(raised) == ["approver", "hiring_manager", "recruiter"]
    assert {a.key for a in raised} == {
        deadline_key(theirs, 24, user) for user in (recruiter, hiring_manager, approver)
    }
    assert {a.kind for a in raised} == {DEADLINE_CLOSE}
    assert deadlines_near(now) == []


def test_the_close_deadline_ignores_quiet_hours(theirs, recruiter, deadline):
    now = deadline - 20 * HOUR
    AlertProfile.objects.create(
        user=recruiter,
        timezone="UTC",
        quiet_from=(now - HOUR).time(),
        quiet_until=(now + HOUR).time(),
    )

    run_reminder_rules(now)

    alert = Alert.objects.get(kind=DEADLINE_CLOSE, recipient=recruiter)
    assert alert.next_attempt_at == now


def test_no_deadline_alert_once_our_offer_is_accepted(
    application, helix, recruiter, hiring_manager, approver, deadline
):
    ours = sent(application, recruiter, base_salary=M)
    record(application, helix, recruiter, base_salary=2 * M, deadline=deadline)

    accept_offer(ours, by=recruiter)

    for hours in (70, 20, 5):
        assert deadlines_near(deadline - hours * HOUR) == []
    assert run_reminder_rules(deadline - 20 * HOUR)["offers.competitor_deadline"] == 0


def test_no_deadline_alert_once_the_application_is_lost(
    theirs, application, helix, recruiter, approver, deadline
):
    mark_lost(
        application,
        reason=Application.LostReason.COMPETING_OFFER,
        lost_to=helix,
        by=recruiter,
    )

    for hours in (70, 20, 5):
        assert deadlines_near(deadline - hours * HOUR) == []


def test_an_employee_s_retention_offer_accepted_after_their_outside_offer_ends_the_ladder(
    helix, recruiter, approver, role, deadline
):
    grace = CandidateFactory(
        name="Grace Hopper", owner=recruiter, relationship=Candidate.Relationship.EMPLOYEE
    )
    retention = ApplicationFactory(candidate=grace, role=role)
    outside = record(None, helix, recruiter, candidate=grace, base_salary=M, deadline=deadline)
    # Before we answer it, her outside offer is on the ladder (no role: no hiring manager).
    assert recipients(deadlines_near(deadline - 70 * HOUR)) == ["recruiter"]

    offer = draft_offer(
        retention, offer_terms(base_salary=2 * M), by=recruiter, kind=Offer.Kind.RETENTION
    )
    offer = send_offer(submit_for_approval(offer, by=recruiter), by=recruiter)
    accept_offer(offer, by=recruiter)

    assert deadlines_near(deadline - 20 * HOUR) == []
    assert not Alert.objects.filter(kind=DEADLINE_CLOSE, about_id=outside.pk).exists()


def test_a_moved_deadline_alerts_again(theirs, recruiter, hiring_manager, deadline):
    assert len(deadlines_near(deadline - 70 * HOUR)) == 2

    later = deadline + timedelta(days=2)
    theirs = edit(theirs, recruiter, deadline=later)

    assert deadlines_near(deadline - 70 * HOUR) == []  # now 118 hours away
    again = deadlines_near(later - 70 * HOUR)
    assert recipients(again) == ["hiring_manager", "recruiter"]
    assert {a.key for a in again} == {
        deadline_key(theirs, 72, user) for user in (recruiter, hiring_manager)
    }
    assert all(f"{later:%a %d %b %Y at %H:%M} UTC" in a.context["message"] for a in again)


def test_the_ladder_is_a_setting(theirs, recruiter, hiring_manager, approver, deadline, settings):
    settings.COMPETITOR_DEADLINE_LADDER = [(12, ["recruiter"]), (48, ["approvers"])]

    assert deadlines_near(deadline - 49 * HOUR) == []
    [early] = deadlines_near(deadline - 40 * HOUR)
    assert early.recipient == approver
    assert early.kind == DEADLINE  # more than 24 hours before: not urgent
    assert "within 48 hours" in early.subject
    [late] = deadlines_near(deadline - 10 * HOUR)
    assert late.recipient == recruiter and late.kind == DEADLINE_CLOSE


def test_a_ladder_naming_an_unknown_audience_is_refused(settings):
    settings.COMPETITOR_DEADLINE_LADDER = [(24, ["ceo"])]

    with pytest.raises(ImproperlyConfigured, match="audiences among"):
        deadlines_near(timezone.now())


def test_a_deadline_when_we_pay_more_does_not_reach_the_approvers(
    application, helix, recruiter, hiring_manager, approver, deadline
):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=2 * M)
    behind = record(application, helix, recruiter, base_salary=M, deadline=deadline)

    close = deadlines_near(deadline - 20 * HOUR)

    # Ada must still answer Helix by the deadline: her recruiter and manager hear of it; the
    # approvers, who would only have to approve more money, do not.
    assert not behind.ahead
    assert recipients(close) == ["hiring_manager", "recruiter"]


# --- Queries that do not grow with the competing offers ------------------------------------


# One for the approvers, and per step of the ladder one for the competing offers in it and one
# for the keys already raised.
RULE_QUERIES = 1 + 2 * 3


@pytest.mark.parametrize("size", [2, 10])
def test_the_rule_s_queries_do_not_grow_with_the_competing_offers(
    size,
    role,
    helix,
    recruiter,
    hiring_manager,
    approver,
    deadline,
    monkeypatch,
    django_assert_max_num_queries,
):
    for _ in range(size):
        application = ApplicationFactory(role=role, candidate=CandidateFactory(owner=recruiter))
        record(application, helix, recruiter, base_salary=M, deadline=deadline)  # due
        later = ApplicationFactory(role=role, candidate=CandidateFactory(owner=recruiter))
        record(later, helix, recruiter, base_salary=M, deadline=deadline + 10 * 24 * HOUR)
    now = deadline - 20 * HOUR
    # This rule alone, so that the count is its own.
    monkeypatch.setattr(registry, "_rules", {"offers.competitor_deadline": deadlines_near})

    with CaptureQueriesContext(connection) as first:
        raised = run_reminder_rules(now)

    assert raised == {"offers.competitor_deadline": 3 * size}
    assert Alert.objects.filter(kind=DEADLINE_CLOSE).count() == 3 * size
    queries = split(first.captured_queries)
    assert len(queries.finding) <= RULE_QUERIES + 1  # and the content type, once
    assert len(queries.inserts) == 1  # one bulk insert, not one per alert
    assert len(queries.lookups) <= 2 * 3  # three people, one kind: preference and profile

    with django_assert_max_num_queries(RULE_QUERIES):
        assert deadlines_near(now) == []
    with django_assert_max_num_queries(RULE_QUERIES + 2):  # and the rule's savepoint
        assert run_reminder_rules(now) == {"offers.competitor_deadline": 0}
