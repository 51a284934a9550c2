"""The competing-offer form (recording what a competitor offers, refusing our own company and a
past deadline on their fields, changing one) and the counter-offer page (the suggestion, its
settings, and the draft its button makes)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.counter import suggest_counter_offer
from offers.demo import build_market
from offers.models import Approval, CompetingOffer, EquityGrant, Offer, OfferPayment
from offers.services import send_offer, submit_for_approval
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    approver_group,
)
from tests.web.offer_form.helpers import (
    BLANK,
    MINUTES,
    error_on,
    grant,
    payment,
    rows,
    year_values,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def application(recruiter, hiring_manager):
    """Ada, for a senior research scientist role in Silicon Valley (total band $900k–$2M)."""
    role = RoleFactory(
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )
    return ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter), role=role
    )


@pytest.fixture
def helix():
    return CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)


@pytest.fixture
def closer_labs():
    return CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)


def competing_data(competitor, *, payments=(), equity=(), other=(), initial=None, **fields):
    """What the competing-offer form sends: a $450k base from `competitor`, answer due in five
    days, and each formset's rows followed by the blank row the page shows."""
    data = {
        "competitor": str(competitor.pk),
        "deadline": (timezone.now() + timedelta(days=5)).strftime(MINUTES),
        "confidence": "written",
        "source": "The candidate",
        "notes": "Told us on a call.",
        "currency": "USD",
        "base_salary": "450000",
        "target_bonus_percent": "0",
        "relocation": "0",
        "signing_clawback_months": "0",
        "retention_clawback_months": "0",
        **{name: str(value) for name, value in fields.items()},
    }
    initial = initial or {}
    for prefix, typed in (("payments", payments), ("equity", equity), ("other", other)):
        data |= rows(prefix, [*typed, BLANK[prefix]], initial=initial.get(prefix, 0))
    return data


def flashed(page) -> list[str]:
    return [str(m) for m in get_messages(page.wsgi_request)]


# --- Recording a competing offer -----------------------------------------------------------------


