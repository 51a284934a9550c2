"""The offers' reminder rules: offer expiring (the escalation ladder) and approval waiting. Each
raises the right alert to the right people at the right time, nothing before, nothing twice,
nothing for closed offers or decided approvals; a scan's queries do not grow with the data.
Time is moved by passing `now`, never waited for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from offers.demo import build_market
from offers.models import Approval, ApprovalRule, Offer
from offers.reminders import approvals_waiting, offers_expiring
from offers.services import (
    accept_offer,
    approve_offer,
    decline_offer,
    draft_offer,
    expire_offer,
    reject_offer,
    rescind_offer,
    send_offer,
    submit_for_approval,
)
from recruiting.alerts import registry
from recruiting.alerts.keys import stamp
from recruiting.alerts.models import Alert
from recruiting.alerts.scan import run_reminder_rules
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    RoleFactory,
    UserFactory,
    approver_group,
    offer_terms,
)
from tests.scan import split

pytestmark = pytest.mark.django_db

Status = Offer.Status
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def expiry():
    """When the offers under test expire: ten days from now, on the hour."""
    return (timezone.now() + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def role(hiring_manager):
    return RoleFactory.create(
        title="Senior Research Scientist",
        family=Role.Family.RESEARCH_SCIENTIST,
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )


@pytest.fixture
def application(role):
    return ApplicationFactory.create(
        role=role, candidate=CandidateFactory.create(name="Ada Lovelace")
    )


def sent(application, recruiter, expiry) -> Offer:
    """An offer no rule holds up: approved at once, then sent."""
    offer = draft_offer(application, offer_terms(expires_at=expiry), by=recruiter)
    offer = submit_for_approval(offer, by=recruiter)
    return send_offer(offer, by=recruiter)


def recipients(alerts: list[Alert]) -> list[str]:
    return sorted(alert.recipient.username for alert in alerts if alert.recipient)


# --- Registration --------------------------------------------------------------------------


def test_offers_register_their_rules_and_kinds_when_they_load():
    rules = registry.rules()
    assert rules["offers.offer_expiring"] is offers_expiring
    assert rules["offers.approval_waiting"] is approvals_waiting
    assert registry.kind("offer_expiring").urgent is False
    assert registry.kind("approval_waiting").urgent is False


# --- Offer expiring ------------------------------------------------------------------------


def test_the_recruiter_hears_72_hours_before_expiry_and_with_the_manager_at_24(
    application, recruiter, hiring_manager, expiry
):
    offer = sent(application, recruiter, expiry)

    assert offers_expiring(expiry - 72 * HOUR - MINUTE) == []
    [first] = offers_expiring(expiry - 72 * HOUR)
    assert first.recipient == recruiter
    assert first.kind == "offer_expiring"
    assert first.key == f"offer-expiring-72h:{offer.pk}:{stamp(expiry)}:{recruiter.pk}"
    assert first.subject == (
        "Offer v1 to Ada Lovelace expires within 72 hours (Senior Research Scientist, "
        "San Francisco)"
    )
    assert "in 72 hours. Ada Lovelace has not answered yet." in first.context["message"]
    assert first.link == offer.get_absolute_url()
    assert first.about == offer
    assert offers_expiring(expiry - 30 * HOUR) == []  # nothing twice

    assert offers_expiring(expiry - 24 * HOUR - MINUTE) == []
    second = offers_expiring(expiry - 24 * HOUR)
    assert recipients(second) == ["hiring_manager", "recruiter"]
    assert {a.key for a in second} == {
        f"offer-expiring-24h:{offer.pk}:{stamp(expiry)}:{user.pk}"
        for user in (recruiter, hiring_manager)
    }
    assert all("within 24 hours" in a.subject for a in second)
    assert offers_expiring(expiry - HOUR) == []
    assert offers_expiring(expiry + HOUR) == []  # expired: nothing left to warn about
    assert Alert.objects.filter(kind="offer_expiring").count() == 3


def test_an_offer_first_seen_inside_24_hours_skips_the_72_hour_step(application, recruiter, expiry):
    sent(application, recruiter, expiry)

    raised = offers_expiring(expiry - 20 * HOUR)

    assert recipients(raised) == ["hiring_manager", "recruiter"]
    assert all("-24h:" in a.key for a in raised)


def test_a_moved_expiry_alerts_again(application, recruiter, expiry):
    offer = sent(application, recruiter, expiry)
    assert len(offers_expiring(expiry - 70 * HOUR)) == 1

    later = expiry + timedelta(days=5)
    Offer.objects.filter(pk=offer.pk).update(expires_at=later)

    assert offers_expiring(expiry - 70 * HOUR) == []
    [again] = offers_expiring(later - 70 * HOUR)
    assert again.key == f"offer-expiring-72h:{offer.pk}:{stamp(later)}:{recruiter.pk}"


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED])
def test_offers_waiting_for_approval_or_to_be_sent_expire_too(
    application, recruiter, expiry, status
):
    if status == Status.PENDING_APPROVAL:
        ApprovalRuleFactory.create(condition=ApprovalRule.Condition.CURRENCY_IS, currency_id="USD")
    offer = draft_offer(application, offer_terms(expires_at=expiry), by=recruiter)
    offer = submit_for_approval(offer, by=recruiter)
    assert offer.status == status

    [alert] = offers_expiring(expiry - 48 * HOUR)
    assert alert.about == offer


@pytest.mark.parametrize("close", ["draft", "accept", "decline", "rescind", "expire"])
def test_no_expiry_alert_for_a_draft_or_a_closed_offer(
    application, recruiter, hiring_manager, expiry, close
):
    if close == "draft":
        draft_offer(application, offer_terms(expires_at=expiry), by=recruiter)
    else:
        offer = sent(application, recruiter, expiry)
        if close == "expire":
            Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - MINUTE)
            expire_offer(offer)
            Offer.objects.filter(pk=offer.pk).update(expires_at=expiry)
        else:
            step = {"accept": accept_offer, "decline": decline_offer, "rescind": rescind_offer}
            step[close](offer, by=recruiter)

    assert offers_expiring(expiry - 48 * HOUR) == []
    assert offers_expiring(expiry - 12 * HOUR) == []


def test_a_recruiter_who_is_also_the_hiring_manager_is_told_once(application, recruiter, expiry):
    Role.objects.filter(pk=application.role_id).update(hiring_manager=recruiter)
    sent(application, recruiter, expiry)

    assert recipients(offers_expiring(expiry - 12 * HOUR)) == ["recruiter"]


def test_a_role_without_a_hiring_manager_still_alerts_the_recruiter(application, recruiter, expiry):
    Role.objects.filter(pk=application.role_id).update(hiring_manager=None)
    sent(application, recruiter, expiry)

    assert recipients(offers_expiring(expiry - 12 * HOUR)) == ["recruiter"]


def test_the_ladder_is_a_setting(application, recruiter, expiry, settings):
    settings.OFFER_EXPIRY_LADDER = [(120, ["hiring_manager"]), (6, ["recruiter"])]
    sent(application, recruiter, expiry)

    assert offers_expiring(expiry - 121 * HOUR) == []
    assert recipients(offers_expiring(expiry - 100 * HOUR)) == ["hiring_manager"]
    assert offers_expiring(expiry - 7 * HOUR) == []
    [last] = offers_expiring(expiry - 5 * HOUR)
    assert last.recipient == recruiter and "within 6 hours" in last.subject


def test_a_ladder_naming_an_unknown_audience_is_refused(settings):
    settings.OFFER_EXPIRY_LADDER = [(24, ["ceo"])]

    with pytest.raises(ImproperlyConfigured, match="audiences among"):
        offers_expiring(timezone.now())


# --- Approval waiting ----------------------------------------------------------------------


@pytest.fixture
def pending(application, recruiter):
    """An offer in USD, which the Compensation approvers must sign off."""
    ApprovalRuleFactory.create(condition=ApprovalRule.Condition.CURRENCY_IS, currency_id="USD")
    offer = draft_offer(application, offer_terms(), by=recruiter)
    return submit_for_approval(offer, by=recruiter)


def asked_at(offer: Offer):
    return offer.approvals.get(status=Approval.Status.PENDING).requested_at


def test_an_approval_waiting_24_hours_alerts_every_active_approver(pending, approver, recruiter):
    other = UserFactory.create(username="approver2", first_name="Otto")
    other.groups.add(approver_group())
    UserFactory.create(username="retired", is_active=False).groups.add(approver_group())
    recruiter.groups.add(approver_group())  # the drafter never decides on their own offer
    approval = pending.approvals.get()
    asked = approval.requested_at

    assert approvals_waiting(asked + 24 * HOUR - MINUTE) == []
    raised = approvals_waiting(asked + 24 * HOUR + MINUTE)

    assert recipients(raised) == ["approver", "approver2"]
    mine = next(a for a in raised if a.recipient == approver)
    assert mine.kind == "approval_waiting"
    assert mine.key == f"approval-waiting-24h:{approval.pk}:{approver.pk}"
    assert mine.subject == (
        "Your approval is waiting: offer v1 to Ada Lovelace (Senior Research Scientist, "
        "San Francisco)"
    )
    assert "asked to approve this offer 24 hours ago" in mine.context["message"]
    assert "an offer in USD" in mine.context["message"]
    assert mine.link == pending.get_absolute_url()
    assert mine.about == pending
    assert approvals_waiting(asked + 30 * HOUR) == []  # nothing twice


def test_after_48_hours_the_recruiter_hears_too(pending, approver, recruiter):
    asked = asked_at(pending)
    assert len(approvals_waiting(asked + 25 * HOUR)) == 1

    assert approvals_waiting(asked + 48 * HOUR - MINUTE) == []
    [late] = approvals_waiting(asked + 48 * HOUR + MINUTE)

    assert late.recipient == recruiter
    approval = pending.approvals.get()
    assert late.key == f"approval-waiting-48h:{approval.pk}:{recruiter.pk}"
    assert late.subject == (
        "Offer v1 to Ada Lovelace has waited 48 hours for Compensation approvers "
        "(Senior Research Scientist, San Francisco)"
    )
    assert approvals_waiting(asked + 100 * HOUR) == []


def test_both_steps_at_once_when_the_scan_first_sees_it_late(pending, approver, recruiter):
    raised = approvals_waiting(asked_at(pending) + 50 * HOUR)

    assert recipients(raised) == ["approver", "recruiter"]


@pytest.mark.parametrize("decide", ["approve", "reject", "rescind"])
def test_no_alert_once_the_approval_is_decided_or_withdrawn(pending, approver, recruiter, decide):
    asked = asked_at(pending)
    if decide == "approve":
        approve_offer(pending, by=approver)
    elif decide == "reject":
        reject_offer(pending, by=approver, comment="Too rich.")
    else:
        rescind_offer(pending, by=recruiter)

    assert approvals_waiting(asked + 100 * HOUR) == []


def test_a_resubmission_is_a_new_wait(pending, approver, recruiter):
    asked = asked_at(pending)
    assert len(approvals_waiting(asked + 25 * HOUR)) == 1

    offer = reject_offer(pending, by=approver, comment="Lower the base.")
    offer = submit_for_approval(offer, by=recruiter)

    [again] = approvals_waiting(asked_at(offer) + 25 * HOUR)
    assert again.recipient == approver


# --- One scan: queries that do not grow with the data ---------------------------------------

# The queries that find what is due, in one scan of every rule, at any size: the offer rules'
# six (72 hours for the recruiter; 24 hours for the recruiter and for the hiring manager;
# approvals for approvers, and those approvers; late approvals for recruiters), the pipeline
# rules' five with nothing of theirs due (tests/pipeline/test_rules.py), the competitor
# deadline rule's three steps with nothing in them, and the offers' content type the first time
# it is asked for.
SCAN_QUERIES = 15


def build_offers(size: int, recruiter, expiry) -> None:
    """Per unit of size, in one role: a sent offer expiring within 24 hours, a draft, and an
    offer waiting for approval for 50 hours (expiring later)."""
    role = RoleFactory.create(hiring_manager=UserFactory.create())
    rule = ApprovalRuleFactory.create(
        condition=ApprovalRule.Condition.CURRENCY_IS, currency_id="USD"
    )
    for _ in range(size):
        ApprovalRule.objects.filter(pk=rule.pk).update(active=False)
        sent(ApplicationFactory.create(role=role), recruiter, expiry)
        draft_offer(
            ApplicationFactory.create(role=role), offer_terms(expires_at=expiry), by=recruiter
        )
        ApprovalRule.objects.filter(pk=rule.pk).update(active=True)
        offer = draft_offer(
            ApplicationFactory.create(role=role),
            offer_terms(expires_at=expiry + timedelta(days=20)),
            by=recruiter,
        )
        submit_for_approval(offer, by=recruiter)
    Approval.objects.update(requested_at=expiry - 62 * HOUR)


@pytest.mark.parametrize("size", [2, 12])
def test_a_scan_runs_the_same_queries_at_any_size(
    size, recruiter, approver, expiry, django_assert_max_num_queries
):
    build_offers(size, recruiter, expiry)
    now = expiry - 12 * HOUR
    # No application is old enough to be stale or due a follow-up at `now`.

    # Submitting asked the approver at once, an alert per waiting offer, and sending emailed
    # each candidate their link (not the scan's).
    asked = Alert.objects.filter(kind="approval_asked").count()
    assert asked == size
    asked += Alert.objects.filter(kind="offer_to_candidate").count()

    with CaptureQueriesContext(connection) as first:
        raised = run_reminder_rules(now)

    queries = split(first.captured_queries)
    alerts = Alert.objects.count() - asked
    # Per unit: 2 for the sent offer's 24-hour step, the approver's 24 hours and the
    # recruiter's 48 hours for the waiting one.
    assert alerts == size * 4
    assert sum(raised.values()) == alerts
    assert len(queries.finding) <= SCAN_QUERIES
    assert len(queries.inserts) <= len(registry.rules())  # one per rule, not per alert
    assert len(queries.lookups) <= 2 * 3 + 2  # three people, two kinds: preferences, profiles

    # The rerun raises nothing: only the finding queries, and a savepoint around each rule.
    with django_assert_max_num_queries(SCAN_QUERIES + 2 * len(registry.rules())):
        assert sum(run_reminder_rules(now).values()) == 0
