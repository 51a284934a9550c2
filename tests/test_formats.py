"""Money reads one way per purpose: figures to the cent with their currency, prose to the unit
(once a list showed "3,270,366 USD" beside "4,155,844.16 USD")."""

from __future__ import annotations

from decimal import Decimal

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
