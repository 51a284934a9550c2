"""The offer's page (years, chart, competition, band, approvals, history, the steps the user may
take), the steps taken from it, and two versions side by side."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.models import Approval, CompetingOffer, ExchangeRate, Offer
from offers.services import revise_offer, submit_for_approval, update_draft
from offers.terms import EquityTerms, OfferTerms
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db

EVEN_4_YEARS = [Decimal(25)] * 4


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role(hiring_manager):
    """Senior research scientist in Silicon Valley: base band $300k–$450k, total $900k–$2M."""
    return RoleFactory.create(
        title="Research Scientist, Pre-training",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
        rating_team_lead=5,
        rating_work_quality=4,
        rating_research_freedom=2,
        rating_publishing=5,
    )


@pytest.fixture
def helix():
    return CompanyFactory.create(
        name="Helix Intelligence",
        kind=Company.Kind.COMPETITOR,
        rating_team_lead=3,
        rating_work_quality=4,
        rating_research_freedom=5,
        rating_publishing=1,
    )


@pytest.fixture
def application(recruiter, role):
    ada = CandidateFactory.create(
        name="Ada Lovelace",
        owner=recruiter,
        motivator_pay=5,
        motivator_team_lead=4,
        motivator_work_quality=3,
        motivator_research_freedom=2,
        motivator_publishing=5,
    )
    return ApplicationFactory.create(candidate=ada, role=role)


@pytest.fixture
def offer(application, recruiter):
    """$400k base and $1.6M of RSUs vesting 25% a year: $800k in each of 4 years."""
    return OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        equity=[EquityTerms(Decimal(1_600_000), EVEN_4_YEARS)],
    )


def compete(application, competitor, by, **changes):
    fields = dict(
        competitor=competitor,
        application=application,
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        base_salary=Decimal(1_200_000),
    )
    return record_competing_offer(
        application.candidate, CompetingTerms(**{**fields, **changes}), by=by
    )


def changed(offer, **changes):
    """The offer's terms with `changes`, as a recruiter would retype them."""
    return dataclasses.replace(OfferTerms.of(offer), **changes)