def test_the_form_lists_competitors_but_not_our_own_company(
    recruiter_client, application, helix, closer_labs, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = recruiter_client.get(reverse("offers:competing_new", args=[application.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{helix.pk}">Helix Intelligence</option>' in content
    assert "Closer Labs" not in content
    for name in (
        "deadline",
        "confidence",
        "source",
        "notes",
        "payments-0-amount",
        "equity-0-years-0-percentage",
        "equity-0-years-3-percentage",
    ):
        assert f'name="{name}"' in content


def test_recording_a_competing_offer_saves_it_with_its_rows_and_leads_back_to_the_application(
    recruiter_client, recruiter, application, helix
):
    data = competing_data(
        helix,
        payments=[payment(month=0, amount=200_000)],
        equity=[grant(value=2_000_000)],
        other=[{"name": "Housing", "amount": 30_000, "year": 1}],
    )

    page = recruiter_client.post(reverse("offers:competing_new", args=[application.pk]), data)

    competing = CompetingOffer.objects.get()
    assert page["Location"] == reverse("web:application", args=[application.pk])
    assert (competing.candidate, competing.application, competing.competitor) == (
        application.candidate,
        application,
        helix,
    )
    assert (competing.confidence, competing.source, competing.recorded_by) == (
        "written",
        "The candidate",
        recruiter,
    )
    assert competing.base_salary == Decimal(450_000)
    assert [(p.kind, p.month, p.amount) for p in competing.payments.all()] == [
        ("signing", 0, Decimal(200_000))
    ]
    assert [
        (g.value, [y.percentage for y in g.vesting_years.all()]) for g in EquityGrant.objects.all()
    ] == [(Decimal(2_000_000), [25, 25, 25, 25])]
    assert [(o.name, o.amount) for o in competing.other_amounts.all()] == [("Housing", 30_000)]
    # We have offered nothing yet: the competitor is ahead, and the team is told.
    assert competing.ahead
    assert flashed(page) == [
        "Helix Intelligence's offer to Ada Lovelace recorded. It is ahead of our latest offer: "
        "the team is alerted."
    ]


def test_our_own_company_is_refused_on_the_competitor_field(
    recruiter_client, application, closer_labs
):
    page = recruiter_client.post(
        reverse("offers:competing_new", args=[application.pk]),
        competing_data(closer_labs, base_salary="512345"),
    )

    content = page.content.decode()
    assert error_on(content, "id_competitor") == (
        "Closer Labs is our own company, not a competitor."
    )
    assert 'value="512345"' in content and "Told us on a call." in content
    assert not CompetingOffer.objects.exists()


def test_a_past_deadline_is_refused_on_the_deadline_field(recruiter_client, application, helix):
    page = recruiter_client.post(
        reverse("offers:competing_new", args=[application.pk]),
        competing_data(helix, deadline="2024-05-01T17:00", payments=[payment(amount=75_000)]),
    )

    content = page.content.decode()
    assert error_on(content, "id_deadline") == "The decision deadline must be in the future."
    assert 'value="2024-05-01T17:00"' in content and 'value="75000"' in content
    assert not CompetingOffer.objects.exists() and not OfferPayment.objects.exists()


def test_a_bad_row_is_refused_on_its_field(recruiter_client, application, helix):
    page = recruiter_client.post(
        reverse("offers:competing_new", args=[application.pk]),
        competing_data(helix, equity=[grant(vesting=[50, 60])]),
    )

    assert error_on(page.content.decode(), "equity-0-years") == (
        "The yearly vesting percentages add up to 110%, not 100%."
    )
    assert not CompetingOffer.objects.exists()


# --- Changing one ----------------------------------------------------------------------------


def test_changing_a_competing_offer_keeps_a_deadline_left_as_shown(
    recruiter_client, recruiter, application, helix
):
    deadline = timezone.now() + timedelta(days=2, seconds=37)
    competing = record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(450_000),
            equity=[EquityTerms(Decimal(1_000_000), [Decimal(25)] * 4)],
            deadline=deadline,
        ),
        by=recruiter,
    )
    # The deadline passes while the page is open: left as shown, it is not checked again.
    later = timezone.now() - timedelta(hours=1)
    CompetingOffer.objects.filter(pk=competing.pk).update(deadline=later)
    competing.refresh_from_db()
    page = recruiter_client.get(reverse("offers:competing_edit", args=[competing.pk]))
    content = page.content.decode()
    shown = timezone.localtime(later).strftime(MINUTES)
    assert f'value="{shown}"' in content and 'value="1000000.00"' in content

    data = competing_data(
        helix,
        deadline=shown,
        base_salary=480_000,
        equity=[grant(value=1_200_000)],
        initial={"equity": 1},
    )
    page = recruiter_client.post(reverse("offers:competing_edit", args=[competing.pk]), data)

    competing.refresh_from_db()
    assert page["Location"] == reverse("web:application", args=[application.pk])
    assert competing.deadline == later  # to the microsecond, not cut to the minute
    assert competing.base_salary == Decimal(480_000)
    assert [g.value for g in competing.equity_grants.all()] == [Decimal(1_200_000)]
    # A moved deadline is checked.
    data["deadline"] = (timezone.now() - timedelta(days=1)).strftime(MINUTES)
    page = recruiter_client.post(reverse("offers:competing_edit", args=[competing.pk]), data)
    assert error_on(page.content.decode(), "id_deadline") == (
        "The decision deadline must be in the future."
    )


def test_a_competing_offer_s_grant_years_are_rows_shown_changed_and_added(
    recruiter_client, recruiter, application, helix
):
    competing = record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(450_000),
            equity=[EquityTerms(Decimal(1_000_000), [Decimal(50), Decimal(50)])],
            deadline=timezone.now() + timedelta(days=2),
        ),
        by=recruiter,
    )
    url = reverse("offers:competing_edit", args=[competing.pk])

    assert year_values(recruiter_client.get(url).content.decode(), "equity-0") == ["50.00"] * 2
    added = recruiter_client.get(
        url, {"add_row": "equity-0-years", "index": "2"}, headers={"HX-Request": "true"}
    )
    assert 'name="equity-0-years-2-percentage"' in added.content.decode()

    data = competing_data(
        helix,
        deadline=(timezone.now() + timedelta(days=2)).strftime(MINUTES),
        equity=[grant(value=1_000_000, vesting=[40, 30, 30])],
        initial={"equity": 1},
    )
    page = recruiter_client.post(url, data)

    assert page.status_code == 302
    assert [y.percentage for y in competing.equity_grants.get().vesting_years.all()] == [40, 30, 30]


# --- Who may --------------------------------------------------------------------------------


