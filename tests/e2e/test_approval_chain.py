"""An offer through an approval chain of three ordered steps in a real browser, one of them
decided by a delegate: the recruiter sees the whole deal against a Meta-like rival (years one
to four) and the counter-offer's clawback, submits; the recruiting lead approves; the head of
compensation, away, has delegated to a deputy, who approves for her; the CFO approves last.

Hand-computed: our offer pays $400k base, a 15% bonus, $3.2M of RSUs over four years and a
$500k signing bonus: $5,540,000 over four years, above the CFO's $5M threshold. The rival pays
$2M base, $8M a year of RSUs and $100M of signing bonus: $140M over four years.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from candidates.models import Company, Currency
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.models import Approval, ApprovalRule, CompetingOffer, Offer
from offers.terms import EquityTerms
from recruiting.alerts.models import Alert
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
)

from .conftest import screenshot, sign_in
from .test_offer_workspace import go, senior_scientist_role, status, switch_user, take_step

pytestmark = pytest.mark.django_db(transaction=True)

M = Decimal(1_000_000)
EVEN = [Decimal(25)] * 4


def approver(username: str, first: str, last: str, group: str | None):
    user = UserFactory.create(username=username, first_name=first, last_name=last)
    # Approvers weigh the figures: they may see pay.
    user.user_permissions.add(Permission.objects.get(codename="view_compensation"))
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def chain():
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})
    build_market()
    people = {
        "rosa": approver("rosa", "Rosa", "Lead", "Recruiting leads"),
        "hana": approver("hana", "Hana", "Comp", "Head of compensation"),
        "cora": approver("cora", "Cora", "Finance", "CFO"),
        "dan": approver("dan", "Dan", "Deputy", None),
    }
    for step, group, condition, amount in (
        (1, "Recruiting leads", ApprovalRule.Condition.ANY_OFFER, None),
        (2, "Head of compensation", ApprovalRule.Condition.ANY_OFFER, None),
        (3, "CFO", ApprovalRule.Condition.TOTAL_AT_OR_ABOVE, 5 * M),
    ):
        ApprovalRuleFactory.create(
            name=f"Step {step}: {group}",
            step=step,
            condition=condition,
            amount=amount,
            group=Group.objects.get(name=group),
        )
    return people


@pytest.fixture
def offer(chain, recruiter):
    application = ApplicationFactory.create(
        candidate=CandidateFactory.create(name="Ada Lovelace"), role=senior_scientist_role()
    )
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=CompanyFactory.create(name="Meta", kind=Company.Kind.COMPETITOR),
            application=application,
            deadline=timezone.now() + timedelta(days=3),
            confidence=CompetingOffer.Confidence.VERIFIED,
            currency="USD",
            base_salary=2 * M,
            equity=[EquityTerms(32 * M, EVEN)],
            signing_payments=[(0, 100 * M)],
            signing_clawback_months=12,
        ),
        by=recruiter,
    )
    return OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        target_bonus_percent=Decimal(15),
        equity=[EquityTerms(Decimal(3_200_000), EVEN)],
        signing_payments=[(0, Decimal(500_000))],
        signing_clawback_months=12,
    )


def approve_in_inbox(page, offer, comment: str) -> None:
    card = page.locator(f"#offer-{offer.pk}")
    card.get_by_label("Comment").fill(comment)
    card.get_by_role("button", name="Approve").click()


def test_three_ordered_approvals_one_delegated(page, live_server, recruiter, chain, offer):
    # The recruiter weighs the whole deal against Meta, years one to four.
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:detail", offer.pk)
    deal = page.locator("#competition .deal-table")
    expect(deal).to_contain_text("Year 4")
    expect(deal.locator("tr", has_text="Meta: recurring")).to_contain_text("10,000,000.00")
    expect(page.locator("#competition .deal-exposure")).to_contain_text(
        "Meta: Up to 100,000,000.00 repayable on leaving early"
    )
    screenshot(page, "offer-whole-deal")
    # The counter-offer answers on the four-year total too, and proposes a clawback.
    page.get_by_role("link", name="Counter-offer").click()
    # Within the band ($2M a year at most) it falls short, and says by how much on each.
    expect(page.locator("#message")).to_contain_text(
        "still short of beating Meta (the strongest credible competing offer) by the 5% margin "
        "within the band: 111,280,000 USD on year one; 139,000,000 USD on four-year total."
    )
    page.get_by_label("Allow going above the band").check()
    page.get_by_role("button", name="Suggest again").click()
    expect(page.locator("#message")).to_contain_text("+141,460,000 USD signing bonus")
    expect(page.locator("#message")).to_contain_text(
        "On year one alone, +113,740,000 USD signing bonus would do, but it would lose the "
        "four-year total"
    )
    expect(page.locator("#deal")).to_contain_text("Year 4")
    expect(page.locator("#clawback-proposal")).to_contain_text(
        "proposed clawback 48 months, pro rata by month, counted from each payment"
    )
    expect(page.locator("#recurring-warning")).to_contain_text("the lead rests on one-time pay")
    screenshot(page, "counter-offer-whole-deal")

    # Submitted as it is: three steps, the first asked now.
    go(page, live_server, "offers:detail", offer.pk)
    take_step(page, "Submit for approval", "Submitted for approval by: Recruiting leads.")
    expect(page.locator("main .alert-success")).to_contain_text("Then 2 later steps.")
    approvals = page.locator("#approvals")
    expect(approvals).to_contain_text("Step 3: CFO")
    expect(approvals).to_contain_text("Asked once the steps before it approve")

    # Hana, head of compensation, is away this week: Dan approves for her.
    switch_user(page, live_server, chain["hana"])
    page.get_by_role("link", name="Approvals").click()
    expect(page.locator("#waiting")).to_contain_text("Nothing waits for your approval.")
    form = page.locator("#delegate-form")
    form.get_by_label("Who approves for you").select_option(label="Dan Deputy")
    form.get_by_label("Until (inclusive)").fill(f"{timezone.localdate() + timedelta(days=7)}")
    form.get_by_label("Why").fill("Away at a conference")
    form.get_by_role("button", name="Delegate").click()
    expect(page.locator("main .alert-success")).to_contain_text("Dan Deputy approves for you")
    expect(page.locator("#delegations")).to_contain_text("Dan Deputy approves for you")

    # Step 1: Rosa sees the chain and approves.
    switch_user(page, live_server, chain["rosa"])
    page.get_by_role("link", name="Approvals").click()
    chain_list = page.locator(f"#offer-{offer.pk} .chain")
    expect(chain_list).to_contain_text("Step 1: Recruiting leads — waiting")
    expect(chain_list).to_contain_text("Step 2: Head of compensation — after an earlier step")
    screenshot(page, "approvals-chain")
    approve_in_inbox(page, offer, "Fine from recruiting.")
    expect(page.locator("main .alert-success")).to_contain_text("recorded")

    # Step 2: Dan, for Hana.
    switch_user(page, live_server, chain["dan"])
    page.get_by_role("link", name="Approvals").click()
    card = page.locator(f"#offer-{offer.pk}")
    expect(card.locator(".on-behalf")).to_have_text("For Hana Comp")
    expect(card.locator(".chain")).to_contain_text(
        "Step 1: Recruiting leads — approved by Rosa Lead"
    )
    approve_in_inbox(page, offer, "For Hana, who is away.")
    expect(page.locator("main .alert-success")).to_contain_text("recorded")

    # Step 3: the CFO, and the offer is approved.
    switch_user(page, live_server, chain["cora"])
    page.get_by_role("link", name="Approvals").click()
    approve_in_inbox(page, offer, "Approved.")
    expect(page.locator("main .alert-success")).to_contain_text("is approved")

    switch_user(page, live_server, recruiter)
    go(page, live_server, "offers:detail", offer.pk)
    expect(status(page)).to_have_text("Approved")
    expect(page.locator("#approvals")).to_contain_text(
        "decided by Dan Deputy for Hana Comp (delegated)"
    )
    screenshot(page, "offer-approved-chain")

    decided = list(
        Approval.objects.filter(offer=offer)
        .order_by("step")
        .values_list("step", "decided_by__username", "on_behalf_of__username")
    )
    assert decided == [(1, "rosa", None), (2, "dan", "hana"), (3, "cora", None)]
    # Each step's approvers heard as it opened; Dan beside Hana.
    asked = list(
        Alert.objects.filter(kind="approval_asked")
        .order_by("id")
        .values_list("recipient__username", flat=True)
    )
    assert asked == ["rosa", "hana", "dan", "cora"]
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.APPROVED