def page(client, user, offer):
    client.force_login(user)
    response = client.get(reverse("offers:detail", args=[offer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, name: str) -> str:
    """The HTML of the page's <section id="name">."""
    match = re.search(rf'<section id="{name}".*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)


def step(client, offer, name, **data):
    return client.post(reverse("offers:step", args=[offer.pk, name]), data, follow=True)


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-step="(\w+)"', html))


# --- What the page shows -----------------------------------------------------------------------


def test_the_page_shows_the_years_the_chart_the_competition_and_the_band(
    client, recruiter, offer, application, helix
):
    compete(application, helix, recruiter)

    html = page(client, recruiter, offer)

    header = section(html, "actions")
    assert "Offer v1 to Ada Lovelace" in html and "Research Scientist, Pre-training" in html
    years = section(html, "compensation")
    # 400,000 base + 1,600,000 × 25% vesting = 800,000 in each year; 3,200,000 over 4 years.
    totals = re.search(r'<tr class="fw-bold" id="totals-row">(.*?)</tr>', years, re.S).group(1)
    assert re.findall(r"[\d,]+\.\d\d", totals) == ["800,000.00"] * 4 + ["3,200,000.00"]
    assert "Equity vesting" in years and "400,000.00" in years
    assert 'id="reporting-row"' not in years  # a USD offer: its total row is the USD row
    # The chart: one line for our offer and one for Helix's, from 0 to what each paid.
    chart = section(html, "chart")
    # (The legend's swatches are small SVGs too: a colour in a style="" would break the CSP.)
    assert chart.count('<svg id="cumulative-chart"') == 1 and chart.count("<polyline") == 2
    assert chart.count('<svg class="swatch"') == 2
    assert 'data-label="Our offer (v1)"' in chart and 'data-label="Helix Intelligence"' in chart
    assert "Our offer (v1): 3,200,000.00 USD after 4 years" in chart
    assert "Helix Intelligence: 4,800,000.00 USD after 4 years" in chart
    # Helix pays 1.2M in year one against our 800k: 50% more. Ada weighs team lead 4, work
    # quality 3, freedom 2, publishing 5: we rate 5/4/2/5 (61/70 = 87), Helix 3/4/5/1 (39/70
    # = 56); we win on the two that matter most to her, and tie on work quality.
    competition = section(html, "competition")
    assert (
        "Helix Intelligence pays 50.0% more (400,000 USD) in year one; we win on publishing "
        "policy and team lead reputation." in competition
    )
    assert "us <strong>87</strong> / 100" in competition
    assert "Helix Intelligence <strong>56</strong> / 100" in competition
    assert "We win on: Publishing policy, Team lead reputation" in competition
    assert "They win on" not in competition
    assert "pays more than this version" in competition
    # Helix's years one to four beside ours: $1.2M a year of recurring pay against $800k.
    assert "Years one to four, in USD" in competition
    assert (
        re.findall(r"[\d,]+\.\d\d", competition.split("Helix Intelligence: recurring")[1])[:4]
        == ["1,200,000.00"] * 4
    )
    assert "Our offer (v1): No clawback." in competition
    assert "“Pays more” is on year one" in html
    # The band: 800k a year (400k base and 1.6M of equity over four years, recurring, no
    # one-time pay) is below the $900k–$2M total band; the $400k base within $300k–$450k.
    band = section(html, "band")
    assert "Total a year, one-time pay over 4 years" in band and "below band" in band
    assert "Recurring pay a year" in band
    assert "900,000.00" in band and "2,000,000.00" in band and "800,000.00" in band
    assert "Base salary" in band and "within band" in band and "450,000.00" in band
    assert "Offer letter (PDF)" in header and reverse("offers:letter", args=[offer.pk]) in header
    assert reverse("offers:counter", args=[offer.pk]) in header
    assert reverse("offers:edit", args=[offer.pk]) in header


def test_an_offer_in_euros_shows_its_years_in_euros_and_a_usd_row(client, recruiter, role):
    offer = OfferFactory.create(
        application=ApplicationFactory.create(role=role), drafted_by=recruiter, currency="EUR"
    )

    years = section(page(client, recruiter, offer), "compensation")

    assert '<th scope="col">EUR</th>' in years and "400,000.00" in years
    # 0.847 EUR per USD: 400,000 EUR is 400,000 / 0.847 = 472,255.0177 USD.
    reporting = re.search(r'<tr [^>]*id="reporting-row">(.*?)</tr>', years, re.S).group(1)
    assert "Total (USD)" in reporting and "472,255.02" in reporting


def test_an_offer_whose_currency_lost_its_rate_says_so_instead_of_failing(
    client, recruiter, role, application, helix
):
    offer = OfferFactory.create(application=application, drafted_by=recruiter, currency="EUR")
    compete(application, helix, recruiter)
    ExchangeRate.objects.all().delete()

    html = page(client, recruiter, offer)

    assert "This offer cannot be valued: No EUR→USD exchange rate is known" in html
    assert "Not compared: No EUR→USD exchange rate is known" in section(html, "competition")
    assert "<svg" not in html


def test_the_chart_draws_one_line_per_package(client, recruiter, offer, application):
    for name in ("Helix", "Orbital", "Meridian"):
        compete(application, CompanyFactory.create(name=name), recruiter)

    chart = section(page(client, recruiter, offer), "chart")

    assert chart.count("<polyline") == 4
    ours = re.search(r'data-label="Our offer \(v1\)" points="([^"]+)"', chart).group(1)
    assert len(ours.split()) == 5  # year 0 and the end of each of 4 years


def test_the_approvals_panel_says_who_must_approve_who_did_and_why(
    client, recruiter, approver, offer
):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )
    draft = section(page(client, recruiter, offer), "approvals")
    assert "Submitting it will ask:" in draft and "Compensation approvers" in draft
    submit_for_approval(offer, by=recruiter)
    client.force_login(approver)
    step(client, offer, "approve", **{"approve-comment": "Worth it for her."})

    panel = section(page(client, recruiter, offer), "approvals")

    assert "Compensation approvers" in panel and "Approved" in panel
    assert "equity 1,600,000.00 USD ≥ 1,000,000.00" in panel
    assert "decided by Ava Approver" in panel and "Worth it for her." in panel


def test_the_history_says_who_changed_what_and_when(client, recruiter, offer):
    update_draft(offer, changed(offer, base_salary=Decimal(450_000)), by=recruiter)
    submit_for_approval(offer, by=recruiter)

    history = section(page(client, recruiter, offer), "history")

    assert "Drafted version 1 (Draft)" in history
    assert "Annual base salary: 400,000.00 → 450,000.00" in history
    assert "Status: Draft → Approved" in history
    assert "Submitted by: — → Rita Recruiter" in history
    assert history.count('history-row"') == 3
    assert "Rita Recruiter" in history


# --- Who sees what, and which steps --------------------------------------------------------------


def test_a_user_without_view_compensation_sees_no_amount(
    client, hiring_manager, recruiter, approver, offer, application, helix
):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )
    compete(application, helix, recruiter)
    update_draft(offer, changed(offer, relocation=Decimal(25_000)), by=recruiter)
    submit_for_approval(offer, by=recruiter)
    client.force_login(approver)
    step(client, offer, "reject", **{"reject-comment": "Bring it down to 1,200,000."})

    html = page(client, hiring_manager, offer)

    # What they see: the offer, its status, dates, approvals, the fit and the history.
    assert "Offer v1 to Ada Lovelace" in html and "Draft" in html
    assert "Compensation approvers" in section(html, "approvals")
    assert "Rejected" in section(html, "approvals")
    assert "us <strong>87</strong> / 100" in section(html, "competition")
    assert "Amounts are shown only to people who may see compensation." in html
    assert "Relocation: hidden → hidden" in section(html, "history")
    # Not a figure anywhere: no amount, no chart, no band amounts, no reason, no comment.
    for figure in ("400,000", "800,000", "1,600,000", "1,200,000", "25,000", "3,200,000"):
        assert figure not in html
    assert not re.search(r"\d{1,3}(,\d{3})+", html)
    assert "<svg" not in html and "<polyline" not in html
    assert "Bring it down" not in html and "equity 1,600,000" not in html
    # Nor where it sits in the band, which says much of the pay (as on the application page).
    assert 'id="band"' not in html and "below band" not in html
    assert reverse("offers:letter", args=[offer.pk]) not in html
    assert reverse("offers:counter", args=[offer.pk]) not in html
    assert buttons(html) == set()  # a hiring manager here takes no step
    client.force_login(hiring_manager)
    assert client.get(reverse("offers:letter", args=[offer.pk])).status_code == 404


def test_the_actions_follow_the_status_and_the_user(client, recruiter, approver, offer):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )

    assert buttons(page(client, recruiter, offer)) == {"submit", "discard", "keep_open"}
    submit_for_approval(offer, by=recruiter)
    offer.refresh_from_db()
    drafter = page(client, recruiter, offer)
    approvers = page(client, approver, offer)

    # The drafter never decides; an approver decides, and takes no recruiter's step.
    assert buttons(drafter) == {"rescind", "revise", "keep_open"}
    assert "Revise terms" in drafter
    assert buttons(approvers) == {"approve", "reject"}
    assert 'name="reject-comment"' in approvers and 'name="approve-comment"' in approvers
    # Approved and sent: send, then accept or decline.
    client.force_login(approver)
    step(client, offer, "approve")
    assert buttons(page(client, recruiter, offer)) == {"send", "rescind", "revise", "keep_open"}
    assert buttons(page(client, approver, offer)) == set()
    client.force_login(recruiter)
    step(client, offer, "send")
    assert buttons(page(client, recruiter, offer)) == {
        "accept",
        "decline",
        "rescind",
        "revise",
        "resend_link",
        "revoke_link",
        "extend",
        "keep_open",
    }


