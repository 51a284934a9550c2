"""Approval rules and approvals in the admin: an administrator sets a rule at a step of the
chain (one needing an amount is refused without it); approvals listed read-only and filtered;
delegations recorded and ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from offers.models import ApprovalRule, Delegation
from offers.permissions import APPROVER_GROUP
from offers.services import submit_for_approval
from tests.factories import UserFactory
from tests.offers.admin.helpers import M, change_url, offer_for

pytestmark = pytest.mark.django_db


# --- Approval rules and approvals ----------------------------------------------------------


def test_an_administrator_sets_an_approval_rule(client, superuser):
    client.force_login(superuser)
    approvers = Group.objects.get(name=APPROVER_GROUP)

    response = client.post(
        reverse("admin:offers_approvalrule_add"),
        {
            "name": "Signing bonus of $10M or more",
            "step": "2",
            "condition": "signing_at_or_above",
            "amount": "10000000",
            "group": str(approvers.pk),
            "active": "on",
        },
    )

    assert response.status_code == 302
    rule = ApprovalRule.objects.get()
    assert (rule.condition, rule.amount, rule.group) == ("signing_at_or_above", 10 * M, approvers)
    assert rule.step == 2  # asked once every step-1 approval is given


def test_a_rule_needing_an_amount_is_refused_without_one(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:offers_approvalrule_add"),
        {
            "name": "Big equity",
            "step": "1",
            "condition": "equity_at_or_above",
            "group": str(Group.objects.get(name=APPROVER_GROUP).pk),
        },
    )

    assert response.status_code == 200
    assert "amount" in response.context["adminform"].form.errors
    assert not ApprovalRule.objects.exists()


def test_approvals_are_listed_read_only_and_filtered_by_status_and_group(
    client, superuser, recruiter, role, signing_rule
):
    waiting = submit_for_approval(
        offer_for(role, recruiter, "Ada Lovelace", signing_payments=[(0, 2 * M)]), by=recruiter
    )
    client.force_login(superuser)
    url = reverse("admin:offers_approval_changelist")

    response = client.get(url, {"status__exact": "pending"})
    rejected = client.get(url, {"status__exact": "rejected"})
    by_group = client.get(url, {"group__id__exact": str(signing_rule.group_id)})

    assert [a.offer for a in response.context["cl"].result_list] == [waiting]
    assert list(rejected.context["cl"].result_list) == []
    assert len(by_group.context["cl"].result_list) == 1
    assert change_url(waiting) in response.content.decode()  # the offer, where it is decided
    # A list only: an approval is asked for and decided through its offer.
    approval = waiting.approvals.get()
    assert (
        client.get(reverse("admin:offers_approval_change", args=[approval.pk])).status_code == 403
    )
    assert client.get(reverse("admin:offers_approval_add")).status_code == 403


def test_a_four_year_total_threshold_needs_an_amount_and_a_step_is_1_or_more(client, superuser):
    client.force_login(superuser)
    cfo = Group.objects.create(name="CFO")

    response = client.post(
        reverse("admin:offers_approvalrule_add"),
        {"name": "CFO", "step": "0", "condition": "total_at_or_above", "group": str(cfo.pk)},
    )

    errors = response.context["adminform"].form.errors
    assert errors["amount"] == ["This condition needs an amount."]
    assert errors["step"] == ["A step is 1 or more."]
    assert not ApprovalRule.objects.exists()


# --- Delegations ---------------------------------------------------------------------------


def test_an_administrator_records_a_delegation_and_ends_it(client, superuser):
    hana, dan = UserFactory.create(username="hana"), UserFactory.create(username="dan")
    client.force_login(superuser)
    today = timezone.localdate()
    url = reverse("admin:offers_delegation_add")

    refused = client.post(
        url,
        {
            "delegator": str(hana.pk),
            "delegate": str(hana.pk),
            "starts_on": f"{today}",
            "ends_on": f"{today + timedelta(days=3)}",
        },
    )
    assert refused.context["adminform"].form.errors["delegate"] == ["Delegate to someone else."]
    assert not Delegation.objects.exists()

    made = client.post(
        url,
        {
            "delegator": str(hana.pk),
            "delegate": str(dan.pk),
            "starts_on": f"{today}",
            "ends_on": f"{today + timedelta(days=3)}",
            "reason": "Conference",
        },
    )
    assert made.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.created_by) == (
        hana,
        dan,
        superuser,
    )
    client.post(
        reverse("admin:offers_delegation_changelist"),
        {"action": "end_now", "_selected_action": [str(delegation.pk)]},
    )
    delegation.refresh_from_db()
    assert delegation.ended_at is not None