def test_an_outsider_and_a_hiring_manager_who_may_not_draft_get_404(
    client, outsider, hiring_manager, recruiter, application, helix
):
    competing = record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            deadline=timezone.now() + timedelta(days=3),
        ),
        by=recruiter,
    )
    offer = OfferFactory(application=application, drafted_by=recruiter)

    client.force_login(outsider)
    assert client.get(reverse("offers:competing_new", args=[application.pk])).status_code == 404
    assert (
        client.post(
            reverse("offers:competing_new", args=[application.pk]), competing_data(helix)
        ).status_code
        == 404
    )
    assert client.get(reverse("offers:competing_edit", args=[competing.pk])).status_code == 404
    assert client.get(reverse("offers:counter", args=[offer.pk])).status_code == 404
    assert client.post(reverse("offers:counter", args=[offer.pk])).status_code == 404

    client.force_login(hiring_manager)  # sees the application, but no pay
    assert client.get(reverse("offers:competing_new", args=[application.pk])).status_code == 404
    assert client.get(reverse("offers:competing_edit", args=[competing.pk])).status_code == 404
    assert client.get(reverse("offers:counter", args=[offer.pk])).status_code == 404
    assert CompetingOffer.objects.count() == 1 and Offer.objects.count() == 1


# --- The counter-offer page ----------------------------------------------------------------------


@pytest.fixture
def sent_offer(recruiter, application):
    """Our offer, sent: a $400k base."""
    offer = OfferFactory(
        application=application, drafted_by=recruiter, base_salary=Decimal(400_000)
    )
    submit_for_approval(offer, by=recruiter)  # no rule applies: approved at once
    return send_offer(offer, by=recruiter)


@pytest.fixture
def helix_ahead(recruiter, application, helix):
    """Helix offers a $450k base."""
    return record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(450_000),
            deadline=timezone.now() + timedelta(days=4),
        ),
        by=recruiter,
    )


def test_the_counter_page_shows_the_suggestion(
    recruiter_client, sent_offer, helix_ahead, django_assert_max_num_queries
):
    with django_assert_max_num_queries(22):
        page = recruiter_client.get(reverse("offers:counter", args=[sent_offer.pk]))

    content = page.content.decode()
    suggestion = suggest_counter_offer(sent_offer)
    assert html.escape(suggestion.message) in content
    # Year one, 5% margin: 450,000 × 1.05 = 472,500; ours 400,000: 72,500 of signing bonus,
    # rounded up to the next thousand, on year one alone. Over four years that is 1,673,000
    # against their 1,800,000, more than 5% short: 5% over 1.8M is 1,890,000, a 290,000
    # signing bonus, with a year of clawback.
    assert "+73,000 USD signing bonus would do, but it would lose the four-year total" in (
        html.unescape(content)
    )
    assert "<span>Signing bonus</span><span>+290,000 USD</span>" in content
    assert '<span id="beats">yes</span>' in content
    assert "proposed clawback 12 months, pro rata by month" in content
    # The whole deal: years one to four of ours, the suggestion and theirs.
    assert content.count('class="table table-sm small align-middle mb-1 deal-table"') == 1
    assert "The suggestion: one-time" in content
    assert "None." in content  # no approval rule applies
    assert (
        "Version 1 is sent: a new draft, version 2, is made; version 1 stays with the candidate "
        "until the new one is sent." in content
    )
    assert "Create draft from suggestion</button>" in content


def test_the_counter_page_says_how_a_rival_in_euros_was_converted(
    recruiter_client, recruiter, application, helix, sent_offer
):
    # Helix offers €423,500: $500,000 at the market's 0.847 EUR per USD of 1 Nov 2025.
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="EUR",
            base_salary=Decimal(423_500),
            deadline=timezone.now() + timedelta(days=4),
        ),
        by=recruiter,
    )

    page = recruiter_client.get(reverse("offers:counter", args=[sent_offer.pk]))

    assert "Converted to USD at 1.180638 USD per EUR, the rate of 1 Nov 2025." in (
        page.content.decode()
    )


def test_the_counter_settings_change_the_suggestion(recruiter_client, sent_offer, helix_ahead):
    page = recruiter_client.get(
        reverse("offers:counter", args=[sent_offer.pk]),
        {"measure": "annual_average", "margin_percent": "10"},
    )

    content = page.content.decode()
    # Annual average, 10%: 450,000 × 1.10 = 495,000; ours 400,000 over one year: 95,000.
    assert "<span>Signing bonus</span><span>+95,000 USD</span>" in content
    assert "on annual average" in content
    assert '<input type="hidden" name="margin_percent" value="10">' in content
    assert '<option value="annual_average" selected>' in content

    page = recruiter_client.get(
        reverse("offers:counter", args=[sent_offer.pk]),
        {"measure": "year_one", "margin_percent": "-3"},
    )
    assert "Fix the settings below to see a suggestion." in page.content.decode()


