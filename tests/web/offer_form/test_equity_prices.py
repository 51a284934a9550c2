"""Equity typed as shares on the offer form: valued at our company's price on the basis the
recruiter picks, which the offer page and the letter then name with its date and source."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from candidates.models import Company
from offers.models import Offer, SharePrice
from tests.factories import CompanyFactory
from tests.web.offer_form.helpers import error_on, grant, offer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def series_c():
    ours = CompanyFactory.create(name="Closer Labs", kind=Company.Kind.OURS)
    return SharePrice.objects.create(
        company=ours,
        basis="preferred",
        price=Decimal("142.50"),
        currency_id="USD",
        as_of=timezone.localdate() - timedelta(days=5),
        source="Series C",
    )


def shares(count, **changes):
    return {**grant(value=""), "shares": count, **changes}


def test_shares_at_our_preferred_price_are_drafted_and_named_on_the_page_and_letter(
    recruiter_client, application, series_c
):
    # 40,000 shares at $142.50: $5,700,000, $1,425,000 a year over four years.
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="preferred", equity=[shares(40_000)]),
    )

    offer = Offer.objects.get()
    assert response.status_code == 302
    assert (offer.share_price, offer.equity_grants.get().value) == (
        Decimal("142.5000"),
        Decimal("5700000.00"),
    )
    page = recruiter_client.get(reverse("offers:detail", args=[offer.pk])).content.decode()
    when = f"{series_c.as_of:%-d %b %Y}"
    assert (
        f"142.50 USD a share: Last preferred price (private company) as of {when}, Series C" in page
    )
    letter = recruiter_client.get(reverse("offers:letter", args=[offer.pk]))
    text = " ".join(
        page.extract_text() for page in PdfReader(BytesIO(letter.content)).pages
    ).replace("\n", " ")
    assert "RSUs, 40,000 shares, worth 5,700,000.00" in text
    assert "The equity is valued at 142.50 USD a share" in text


def test_a_basis_with_no_price_shows_why_on_its_field_and_saves_nothing(
    recruiter_client, application, series_c
):
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="tender", equity=[shares(40_000)]),
    )

    assert response.status_code == 200
    message = error_on(response.content.decode(), "id_equity_basis")
    assert message.startswith("No last tender price (private company) of Closer Labs")
    assert not Offer.objects.exists()


def test_a_grant_on_a_price_basis_without_its_shares_is_refused_on_the_grants(
    recruiter_client, application, series_c
):
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="preferred", equity=[grant(value=1_000_000)]),
    )

    assert response.status_code == 200
    assert "Equity shares: Enter the number of shares granted." in response.content.decode()
    assert not Offer.objects.exists()


def test_the_live_preview_values_the_shares_at_the_price_as_the_offer_will_be(
    recruiter_client, application, series_c
):
    # 10,000 shares at $142.50 = $1,425,000: $356,250 a year of equity over four years.
    response = recruiter_client.post(
        reverse("offers:preview"),
        offer_data(application=application.pk, equity_basis="preferred", equity=[shares(10_000)]),
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "356,250" in html and "1,425,000" in html


def test_the_offer_page_and_the_letter_show_the_share_price_scenarios(
    recruiter_client, application, series_c
):
    # $400k base and 40,000 shares at $142.50 ($1,425,000 a year flat). By hand:
    # -30% a year: equity 1,425,000 / 997,500 / 698,250 / 488,775, so with the base the years
    #   are 1,825,000 / 1,397,500 / 1,098,250 / 888,775: 5,209,525 in all.
    # Flat: 7,300,000; the 25% liquidity discount on the preferred price takes 25% of the
    #   5,700,000 of equity, 1,425,000, leaving 5,875,000 (shown apart, never in the totals).
    # +50% a year: equity 1,425,000 / 2,137,500 / 3,206,250 / 4,809,375: 13,178,125 in all.
    recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="preferred", equity=[shares(40_000)]),
    )
    offer = Offer.objects.get()

    page = recruiter_client.get(reverse("offers:detail", args=[offer.pk])).content.decode()
    table = page[page.index('id="scenarios"') :]

    assert "If the share price moves (illustrative)" in table
    assert "25% on this price basis" in table
    for figure in ("1,397,500.00", "5,209,525.00", "7,300,000.00", "5,875,000.00", "13,178,125.00"):
        assert figure in table
    letter = recruiter_client.get(reverse("offers:letter", args=[offer.pk]))
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(letter.content)).pages)
    assert "Illustrative: if the share price moves" in text
    assert "not a promise of value" in text.replace("\n", " ")
    assert "13,178,125.00" in text


def test_equity_typed_as_amounts_shows_no_scenarios(recruiter_client, application):
    recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(equity=[grant()])
    )

    page = recruiter_client.get(reverse("offers:detail", args=[Offer.objects.get().pk]))

    assert 'id="scenarios"' not in page.content.decode()


def test_a_standard_schedule_is_one_choice_and_replaces_the_years_typed(
    recruiter_client, application
):
    # $1M on 5/15/40/40 every six months after a one-year cliff: $50,000, $150,000, $400,000
    # and $400,000 a year, whatever years the row still shows (25% each).
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(
            equity=[
                {
                    **grant(value=1_000_000),
                    "schedule": "5/15/40/40, 1-year cliff, then every 6 months",
                }
            ]
        ),
    )

    assert response.status_code == 302
    offer = Offer.objects.get()
    saved = offer.equity_grants.get()
    assert [y.percentage for y in saved.vesting_years.all()] == [5, 15, 40, 40]
    assert (saved.cliff_months, saved.frequency) == (12, "semi_annually")
    page = recruiter_client.get(reverse("offers:detail", args=[offer.pk])).content.decode()
    for amount in ("50,000.00", "150,000.00", "400,000.00"):
        assert amount in page


def test_the_offer_page_dates_the_rate_and_flags_one_older_than_a_week(
    recruiter_client, application
):
    from offers.models import ExchangeRate

    recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(currency="EUR")
    )
    offer = Offer.objects.get()
    url = reverse("offers:detail", args=[offer.pk])

    # The market's EUR rate is dated 1 Nov 2025: far older than 7 days.
    old = recruiter_client.get(url).content.decode()
    days = (timezone.localdate() - ExchangeRate.objects.get(quote="EUR").as_of).days
    assert f"the latest rate, of 1 Nov 2025 — {days} days old, older than 7 days" in old
    assert 'id="stale-rate"' in old

    ExchangeRate.objects.create(
        base_id="USD",
        quote_id="EUR",
        rate=Decimal("0.85"),
        as_of=timezone.localdate() - timedelta(days=2),
    )
    fresh = recruiter_client.get(url).content.decode()
    assert f"the latest rate, of {timezone.localdate() - timedelta(days=2):%-d %b %Y})" in fresh
    assert 'id="stale-rate"' not in fresh


def test_the_offer_page_compares_a_rivals_shares_with_ours_under_each_scenario(
    recruiter_client, recruiter, application, series_c
):
    # Ours: $400k base and 40,000 shares at our $142.50 preferred price ($1,425,000 a year,
    # less 25% for liquidity). Theirs: $500k base and 20,000 Helix shares at its $260 tender
    # price ($1,300,000 a year, less 10%). Over four years, after the discounts, by hand:
    #   flat:  ours 1,600,000 + 4,275,000 = 5,875,000; theirs 2,000,000 + 4,680,000 = 6,680,000
    #   -30%:  equity × 2.533 (1 + .7 + .49 + .343): ours 1,600,000 + 2,707,143.75 =
    #          4,307,143.75; theirs 2,000,000 + 2,963,610 = 4,963,610
    #   +50%:  equity × 8.125: ours 1,600,000 + 8,683,593.75 = 10,283,593.75;
    #          theirs 2,000,000 + 9,506,250 = 11,506,250
    from offers.competition import CompetingTerms, record_competing_offer
    from offers.terms import EquityTerms

    helix = CompanyFactory.create(name="Helix Intelligence")
    SharePrice.objects.create(
        company=helix,
        basis="tender",
        price=Decimal(260),
        currency_id="USD",
        as_of=timezone.localdate() - timedelta(days=3),
        source="Reported secondary sale",
    )
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            deadline=timezone.now() + timedelta(days=5),
            confidence="written",
            source="The candidate",
            base_salary=Decimal(500_000),
            equity_basis="tender",
            equity=[EquityTerms(None, [Decimal(25)] * 4, shares=Decimal(20_000))],
        ),
        by=recruiter,
    )
    recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="preferred", equity=[shares(40_000)]),
    )

    page = recruiter_client.get(
        reverse("offers:detail", args=[Offer.objects.get().pk])
    ).content.decode()
    table = page[page.index("rival-scenarios") :]

    for figure in (
        "5,875,000.00",
        "6,680,000.00",
        "+805,000.00",
        "4,307,143.75",
        "4,963,610.00",
        "+656,466.25",
        "10,283,593.75",
        "11,506,250.00",
        "+1,222,656.25",
    ):
        assert figure in table


def test_the_live_preview_says_the_rate_and_its_date(recruiter_client, application):
    response = recruiter_client.post(
        reverse("offers:preview"),
        offer_data(application=application.pk, currency="EUR"),
        headers={"HX-Request": "true"},
    )

    assert "at 1.180638 USD per EUR, the rate of 1 Nov 2025." in response.content.decode()


def test_options_keep_their_exercise_terms_which_the_letter_states(
    recruiter_client, application, series_c
):
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(
            equity_basis="preferred",
            equity=[
                shares(
                    10_000,
                    kind="options",
                    strike="40",
                    expiry_years="10",
                    exercise_window_months="3",
                )
            ],
        ),
    )

    assert response.status_code == 302
    offer = Offer.objects.get()
    grant = offer.equity_grants.get()
    # 10,000 options at a $40 strike on the $142.50 preferred price: $1,025,000 of spread.
    assert (grant.value, grant.expiry_years, grant.exercise_window_months) == (
        Decimal("1025000.00"),
        10,
        3,
    )
    letter = recruiter_client.get(reverse("offers:letter", args=[offer.pk]))
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(letter.content)).pages)
    text = " ".join(text.split())
    assert (
        "10,000 options at a 40.00 USD strike (expiring 10 years after the grant, "
        "exercisable for 3 months after leaving)" in text
    )


def test_exercise_terms_on_shares_that_are_not_options_are_refused(
    recruiter_client, application, series_c
):
    response = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]),
        offer_data(equity_basis="preferred", equity=[shares(10_000, exercise_window_months="3")]),
    )

    assert response.status_code == 200
    assert "Only options have an exercise window." in response.content.decode()
    assert not Offer.objects.exists()
