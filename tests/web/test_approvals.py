"""The approvals inbox: what waits for the user's groups, approving and rejecting with a
comment, and what they decided lately."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from offers.demo import build_market
from offers.models import Approval, Offer
from offers.selectors import value_offer
from offers.services import submit_for_approval
from recruiting.lib.formats import money_in_table
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

INBOX = reverse("offers:approvals")
REJECT_MESSAGE = "Say why the offer is rejected; the recruiter reads it."


def decide_url(offer: Offer) -> str:
    return reverse("offers:decide", args=[offer.pk])


def pending_offer(recruiter, name: str = "Ada Lovelace", **terms) -> Offer:
    """An offer with a $100k signing bonus, submitted: the rule below asks for approval."""
    offer = OfferFactory.create(
        application=ApplicationFactory.create(
            candidate=CandidateFactory.create(name=name, owner=recruiter),
            role=RoleFactory.create(title="Pre-training Lead", city="Paris"),
        ),
        drafted_by=recruiter,
        signing_payments=[(0, Decimal(100_000))],
        **terms,
    )
    return submit_for_approval(offer, by=recruiter)


@pytest.fixture
def market():
    build_market()
    ApprovalRuleFactory.create(
        name="Big signing", condition="signing_at_or_above", amount=Decimal(1)
    )


def test_an_approver_sees_what_waits_why_and_for_how_much(client, recruiter, approver, market):
    offer = pending_offer(recruiter)
    valuation = value_offer(offer)
    client.force_login(approver)

    page = client.get(INBOX)

    html = page.content.decode()
    assert page.status_code == 200
    approval = Approval.objects.get()
    assert approval.offer == offer and approval.status == "pending"
    assert f'href="{reverse("offers:detail", args=[offer.pk])}">Offer v1 to Ada Lovelace' in html
    assert "Pre-training Lead, Paris" in html
    assert escape(approval.reason) in html  # why: the signing bonus and the rule's amount
    year_one = valuation.reporting.year_one
    assert year_one == Decimal(500_000)
    # A list of figures: to the cent, each with its currency.
    assert "500,000.00 USD" in html
    assert money_in_table(valuation.reporting.annual_average, "USD") in html
    assert str(valuation.band_position) in html
    assert f'action="{decide_url(offer)}"' in html
    assert 'value="approve"' in html and 'value="reject"' in html
    assert "You have decided nothing yet." in html


def test_the_drafter_and_a_recruiter_have_nothing_waiting(client, recruiter, market):
    pending_offer(recruiter)
    colleague = UserFactory.create(username="colleague")
    colleague.groups.add(Group.objects.get(name="Recruiters"))

    for user in (recruiter, colleague):
        client.force_login(user)
        html = client.get(INBOX).content.decode()
        assert "Nothing waits for your approval." in html
        assert "Ada Lovelace" not in html


def test_a_group_without_view_compensation_sees_why_without_any_amount(client, recruiter, market):
    committee = Group.objects.create(name="Hiring committee")  # no permission at all
    ApprovalRuleFactory.create(
        name="Committee on signing", condition="signing_at_or_above", amount=1, group=committee
    )
    member = UserFactory.create(username="member")
    member.groups.add(committee)
    offer = pending_offer(recruiter)
    reason = offer.approvals.get(group=committee).reason
    client.force_login(member)

    html = client.get(INBOX).content.decode()

    assert "Offer v1 to Ada Lovelace" in html
    assert "Signing bonus at or above an amount" in html  # the rule, not its figures
    assert escape(reason) not in html
    assert "100,000" not in html and "500,000" not in html and "USD" not in html
    assert "Year one" not in html and "Band position" not in html


def test_approving_with_a_comment(client, recruiter, approver, market):
    offer = pending_offer(recruiter)
    client.force_login(approver)

    page = client.post(
        decide_url(offer),
        {f"offer-{offer.pk}-comment": "Worth it for her", "decision": "approve"},
        follow=True,
    )

    assert page.redirect_chain == [(INBOX, 302)]
    html = page.content.decode()
    assert "The offer v1 to Ada Lovelace is approved." in html
    assert "Nothing waits for your approval." in html
    offer.refresh_from_db()
    assert offer.status == Offer.Status.APPROVED
    approval = Approval.objects.get()
    assert (approval.status, approval.decided_by, approval.comment) == (
        "approved",
        approver,
        "Worth it for her",
    )
    recent = html[html.index('id="recent"') :]
    assert "v1 to Ada Lovelace" in recent and "Approved" in recent
    assert "Worth it for her" in recent


def test_an_offer_two_groups_must_approve_waits_for_the_second(client, recruiter, approver, market):
    committee = Group.objects.create(name="Hiring committee")
    ApprovalRuleFactory.create(
        name="Committee", condition="currency_is", currency_id="USD", group=committee
    )
    member = UserFactory.create(username="member")
    member.groups.add(committee)
    offer = pending_offer(recruiter)
    client.force_login(approver)

    first = client.post(decide_url(offer), {"decision": "approve"}, follow=True)

    assert (
        "Your approval of the offer v1 to Ada Lovelace is recorded; it now waits for step 1: "
        "Hiring committee." in first.content.decode()
    )
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING_APPROVAL
    client.force_login(member)
    assert "Offer v1 to Ada Lovelace" in client.get(INBOX).content.decode()
    second = client.post(decide_url(offer), {"decision": "approve"}, follow=True)
    assert "The offer v1 to Ada Lovelace is approved." in second.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.APPROVED


def test_rejecting_without_a_comment_shows_the_services_message_on_the_field(
    client, recruiter, approver, market
):
    offer = pending_offer(recruiter)
    client.force_login(approver)

    page = client.post(decide_url(offer), {f"offer-{offer.pk}-comment": "  ", "decision": "reject"})

    html = page.content.decode()
    assert page.status_code == 200
    field = f'id="id_offer-{offer.pk}-comment"'
    assert field in html
    textarea = html[html.rindex("<textarea", 0, html.index(field)) : html.index(field)]
    assert "is-invalid" in textarea
    assert f'id="error_1_id_offer-{offer.pk}-comment"><strong>{escape(REJECT_MESSAGE)}' in html
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING_APPROVAL
    assert Approval.objects.get().status == "pending"


def test_rejecting_with_a_comment_sends_the_offer_back_to_draft_with_it(
    client, recruiter, approver, market
):
    offer = pending_offer(recruiter)
    client.force_login(approver)

    page = client.post(
        decide_url(offer),
        {f"offer-{offer.pk}-comment": "Signing bonus too high for the band", "decision": "reject"},
        follow=True,
    )

    assert page.redirect_chain == [(INBOX, 302)]
    html = page.content.decode()
    assert "The offer v1 to Ada Lovelace is rejected: it is back with the recruiter" in html
    assert "Signing bonus too high for the band" in html[html.index('id="recent"') :]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT
    assert offer.last_comment == "Signing bonus too high for the band"
    # The recruiter reads the comment on the application page.
    client.force_login(recruiter)
    application_page = client.get(
        reverse("web:application", args=[offer.application_id])
    ).content.decode()
    assert "Approver's comment: Signing bonus too high for the band" in application_page


def test_a_decision_the_service_refuses_is_a_message_not_an_error_page(
    client, recruiter, approver, market
):
    offer = pending_offer(recruiter)
    client.force_login(recruiter)  # sees the offer, but is neither asked nor allowed

    page = client.post(
        decide_url(offer), {f"offer-{offer.pk}-comment": "", "decision": "approve"}, follow=True
    )

    assert page.redirect_chain == [(INBOX, 302)]
    assert "Whoever drafted an offer cannot approve or reject it." in page.content.decode()
    client.force_login(approver)
    client.post(decide_url(offer), {"decision": "approve"})
    again = client.post(decide_url(offer), {"decision": "approve"}, follow=True)
    assert "An offer that is approved cannot be approved." in again.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.APPROVED


def test_an_offer_nobody_showed_them_is_404(client, recruiter, outsider, market):
    offer = pending_offer(recruiter)
    client.force_login(outsider)

    assert client.post(decide_url(offer), {"decision": "approve"}).status_code == 404
    assert "Nothing waits for your approval." in client.get(INBOX).content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING_APPROVAL


def test_signed_out_the_inbox_asks_to_sign_in(client):
    page = client.get(INBOX)

    assert page.status_code == 302 and page.url.startswith(reverse("account_login"))


def test_the_inbox_reads_as_many_approvals_in_as_many_queries(
    client, recruiter, approver, market, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX).status_code == 200
        return len(captured)

    client.force_login(approver)
    offers = [pending_offer(recruiter, name=f"Candidate {i}") for i in range(2)]
    client.post(decide_url(offers[0]), {"decision": "approve"})
    offers.append(pending_offer(recruiter, name="Candidate 2"))
    assert Approval.objects.filter(status="pending").count() == 2
    at_two = queries()
    for i in range(3, 13):
        offers.append(pending_offer(recruiter, name=f"Candidate {i}"))
    for offer in offers[1:3]:
        client.post(decide_url(offer), {f"offer-{offer.pk}-comment": "No", "decision": "reject"})
    assert Approval.objects.filter(status="pending").count() == 10

    # 15, the pay access log's row, and whether the approver manages a role (the Reports link)
    with django_assert_max_num_queries(17):
        html = client.get(INBOX).content.decode()

    assert html.count('value="approve"') == 10
    assert html.count("Rejected</span>") == 2
    assert queries() == at_two


def test_an_offer_in_euros_waits_with_its_rate_and_the_rates_date(
    client, recruiter, approver, market
):
    pending_offer(recruiter, currency="EUR", base_salary=Decimal(847_000))
    client.force_login(approver)

    page = client.get(INBOX).content.decode()

    assert "Converted at" in page
    assert "1.180638 USD per EUR, the rate of 1 Nov 2025" in page


def test_the_inbox_and_the_home_page_tell_the_same_time(client, recruiter, approver, market):
    """Once the home page said "asked 1 day, 6 hours ago" and the inbox "submitted 6 minutes
    ago" of the same approval: both now count from when it was asked."""
    offer = pending_offer(recruiter)
    asked = timezone.now() - timedelta(hours=30)
    Approval.objects.filter(offer=offer).update(requested_at=asked)
    client.force_login(approver)

    inbox = client.get(INBOX).content.decode()
    home = client.get(reverse("home")).content.decode()

    nbsp = chr(0xA0)  # timesince keeps a number with its unit
    when = f"asked 1{nbsp}day, 6{nbsp}hours ago ({timezone.localtime(asked):%-d %b %Y, %H:%M})"
    assert when in inbox
    assert when in home