def test_an_approver_who_drafted_the_offer_sees_no_approve_button(client, approver, offer):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )
    approver.groups.add(Group.objects.get(name="Recruiters"))
    mine = OfferFactory.create(
        drafted_by=approver, equity=[EquityTerms(Decimal(2_000_000), EVEN_4_YEARS)]
    )
    submit_for_approval(mine, by=approver)

    html = page(client, approver, mine)
    assert "approve" not in buttons(html) and "reject" not in buttons(html)

    # A crafted POST is refused by the service, with its reason, and changes nothing.
    refused = step(client, mine, "approve")
    assert refused.status_code == 200
    assert "Whoever drafted an offer cannot approve or reject it." in refused.content.decode()
    mine.refresh_from_db()
    assert mine.status == Offer.Status.PENDING_APPROVAL


def test_an_outsider_gets_404_everywhere(client, outsider, offer):
    client.force_login(outsider)
    urls = [
        reverse("offers:detail", args=[offer.pk]),
        reverse("offers:compare", args=[offer.pk, offer.pk]),
        reverse("offers:letter", args=[offer.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(reverse("offers:step", args=[offer.pk, "submit"])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT


def test_signed_out_the_page_asks_to_sign_in(client, offer):
    response = client.get(reverse("offers:detail", args=[offer.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# --- The steps -----------------------------------------------------------------------------------


def test_each_step_moves_the_offer_on_submit_approve_send_accept(
    client, recruiter, approver, offer
):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )

    client.force_login(recruiter)
    submitted = step(client, offer, "submit")
    assert "Submitted for approval by: Compensation approvers." in submitted.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING_APPROVAL

    client.force_login(approver)
    approved = step(client, offer, "approve", **{"approve-comment": "Fine by us."})
    assert "Approved. The offer can now be sent." in approved.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.APPROVED and offer.last_comment == "Fine by us."

    client.force_login(recruiter)
    sent = step(client, offer, "send")
    assert "Sent: " in sent.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SENT

    accepted = step(client, offer, "accept")
    assert accepted.redirect_chain == [(reverse("offers:detail", args=[offer.pk]), 302)]
    assert "Acceptance recorded." in accepted.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED and offer.closed_by == recruiter
    assert buttons(accepted.content.decode()) == set()


def test_a_refused_step_is_a_message_not_an_error_page(client, recruiter, offer):
    client.force_login(recruiter)

    accepted = step(client, offer, "accept")  # a draft cannot be accepted: a crafted POST

    assert accepted.status_code == 200
    assert "An offer that is draft cannot be accepted." in accepted.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT
    assert client.post(reverse("offers:step", args=[offer.pk, "explode"])).status_code == 404
    assert client.get(reverse("offers:step", args=[offer.pk, "submit"])).status_code == 405


def test_a_user_who_may_not_change_offers_takes_no_step(client, hiring_manager, offer):
    client.force_login(hiring_manager)

    response = step(client, offer, "submit")

    assert "You may not take the step “Submit for approval”" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT


def test_a_rejection_needs_a_comment_shown_on_its_field(client, recruiter, approver, offer):
    ApprovalRuleFactory.create(
        name="Equity", condition="equity_at_or_above", amount=Decimal(1_000_000)
    )
    submit_for_approval(offer, by=recruiter)
    client.force_login(approver)

    empty = step(client, offer, "reject", **{"reject-comment": "  "})

    html = empty.content.decode()
    assert empty.status_code == 200
    form = re.search(r'<form [^>]*id="reject-form".*?</form>', html, re.S).group(0)
    assert "Say why the offer is rejected; the recruiter reads it." in form
    assert "is-invalid" in form
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING_APPROVAL

    rejected = step(client, offer, "reject", **{"reject-comment": "Equity too high."})
    assert "Rejected. The offer is a draft again" in rejected.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DRAFT and offer.last_comment == "Equity too high."


def test_revising_leads_to_the_new_version(client, recruiter, offer):
    submit_for_approval(offer, by=recruiter)  # no rule: approved at once
    client.force_login(recruiter)

    revised = step(client, offer, "revise")

    new = Offer.objects.get(application=offer.application, version=2)
    assert revised.redirect_chain == [(reverse("offers:detail", args=[new.pk]), 302)]
    html = revised.content.decode()
    assert "Version 2 is a new draft with the same terms: edit it." in html
    assert "Offer v2 to Ada Lovelace" in html
    assert reverse("offers:compare", args=[new.pk, offer.pk]) in section(html, "versions")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SUPERSEDED


# --- Two versions -------------------------------------------------------------------------------


def test_two_versions_side_by_side_with_the_differences_highlighted(client, recruiter, offer):
    submit_for_approval(offer, by=recruiter)
    new = revise_offer(offer, by=recruiter, terms=changed(offer, base_salary=Decimal(450_000)))
    client.force_login(recruiter)

    response = client.get(reverse("offers:compare", args=[new.pk, offer.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    base = re.search(
        r'<tr class="table-warning differs">\s*<th[^>]*>Base salary.*?</tr>', html, re.S
    )
    assert base, "the base salary row is highlighted"
    cells = re.findall(r"[\d,]+\.\d\d", base.group(0))
    assert cells == ["400,000.00", "450,000.00", "50,000.00"]
    year_one = re.search(r"<th[^>]*>Year 1.*?</tr>", html, re.S).group(0)
    assert "800,000.00" in year_one and "850,000.00" in year_one
    assert "Version 1" in html and "Version 2" in html
    equity = re.search(r"<tr[^>]*>\s*<th[^>]*>Equity grant 1: vesting.*?</tr>", html, re.S)
    assert "differs" not in equity.group(0)  # same schedule: not highlighted


def test_without_view_compensation_two_versions_differ_in_everything_but_amounts(
    client, recruiter, hiring_manager, offer
):
    submit_for_approval(offer, by=recruiter)
    new = revise_offer(offer, by=recruiter, terms=changed(offer, base_salary=Decimal(450_000)))
    client.force_login(hiring_manager)

    html = client.get(reverse("offers:compare", args=[offer.pk, new.pk])).content.decode()

    assert "Amounts are shown only to people who may see compensation." in html
    assert "Equity grant 1: vesting" in html and "25% / 25% / 25% / 25%" in html
    assert "Superseded" in html and "Draft" in html
    assert not re.search(r"\d{1,3}(,\d{3})+", html)  # no figure at all


def test_versions_of_two_applications_are_not_compared(client, recruiter, offer):
    other = OfferFactory.create(drafted_by=recruiter)
    client.force_login(recruiter)

    response = client.get(reverse("offers:compare", args=[offer.pk, other.pk]))

    assert response.status_code == 404


# --- Staying fast --------------------------------------------------------------------------------


def busy_offer(recruiter, n: int) -> Offer:
    """An offer with `n` competing offers, `n` approvals and `n` changes after its draft."""
    application = ApplicationFactory.create(
        candidate=CandidateFactory.create(owner=recruiter, motivator_publishing=5),
        role=RoleFactory.create(rating_publishing=4),
    )
    offer = OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        equity=[EquityTerms(Decimal(1_600_000), EVEN_4_YEARS)],
        signing_payments=[(0, Decimal(100_000))],
    )
    for i in range(n):
        compete(application, CompanyFactory.create(rating_publishing=3), recruiter)
        group = Group.objects.create(name=f"Approvers {n}-{i}")
        Approval.objects.create(offer=offer, group=group, reason="a test", comment="fine")
        update_draft(offer, changed(offer, base_salary=Decimal(400_000 + i)), by=recruiter)
    return offer


def test_the_page_reads_as_many_rows_in_as_many_queries(client, recruiter):
    counts = []
    for n in (1, 5):
        offer = busy_offer(recruiter, n)
        page(client, recruiter, offer)  # the session and permission caches settle
        with CaptureQueriesContext(connection) as queries:
            html = page(client, recruiter, offer)
        assert section(html, "chart").count("<polyline") == n + 1
        assert section(html, "approvals").count("list-group-item") == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 40, counts


def test_the_page_at_phone_width_scrolls_its_tables_not_the_page(client, recruiter, offer):
    html = page(client, recruiter, offer)

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    years = section(html, "compensation")
    assert years.index('class="table-responsive"') < years.index('id="years-table"')
    assert 'class="w-100 h-auto"' in section(html, "chart")  # the chart scales to the width
    # Below the xl breakpoint the columns stack: every card is full width on a phone.
    assert 'class="col-12 col-xl-8"' in html and 'class="col-12 col-xl-4"' in html
