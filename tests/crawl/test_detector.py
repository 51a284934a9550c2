"""The crawl's detector: what it reads on a page, and what it takes for an amount."""

from __future__ import annotations

import pytest

from .crawler import Allowed, amount_pattern, amounts_in, csv_text, read_html

PATTERN = amount_pattern(["USD", "EUR", "GBP", "CHF", "CAD"])


@pytest.mark.parametrize(
    "text",
    [
        "ahead by 1,960,000 USD",
        "a $250,000 signing bonus",
        "€1.2M over four years",
        "$ 1.5M",
        "USD 250000 base",
        "250k EUR",
        "14,167,650.54",
        "pays 12.5% more",
        "at 84 % of the band",
        "142.5 CHF a share",
    ],
)
def test_an_amount_is_found(text):
    assert amounts_in(text, PATTERN, "/", ())


@pytest.mark.parametrize(
    "text",
    [
        "Nov. 1, 2025 | USD",  # a date in one cell, a currency in the next
        "7 Dec 2026 04:34",
        "3 of 51 applications",
        "Offer v2 #1234",
        "2026-06-01",
        "10:00 UTC",
    ],
)
def test_what_is_not_pay_is_not_an_amount(text):
    assert not amounts_in(text, PATTERN, "/", ())


def test_an_allowed_amount_is_allowed_only_on_its_pages_and_in_its_words():
    allowed = [Allowed(r"^/admin/outreach/", r"reply rate \d+(?:\.\d+)?%", "a rate")]

    assert not amounts_in("reply rate 40.0%", PATTERN, "/admin/outreach/sequence/", allowed)
    assert amounts_in("reply rate 40.0%", PATTERN, "/offers/1/", allowed)
    assert amounts_in("ahead by 40.0%", PATTERN, "/admin/outreach/sequence/", allowed)


def test_a_csv_is_read_cell_by_cell():
    text = csv_text(b'Stage,Reached,Rate\r\nScreen,3,100.0\r\n"Ada, offer","1,960,000",\r\n')

    assert text == "Stage | Reached | Rate\nScreen | 3 | 100.0\nAda, offer | 1,960,000 | "
    assert [found.split(" in ")[0] for found in amounts_in(text, PATTERN, "/", ())] == [
        "'1,960,000'"
    ]


def test_a_page_is_read_as_shown_with_its_values_and_links():
    page = read_html(
        """<title>Offer</title><style>.w{width:50%}</style><script>let x = "$9,999";</script>
        <p>Base <b>1,200,000</b> USD</p><input name="base" value="300,000">
        <input type="hidden" name="csrfmiddlewaretoken" value="12,345">
        <span title="up 12%">↑</span><a href="/offers/1/">open</a><div hx-get="/x/"></div>"""
    )

    found = [a.split(" in ")[0] for a in amounts_in(page.text, PATTERN, "/", ())]
    assert found == ["'1,200,000'", "'300,000'", "'12%'"]
    assert page.links == ["/offers/1/", "/x/"]
