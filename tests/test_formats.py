"""Money reads one way per purpose: figures to the cent with their currency, prose to the unit
(once a list showed "3,270,366 USD" beside "4,155,844.16 USD")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recruiting.lib.formats import (
    money_in_sentence,
    money_in_table,
    signed_money,
    signed_money_in_sentence,
)


def test_a_figure_is_to_the_cent_and_prose_to_the_unit():
    assert money_in_table(Decimal("3270366"), "USD") == "3,270,366.00 USD"
    assert money_in_table(Decimal("4155844.16"), "USD") == "4,155,844.16 USD"
    assert money_in_sentence(Decimal("3270366"), "USD") == "3,270,366 USD"
    assert money_in_sentence(Decimal("4155844.16"), "USD") == "4,155,844 USD"
    assert money_in_sentence(Decimal("14167650.54"), "USD") == "14,167,651 USD"  # half up
    assert money_in_sentence(Decimal("0.49"), "EUR") == "0 EUR"


def test_differences_keep_their_sign():
    assert signed_money(Decimal("-250"), "USD") == "−250.00 USD"
    assert signed_money_in_sentence(Decimal("1960000.50"), "USD") == "+1,960,001 USD"
    assert signed_money_in_sentence(Decimal(0), "USD") == "0 USD"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Helix beats our offer by 1,960,000 USD", "Helix beats our offer by [amount hidden]"),
        ("signing bonus 14,167,650.54 USD", "signing bonus [amount hidden]"),
        ("By $1.2M in year one.", "By [amount hidden] in year one."),
        ("Meridian pays 55.4% more", "Meridian pays [amount hidden] more"),
        ("a base of 250000 GBP", "a base of [amount hidden]"),
        # Dates, times, versions and counts are not pay.
        ("expires on 07 Dec 2026 at 14:00 UTC, in 23 hours", None),
        ("Offer v2 to Ada, 3 approvals waiting", None),
    ],
)
def test_amounts_are_hidden_and_nothing_else(text, shown):
    from recruiting.lib.formats import hide_amounts

    assert hide_amounts(text) == (shown if shown is not None else text)
