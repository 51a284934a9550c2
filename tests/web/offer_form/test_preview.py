"""The offer form's live preview: year-by-year totals, the band and the gap to competing
offers against hand-computed figures, euros in dollars too, bad input as a message;
nothing saved, POST only, bounded queries."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.competition import CompetingTerms, record_competing_offer
from offers.models import CompetingOffer, Offer, OfferPayment
from offers.terms import EquityTerms
from tests.factories import UNRATED, CompanyFactory, OfferFactory, UserFactory, unrated_currency
from tests.form_keys import key_of
from tests.web.offer_form.helpers import grant, offer_data, payment

pytestmark = pytest.mark.django_db


def cells(html: str, section: str, row: str) -> list[str]:
    """The amounts of a row (by its heading; the last cell is the total) of the table in the
    element with id `section`."""
    start = html.index(f'id="{section}"')
    table = html[start : html.index("</table>", start)]
    match = re.search(rf'<th scope="row"[^>]*>\s*{re.escape(row)}\s*</th>(.*?)</tr>', table, re.S)
    assert match, f"no row {row!r} in #{section}"
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


# --- The live preview ----------------------------------------------------------------------------


def preview(client, application, **typed):
    return client.post(
        reverse("offers:preview"),
        offer_data(application=application.pk, **typed),
        headers={"HX-Request": "true"},
    )


def test_the_preview_shows_the_year_by_year_totals_the_band_and_the_gap(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    helix = CompanyFactory(name="Helix Intelligence")
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(900_000),
            deadline=timezone.now() + timedelta(days=5),
        ),
        by=recruiter,
    )
    # $400k base, a 10% bonus ($40k a year), $100k signing at the start, $1M of RSUs over four
    # years (25% a year, a 1-year cliff, quarterly) and $20k relocation. By hand:
    #   year 1: 400,000 + 40,000 + 100,000 + 250,000 + 20,000 = 810,000
    #   years 2–4: 400,000 + 40,000 + 250,000 = 690,000
    #   total 810,000 + 3 × 690,000 = 2,880,000; annual average 720,000.
    typed = dict(
        target_bonus_percent=10,
        relocation=20_000,
        payments=[payment(month=0, amount=100_000)],
        equity=[grant(value=1_000_000)],
    )

    with django_assert_max_num_queries(16):
        page = preview(recruiter_client, application, **typed)

    html = page.content.decode()
    assert cells(html, "preview-years", "Base salary") == ["400,000"] * 4 + ["1,600,000"]
    assert cells(html, "preview-years", "Signing bonus") == ["100,000", "0", "0", "0", "100,000"]
    assert cells(html, "preview-years", "Equity") == ["250,000"] * 4 + ["1,000,000"]
    assert cells(html, "preview-years", "Total") == ["810,000"] + ["690,000"] * 3 + ["2,880,000"]
    assert "720,000 USD" in html  # the annual average
    assert 'id="preview-reporting"' not in html  # already in the reporting currency
    # The band: $720k a year is below $900k–$2M, 720/1,400 = 0.51 of the target; the base,
    # $400k, within $300k–$450k at 400/375 = 1.07.
    band = html[html.index('id="preview-band"') :]
    assert "Below the band</span>\n            0.51× target" in band
    assert "Within the band</span>\n            1.07× target" in band
    # Helix pays $900k a year: 90,000 more in year one (of our 810,000: 11.1%) and 180,000 more
    # on average (of 720,000: 25.0%).
    row = html[html.index(f'id="rival-{CompetingOffer.objects.get().pk}"') :]
    assert "They pay 90,000 USD more (11.1%)" in row
    assert "They pay 180,000 USD more (25.0%)" in row
    assert (
        not Offer.objects.exists() and not OfferPayment.objects.filter(offer__isnull=False).exists()
    )


def test_the_preview_shows_an_offer_in_euros_in_dollars_too(recruiter_client, application):
    page = preview(recruiter_client, application, currency="EUR", base_salary=400_000)

    html = page.content.decode()
    assert cells(html, "preview-years", "Base salary") == ["400,000", "400,000"]
    # 400,000 EUR at 0.847 EUR per USD: 400,000 / 0.847 = 472,255.0177 → 472,255.02 USD.
    assert cells(html, "preview-reporting", "Base salary") == ["472,255.02", "472,255.02"]


def test_the_preview_shows_bad_input_as_a_message_not_an_error_page(recruiter_client, application):
    page = preview(recruiter_client, application, equity=[grant(vesting=[30, 30, 30])])
    assert page.status_code == 200
    assert (
        "Equity grants, row 1, vesting per year (%): The yearly vesting percentages add up to "
        "90%, not 100%." in page.content.decode()
    )

    page = preview(recruiter_client, application, currency="XYZ", base_salary="abc")
    html = page.content.decode()
    assert "Currency: “XYZ” is not a currency Closer knows." in html
    assert "Annual base salary: Enter a number." in html

    # A date being typed does not stop the totals.
    page = preview(recruiter_client, application, expires_at="2026-13-", start_date="")
    assert 'id="preview-years"' in page.content.decode()

    # Nor does a currency with no rate make an error page.
    page = preview(recruiter_client, application, currency=unrated_currency())
    assert f"No {UNRATED}→USD exchange rate is known" in page.content.decode()
    assert not Offer.objects.exists()


def test_the_preview_of_an_offer_being_changed_leaves_it_as_it_is(
    recruiter_client, recruiter, application
):
    offer = OfferFactory(application=application, drafted_by=recruiter)

    page = preview(recruiter_client, application, offer=offer.pk, base_salary=500_000)

    offer.refresh_from_db()
    assert cells(page.content.decode(), "preview-years", "Base salary") == ["500,000", "500,000"]
    assert offer.base_salary == Decimal(400_000)


def test_the_preview_compares_with_many_competing_offers_in_a_bounded_number_of_queries(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    for n in range(6):
        record_competing_offer(
            application.candidate,
            CompetingTerms(
                competitor=CompanyFactory(),
                application=application,
                currency="EUR" if n % 2 else "USD",
                base_salary=Decimal(300_000 + 10_000 * n),
                signing_payments=[(0, Decimal(50_000))],
                equity=[EquityTerms(Decimal(400_000), [Decimal(25)] * 4)],
                other=[("Housing", Decimal(10_000), 1)],
                deadline=timezone.now() + timedelta(days=3 + n),
            ),
            by=UserFactory(),
        )

    with django_assert_max_num_queries(16):
        page = preview(recruiter_client, application)

    assert page.content.decode().count('id="rival-') == 6


def test_the_preview_is_post_only(recruiter_client):
    assert recruiter_client.get(reverse("offers:preview")).status_code == 405


def test_the_preview_spends_no_form_key_and_the_offer_sent_after_it_is_saved_once(
    recruiter_client, application
):
    url = reverse("offers:draft", args=[application.pk])
    key = key_of(recruiter_client.get(url).content.decode(), "offer-form")
    data = offer_data(application=application.pk, form_key=key)

    # htmx posts the whole form, its one-time key included, as the recruiter types.
    previews = [
        recruiter_client.post(reverse("offers:preview"), data, headers={"HX-Request": "true"})
        for _ in range(2)
    ]
    saved = recruiter_client.post(url, data)
    repeat = recruiter_client.post(url, data)

    assert [preview.status_code for preview in previews] == [200, 200]
    assert saved.status_code == 302
    assert repeat.status_code == 303 and repeat["Location"] == saved["Location"]
    assert Offer.objects.filter(application=application).count() == 1
