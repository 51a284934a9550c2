"""Rows on the offer form: adding a component row or a grant's year with htmx or without
JavaScript, a grant's years saved, removed, refused when they do not add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from offers.models import EquityGrant, Offer
from offers.terms import EquityTerms
from tests.factories import OfferFactory
from tests.web.offer_form.helpers import error_on, grant, offer_data, payment, year_values

pytestmark = pytest.mark.django_db


# --- Adding a row -------------------------------------------------------------------------------


def test_htmx_adds_an_empty_row_with_the_next_count_and_button(recruiter_client, application):
    page = recruiter_client.get(
        reverse("offers:draft", args=[application.pk]),
        {"add_row": "equity", "index": "2"},
        headers={"HX-Request": "true"},
    )

    html = page.content.decode()
    assert 'id="equity-2-row"' in html and 'name="equity-2-value"' in html
    assert year_values(html, "equity-2") == ["25"] * 4
    assert (
        '<input type="hidden" name="equity-TOTAL_FORMS" value="3" id="id_equity-TOTAL_FORMS" '
        'hx-swap-oob="true">' in html
    )
    assert "add_row=equity&amp;index=3" in html and 'hx-swap-oob="true">Add a grant' in html
    assert 'name="equity-2-DELETE"' not in html  # a new row is left blank, not removed


def test_without_javascript_adding_a_row_reposts_the_form_with_one_more_and_saves_nothing(
    recruiter_client, application
):
    data = offer_data(payments=[payment(amount=80_000)]) | {"add_row": "payments"}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="payments-2-amount"' in html  # the typed row, the blank row, one more
    assert 'value="80000"' in html
    assert not Offer.objects.exists()


# --- A grant's years ----------------------------------------------------------------------------


def test_a_grant_vesting_over_three_years_saves_those_three_years(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[40, 30, 30])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    grant_row = EquityGrant.objects.get()
    assert [(y.year, y.percentage) for y in grant_row.vesting_years.all()] == [
        (1, 40),
        (2, 30),
        (3, 30),
    ]


def test_a_year_ticked_for_removal_is_left_out(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[40, 30, 30, 25])])
    data["equity-0-years-3-DELETE"] = "on"

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [y.percentage for y in EquityGrant.objects.get().vesting_years.all()] == [40, 30, 30]


def test_years_not_adding_up_are_refused_on_that_grant_and_nothing_is_saved(
    recruiter_client, application
):
    data = offer_data(equity=[grant(value=500_000), grant(vesting=[40, 30, 20])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    message = "The yearly vesting percentages add up to 90%, not 100%."
    assert error_on(html, "equity-1-years") == message
    first = html[html.index('id="equity-0-row"') : html.index('id="equity-1-row"')]
    second = html[html.index('id="equity-1-row"') : html.index('id="equity-2-row"')]
    assert message in second and message not in first
    assert year_values(html, "equity-1") == ["40", "30", "20"]  # as typed
    assert "Equity grants, row 2, vesting per year (%): " + message in html
    assert "Nothing was saved: 1 thing to fix below." in html
    assert not Offer.objects.exists() and not EquityGrant.objects.exists()


def test_a_year_beyond_100_percent_is_refused_on_that_year(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[150, -50])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert error_on(html, "id_equity-0-years-0-percentage") == "A year vests at most 100%."
    assert error_on(html, "id_equity-0-years-1-percentage") == (
        "A year cannot vest a negative percentage."
    )
    assert "Equity grants, row 1, year 1: A year vests at most 100%." in html
    assert not Offer.objects.exists()


def test_editing_an_offer_shows_each_grant_s_years_as_rows(
    recruiter_client, recruiter, application
):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        equity=[
            EquityTerms(Decimal(800_000), [Decimal(40), Decimal(30), Decimal(30)]),
            EquityTerms(Decimal(100_000), [Decimal(50), Decimal(50)]),
        ],
    )

    html = recruiter_client.get(reverse("offers:edit", args=[offer.pk])).content.decode()

    assert year_values(html, "equity-0") == ["40.00", "30.00", "30.00"]
    assert year_values(html, "equity-1") == ["50.00", "50.00"]
    assert year_values(html, "equity-2") == ["25"] * 4  # the blank grant shown below
    first = html[html.index('id="equity-0-row"') : html.index('id="equity-1-row"')]
    assert "Year 3" in first and "Year 4" not in first


def test_htmx_adds_a_year_to_a_grant_with_the_next_count_and_button(recruiter_client, application):
    page = recruiter_client.get(
        reverse("offers:draft", args=[application.pk]),
        {"add_row": "equity-0-years", "index": "4"},
        headers={"HX-Request": "true"},
    )

    html = page.content.decode()
    assert html.count('class="year-row') == 1
    assert 'id="equity-0-years-4-row"' in html and 'name="equity-0-years-4-percentage"' in html
    assert "Year 5" in html
    assert (
        '<input type="hidden" name="equity-0-years-TOTAL_FORMS" value="5" '
        'id="id_equity-0-years-TOTAL_FORMS" hx-swap-oob="true">' in html
    )
    assert "add_row=equity-0-years&amp;index=5" in html and "Add a year" in html
    # A year of no grant, or past the longest schedule, is no page.
    for prefix, index in (("equity-x-years", "4"), ("equity-0-years", "50")):
        page = recruiter_client.get(
            reverse("offers:draft", args=[application.pk]), {"add_row": prefix, "index": index}
        )
        assert page.status_code == 404


def test_a_year_added_and_left_blank_is_ignored(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[25, 25, 25, 25])])
    data |= {"equity-0-years-TOTAL_FORMS": "5", "equity-0-years-4-percentage": ""}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [y.percentage for y in EquityGrant.objects.get().vesting_years.all()] == [25] * 4


def test_without_javascript_adding_a_year_reposts_the_form_with_one_more(
    recruiter_client, application
):
    data = offer_data(equity=[grant(vesting=[40, 30, 30])]) | {"add_row": "equity-0-years"}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert year_values(html, "equity-0") == ["40", "30", "30"]
    assert 'name="equity-0-years-3-percentage"' in html and "Year 4" in html
    assert not Offer.objects.exists()