def test_create_draft_from_suggestion_makes_version_2(recruiter_client, sent_offer, helix_ahead):
    page = recruiter_client.post(
        reverse("offers:counter", args=[sent_offer.pk]),
        {"measure": "year_one", "margin_percent": "10"},
    )

    sent_offer.refresh_from_db()
    new = Offer.objects.get(version=2)
    assert page["Location"] == reverse("offers:detail", args=[new.pk])
    assert sent_offer.status == "sent" and new.revises == sent_offer  # until v2 is sent
    # 450,000 × 1.10 = 495,000; ours 400,000: 95,000 of signing bonus at the start.
    assert [(p.kind, p.month, p.amount) for p in new.payments.all()] == [
        ("signing", 0, Decimal(95_000))
    ]
    assert flashed(page) == ["Drafted version 2 from the suggestion."]


def test_after_a_counter_offer_the_pages_agree_on_who_is_ahead_of_which_version(
    recruiter_client, sent_offer, helix_ahead
):
    """Once the application page said Helix was "ahead" while version 2's page said they paid
    less: both now say of which version, from the standing kept on the competing offer."""
    recruiter_client.post(
        reverse("offers:counter", args=[sent_offer.pk]),
        {"measure": "year_one", "margin_percent": "10"},
    )
    new = Offer.objects.get(version=2)

    application = recruiter_client.get(
        reverse("web:application", args=[sent_offer.application_id])
    ).content.decode()
    draft_page = recruiter_client.get(reverse("offers:detail", args=[new.pk])).content.decode()
    held_page = recruiter_client.get(
        reverse("offers:detail", args=[sent_offer.pk])
    ).content.decode()

    against = re.search(
        r'<span class="small text-body-secondary against">(.*?)</span>', application, re.S
    )
    assert (
        re.sub(r"<[^>]+>", "", against.group(1)).split()
        == "of v1 (sent); v2 being prepared".split()
    )
    assert '<span class="badge text-bg-danger">ahead</span>' in application
    assert "pays less than this version" in draft_page  # version 2 beats them
    held = re.search(r'<p class="small mb-1 rival-held">(.*?)</p>', draft_page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", held) == (
        "Against version 1 (sent), the offer Ada Lovelace holds: Helix Intelligence is ahead."
    )
    assert "pays more than this version" in held_page
    assert "Version 2</a> is being prepared (draft); this one stands until it is sent." in held_page


def test_with_nothing_to_beat_the_page_says_so_and_offers_no_button(recruiter_client, sent_offer):
    page = recruiter_client.get(reverse("offers:counter", args=[sent_offer.pk]))

    content = page.content.decode()
    assert "There is no competing offer with a deadline ahead to beat." in content
    assert "Create draft from suggestion" not in content
    page = recruiter_client.post(reverse("offers:counter", args=[sent_offer.pk]), {})
    assert page.status_code == 200 and Offer.objects.count() == 1


def test_an_approver_sees_the_suggestion_but_cannot_draft_from_it(
    client, approver, sent_offer, helix_ahead
):
    client.force_login(approver)
    # An approver sees an offer only while it waits for them; give them one to decide.
    Offer.objects.filter(pk=sent_offer.pk).update(status="pending_approval")
    Approval.objects.create(offer=sent_offer, group=approver_group(), reason="test")

    page = client.get(reverse("offers:counter", args=[sent_offer.pk]))
    assert page.status_code == 200
    assert "Create draft from suggestion" not in page.content.decode()
    assert (
        client.post(
            reverse("offers:counter", args=[sent_offer.pk]),
            {"measure": "year_one", "margin_percent": "5"},
        ).status_code
        == 404
    )


def test_when_nothing_fits_in_the_band_allowing_above_it_offers_the_draft(
    recruiter_client, recruiter, application, helix
):
    million = Decimal(1_000_000)
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=2 * million,
        equity=[EquityTerms(32 * million, [Decimal(25)] * 4)],
    )
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            signing_payments=[(month, Decimal(37_500_000)) for month in (0, 12, 24, 36)],
            deadline=timezone.now() + timedelta(days=4),
        ),
        by=recruiter,
    )

    page = recruiter_client.get(reverse("offers:counter", args=[offer.pk]))
    content = page.content.decode()
    # Our $10M a year is far above the band's $2M max total: nothing more fits in it.
    assert "Allow going above the band to beat it." in content
    assert "Create draft from suggestion" not in content

    page = recruiter_client.get(
        reverse("offers:counter", args=[offer.pk]),
        {"measure": "year_one", "margin_percent": "5", "above_band": "on"},
    )
    content = page.content.decode()
    # Their year one is $37.5M; 5% more is $39,375,000; ours is $10M: $29,375,000 of signing
    # on year one alone, which loses four years ($69,375,000 against $150M); 5% over $150M is
    # $157.5M: $117,500,000.
    assert "<span>Signing bonus</span><span>+117,500,000 USD</span>" in content
    assert '<input type="hidden" name="above_band" value="on">' in content
    assert "Create draft from suggestion</button>" in content
