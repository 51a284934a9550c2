"""The offer workspace in a real browser: a recruiter drafts an offer and watches the live
totals, an approver rejects and then approves it, the recruiter sends it and records the
candidate's acceptance; bad input comes back as field errors with nothing saved; someone who
may not see pay sees no amount; the offer's pages fit a phone.

The figures are worked out by hand from the engine's conventions (year 1 holds the base, the
target bonus, relocation, a month-0 signing instalment and the first 25% of a grant with a
12-month cliff).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from candidates.models import Company, Currency
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.models import Approval, CompetingOffer, Offer
from offers.services import submit_for_approval
from offers.terms import EquityTerms
from recruiting.pipeline.models import Application, Role
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
)

from .conftest import screenshot, sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)

# A figure of thousands as the pages print it ("400,000"), or one with a currency after it.
AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s*(?:USD|EUR)\b|\$\s*\d")
REJECTION = "The signing bonus is above what we pay at this level; bring it down or justify it."


@pytest.fixture
def market():
    # A transactional test's flush empties every table, the currencies a migration added too.
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})
    build_market()
    # Any signing bonus needs the Compensation approvers.
    ApprovalRuleFactory.create(
        name="Any signing bonus", condition="signing_at_or_above", amount=Decimal(1)
    )


def senior_scientist_role(**fields) -> Role:
    """A role with a band: senior research scientist in Silicon Valley (USD 900k–2M total)."""
    return RoleFactory.create(
        title="Senior Research Scientist",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        **fields,
    )


@pytest.fixture
def application(market):
    # Nobody owns the candidate and the role has no hiring manager: a competitor ahead of us
    # alerts no one (no task is queued for a worker this test does not run).
    ada = CandidateFactory.create(name="Ada Lovelace")
    return ApplicationFactory.create(candidate=ada, role=senior_scientist_role())


@pytest.fixture
def helix(application, recruiter):
    """A written offer from a competitor, ahead of ours in year one: $500k base and a $300k
    signing bonus (year one $800k), answer due in five days."""
    terms = CompetingTerms(
        competitor=CompanyFactory.create(name="Helix Intelligence", kind=Company.Kind.COMPETITOR),
        application=application,
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
        currency="USD",
        base_salary=Decimal(500_000),
        signing_payments=[(0, Decimal(300_000))],
    )
    return record_competing_offer(application.candidate, terms, by=recruiter)


def url(live_server, name: str, *args: object) -> str:
    return f"{live_server.url}{reverse(name, args=args)}"


def go(page: Page, live_server, name: str, *args: object) -> None:
    page.goto(url(live_server, name, *args))


def switch_user(page: Page, live_server, user) -> None:
    sign_out(page)
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    sign_in(page, live_server, user)


def take_step(page: Page, label: str, message: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator("main .alert-success")).to_contain_text(message)


def status(page: Page):
    return page.locator("#offer-status")


def year_one_preview(page: Page):
    return page.locator("#preview-summary dd").first


# --- The whole flow --------------------------------------------------------------------------


def test_an_offer_is_drafted_rejected_approved_sent_and_accepted(
    page, live_server, recruiter, approver, application, helix
):
    # The recruiter drafts from the application page.
    sign_in(page, live_server, recruiter)
    screenshot(page, "home-recruiter")
    go(page, live_server, "web:application", application.pk)
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.locator("#offers")).to_contain_text("No offer yet.")
    screenshot(page, "application")
    page.get_by_role("link", name="Draft offer").click()
    expect(page.get_by_role("heading", name="New offer to Ada Lovelace")).to_be_visible()
    # A new offer is in the band's currency.
    expect(page.locator("#id_currency")).to_have_value("USD")

    page.locator("#id_base_salary").fill("400000")
    page.locator("#id_target_bonus_percent").fill("10")
    page.locator("#id_relocation").fill("20000")
    page.locator("#id_signing_clawback_months").fill("12")
    page.locator("#id_payments-0-amount").fill("50000")  # signing, month 0 (the defaults)
    page.locator("#id_equity-0-value").fill("800000")  # RSUs, 25% a year, 12-month cliff
    for year in range(4):
        expect(page.locator(f"#id_equity-0-years-{year}-percentage")).to_have_value("25")

    # Year one: 400,000 base + 40,000 bonus + 20,000 relocation + 50,000 signing + 200,000
    # equity. Four years in all: 710,000 + 3 × (400,000 + 40,000 + 200,000) = 2,630,000.
    expect(year_one_preview(page)).to_have_text("710,000 USD")
    summary = page.locator("#preview-summary")
    expect(summary).to_contain_text("Total over 4 years")
    expect(summary).to_contain_text("2,630,000 USD")
    # Helix pays 800,000 in year one: 90,000 more, 12.7% of what we pay.
    rival = page.locator(f"#rival-{helix.pk}")
    expect(rival).to_contain_text("They pay 90,000 USD more (12.7%)")
    expect(page.locator("#preview-approvals")).to_contain_text("Compensation approvers")

    # A raise of the base moves every year: 420,000 + 42,000 + 20,000 + 50,000 + 200,000.
    page.locator("#id_base_salary").fill("420000")
    expect(year_one_preview(page)).to_have_text("732,000 USD")
    expect(summary).to_contain_text("2,718,000 USD")  # 732,000 + 3 × 662,000
    expect(rival).to_contain_text("They pay 68,000 USD more (9.3%)")
    screenshot(page, "offer-form")

    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("main .alert-success")).to_contain_text("Offer v1 drafted.")
    offer = Offer.objects.get(application=application)
    assert offer.base_salary == Decimal(420_000)
    assert offer.drafted_by == recruiter
    expect(status(page)).to_have_text("Draft")
    expect(page.locator("#summary")).to_contain_text("732,000")
    expect(page.locator("#approvals")).to_contain_text("Submitting it will ask")
    expect(page.locator("#competition")).to_contain_text("Helix Intelligence")
    screenshot(page, "offer-draft")

    take_step(page, "Submit for approval", "Submitted for approval by: Compensation approvers.")
    expect(status(page)).to_have_text("Pending approval")

    # The approver finds it on the home page and in the inbox, and rejects it.
    switch_user(page, live_server, approver)
    waiting = page.locator("#waiting")
    expect(waiting.get_by_role("link", name="Offer v1 to Ada Lovelace")).to_be_visible()
    screenshot(page, "home-approver")
    page.get_by_role("navigation").get_by_role("link", name="Approvals").click()
    card = page.locator(f"#offer-{offer.pk}")
    expect(card.locator(".reasons")).to_contain_text("signing bonus 50,000.00 USD")
    expect(card.locator(".figures")).to_contain_text("732,000")
    screenshot(page, "approvals-inbox")
    # Rejecting needs a reason: the form says so, and the offer still waits.
    card.get_by_role("button", name="Reject").click()
    expect(card).to_contain_text("Say why the offer is rejected")
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.PENDING_APPROVAL
    card.get_by_label("Comment").fill(REJECTION)
    card.get_by_role("button", name="Reject").click()
    expect(page.locator("main .alert-success")).to_contain_text(
        "The offer v1 to Ada Lovelace is rejected"
    )
    expect(page.locator("#waiting")).to_contain_text("Nothing waits for your approval.")
    expect(page.locator("#recent")).to_contain_text(REJECTION)

    # The recruiter finds it back in draft with the comment, and submits it again.
    switch_user(page, live_server, recruiter)
    go(page, live_server, "web:application", application.pk)
    offers = page.locator("#offers")
    expect(offers).to_contain_text("Draft")
    expect(offers).to_contain_text(f"Approver's comment: {REJECTION}")
    offers.get_by_role("link", name="v1").click()
    expect(status(page)).to_have_text("Draft")
    expect(page.locator("#offer-header")).to_contain_text(REJECTION)
    expect(page.locator("#approvals")).to_contain_text(REJECTION)
    take_step(page, "Submit for approval", "Submitted for approval by: Compensation approvers.")

    # The approver approves it this time from the offer's page.
    switch_user(page, live_server, approver)
    page.locator("#waiting").get_by_role("link", name="Offer v1 to Ada Lovelace").click()
    expect(status(page)).to_have_text("Pending approval")
    screenshot(page, "offer-pending-approver")
    approve = page.locator("#approve-form")
    approve.get_by_label("Comment").fill("Fine: Helix is ahead of us.")
    approve.get_by_role("button", name="Approve").click()
    expect(page.locator("main .alert-success")).to_contain_text(
        "Approved. The offer can now be sent."
    )
    expect(status(page)).to_have_text("Approved")

    # The recruiter sends it and records the acceptance.
    switch_user(page, live_server, recruiter)
    go(page, live_server, "offers:detail", offer.pk)
    expect(status(page)).to_have_text("Approved")
    letter = page.request.get(url(live_server, "offers:letter", offer.pk))
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    take_step(page, "Send to the candidate", "Sent: ")
    expect(status(page)).to_have_text("Sent")
    # Helix is still ahead: the counter-offer page says what would beat them.
    page.get_by_role("link", name="Counter-offer").click()
    expect(page.locator("main")).to_contain_text("Against Helix Intelligence")
    screenshot(page, "counter-offer")
    page.get_by_label("By a margin of (%)").fill("10")
    page.get_by_role("button", name="Suggest again").click()
    expect(page.locator("main")).to_contain_text("by the 10% margin or more on year one")
    expect(page.locator("#deal")).to_contain_text("Year 4")
    go(page, live_server, "offers:detail", offer.pk)
    take_step(page, "Record acceptance", "Acceptance recorded.")
    expect(status(page)).to_have_text("Accepted")
    expect(page.locator("#history-list")).to_contain_text("Accepted")
    screenshot(page, "offer-accepted")

    page.get_by_role("link", name="application").click()
    expect(page.locator("header")).to_contain_text("Hired")
    screenshot(page, "application-hired")

    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert offer.application.status == Application.Status.HIRED
    decisions = list(
        offer.approvals.order_by("requested_at", "pk").values_list("status", "comment")
    )
    assert decisions == [
        (Approval.Status.REJECTED, REJECTION),
        (Approval.Status.APPROVED, "Fine: Helix is ahead of us."),
    ]


# --- Bad input -------------------------------------------------------------------------------


def test_bad_input_shows_field_errors_and_saves_nothing(page, live_server, recruiter, application):
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:draft", application.pk)
    page.locator("#id_base_salary").fill("400000")
    page.locator("#id_equity-0-value").fill("800000")
    # Four years of 25% are shown; the fourth is removed.
    year_4 = page.locator("#equity-0-years-3-row")
    year_4.get_by_label("Remove this year").check()

    # The preview says what it waits for as soon as it is typed...
    expect(page.locator("#preview-problems")).to_contain_text(
        "The yearly vesting percentages add up to 75%, not 100%."
    )
    # ...and saving refuses it above the grant's years, keeping what was typed.
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#problems")).to_contain_text("Nothing was saved: 1 thing to fix below.")
    expect(page.locator("#equity-0-years-errors")).to_contain_text(
        "The yearly vesting percentages add up to 75%, not 100%."
    )
    expect(page.locator("#equity-0-row")).to_contain_text(
        "The yearly vesting percentages add up to 75%, not 100%."
    )
    expect(year_4.get_by_label("Remove this year")).to_be_checked()
    expect(page.locator("#id_equity-0-years-2-percentage")).to_have_value("25")
    expect(page.locator("#id_base_salary")).to_have_value("400000")
    screenshot(page, "offer-form-errors")
    assert not Offer.objects.exists()

    # Vesting fixed with a fifth year (added with htmx), an expiry in the past is refused by
    # the service, on its field.
    page.get_by_role("button", name="Add a year").click()
    year_5 = page.locator("#id_equity-0-years-4-percentage")
    expect(page.locator("#equity-0-years-4-row")).to_contain_text("Year 5")
    year_5.fill("25")
    expires = page.locator("#id_expires_at")
    expires.fill((timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#problems")).to_contain_text("The expiry must be in the future.")
    expect(expires).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(year_5).to_have_value("25")
    expect(page.locator("#equity-0-years-errors")).to_have_count(0)
    assert not Offer.objects.exists()


# --- Who sees no amount ----------------------------------------------------------------------


def test_a_hiring_manager_without_view_compensation_sees_no_amount(
    page, live_server, recruiter, hiring_manager, market
):
    role = senior_scientist_role(hiring_manager=hiring_manager)
    application = ApplicationFactory.create(
        candidate=CandidateFactory.create(name="Grace Hopper"), role=role
    )
    offer = OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(412_345),
        target_bonus_percent=Decimal(15),
        relocation=Decimal(25_000),
        signing_payments=[(0, Decimal(75_000))],
        equity=[EquityTerms(Decimal(900_000), [Decimal(25)] * 4)],
    )
    submit_for_approval(offer, by=recruiter)  # the approval's reason names the bonus

    sign_in(page, live_server, hiring_manager)
    go(page, live_server, "web:application", application.pk)
    expect(page.locator("#offers")).to_contain_text("Pending approval")
    text = page.locator("main").text_content() or ""  # what is folded away too
    assert not AMOUNT.findall(text), AMOUNT.findall(text)
    assert "412" not in text
    expect(page.get_by_role("link", name="Draft offer")).to_have_count(0)
    expect(page.get_by_role("link", name="Record competing offer")).to_have_count(0)
    screenshot(page, "application-no-amounts")

    page.locator("#offers").get_by_role("link", name="v1").click()
    expect(status(page)).to_have_text("Pending approval")
    expect(page.locator("#compensation")).to_contain_text(
        "Amounts are shown only to people who may see compensation."
    )
    text = page.locator("main").text_content() or ""  # what is folded away too
    assert not AMOUNT.findall(text), AMOUNT.findall(text)
    assert "412" not in text
    for link in ("Offer letter (PDF)", "Edit terms", "Revise terms", "Counter-offer"):
        expect(page.get_by_role("link", name=link)).to_have_count(0)
    screenshot(page, "offer-no-amounts")
    # The letter, asked for by its address, is refused too.
    letter = page.request.get(url(live_server, "offers:letter", offer.pk))
    assert letter.status == 404


# --- A phone ---------------------------------------------------------------------------------


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide: it scrolls sideways"


def test_the_offer_form_and_page_fit_a_phone(phone, live_server, recruiter, application, helix):
    offer = OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        target_bonus_percent=Decimal(10),
        signing_payments=[(0, Decimal(50_000))],
        equity=[EquityTerms(Decimal(800_000), [Decimal(25)] * 4)],
    )
    sign_in(phone, live_server, recruiter)

    go(phone, live_server, "offers:detail", offer.pk)
    expect(status(phone)).to_have_text("Draft")
    expect(phone.locator("#years-table")).to_be_visible()
    fits(phone)
    screenshot(phone, "offer-phone")

    go(phone, live_server, "offers:edit", offer.pk)
    # 400,000 + 40,000 + 50,000 + 200,000
    expect(year_one_preview(phone)).to_have_text("690,000 USD")
    fits(phone)
    screenshot(phone, "offer-form-phone")

    go(phone, live_server, "web:application", application.pk)
    fits(phone)
    go(phone, live_server, "offers:approvals")
    fits(phone)


# --- Known bugs ------------------------------------------------------------------------------


def test_the_counter_offer_button_can_be_read(page, live_server, recruiter, application, helix):
    offer = OfferFactory.create(application=application, drafted_by=recruiter)
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:counter", offer.pk)

    button = page.get_by_role("button", name="Suggest again")
    expect(button).to_be_visible()
    color, background = button.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert color != background, f"the label is {color} on {background}"


def test_a_stale_rate_is_shown_and_refuses_the_send_until_confirmed(
    page, live_server, recruiter, application
):
    # A €847,000 offer, approved at once (no signing bonus): the market's EUR rate is of 1 Nov
    # 2025, far more than a week old.
    offer = submit_for_approval(
        OfferFactory.create(
            application=application,
            drafted_by=recruiter,
            currency="EUR",
            base_salary=Decimal(847_000),
        ),
        by=recruiter,
    )
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:detail", offer.pk)

    expect(page.locator("#stale-rate")).to_have_text("Stale rate")
    expect(page.locator("#summary")).to_contain_text("the latest rate, of 1 Nov 2025")
    screenshot(page, "offer-stale-rate")

    page.get_by_role("button", name="Send to the candidate", exact=True).click()
    expect(page.locator("main .alert-danger")).to_contain_text("The EUR→USD rate is of 1 Nov 2025")
    expect(status(page)).to_have_text("Approved")

    page.locator("#confirm-stale-rate").check()
    take_step(page, "Send to the candidate", "Sent: ")
    expect(status(page)).to_have_text("Sent")
    expect(page.locator("#summary")).to_contain_text("fixed when sent, the rate of 1 Nov 2025")
    offer.refresh_from_db()
    assert offer.sent_at_stale_rate


@pytest.mark.parametrize("width", [1920, 1400, 1280, 1200])
def test_the_live_preview_fits_its_column_at_every_width(
    browser, live_server, recruiter, application, width
):
    """Once the preview's year table ran past its card at 1,400 px: the Total column was cut
    off. A euro offer with nine-figure years and a four-year grant, at the widths where the
    preview is a column beside the form (on a phone it is under the form, and scrolls)."""
    offer = OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        currency="EUR",
        base_salary=Decimal(600_000),
        target_bonus_percent=Decimal(25),
        signing_payments=[(0, Decimal(6_000_000)), (12, Decimal(6_000_000))],
        equity=[EquityTerms(Decimal(120_000_000), [Decimal(25)] * 4)],
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:edit", offer.pk)
    expect(page.locator("#preview-by-year")).to_contain_text("Year 4")

    overflowing = page.evaluate(
        """() => {
          // The card's inner edge: a Bootstrap row reaches into its padding by design.
          const card = document.querySelector('#preview-panel .card-body');
          const right = card.getBoundingClientRect().right;
          return [...card.querySelectorAll('*')]
            .filter(el => !el.closest('details:not([open])'))
            .filter(el => el.getBoundingClientRect().right > right + 0.5)
            .map(el => el.tagName + (el.id ? '#' + el.id : ''));
        }"""
    )
    screenshot(page, f"offer-form-{width}")
    context.close()

    assert overflowing == []
