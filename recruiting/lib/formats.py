"""How Closer writes amounts and percentages, named for where they appear. Every page, admin
list, letter and email formats through these, so the same amount reads the same everywhere.

Two formats of money, one per purpose:

- a figure (a table, a list of figures, a form, the letter, an approval's reason, a
  threshold): to the cent, with its currency unless a column head gives it;
- prose (a summary, an alert's subject and message, a suggestion): to the unit, always, so
  that two amounts in one sentence never read differently ("1,960,000 USD").
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal


def money_in_table(amount: Decimal, currency: str = "") -> str:
    """To the cent, as in a table, a form or a letter: '1,234,567.00 USD'."""
    return f"{amount:,.2f} {currency}".strip()


def money_in_sentence(amount: Decimal, currency: str) -> str:
    """To the unit, as in a summary or an alert: '1,960,000 USD' (14,167,650.54 reads
    '14,167,651 USD'; the figures to the cent are on the pages)."""
    return f"{amount.quantize(Decimal(1), ROUND_HALF_UP):,.0f} {currency}"


def signed_money(amount: Decimal, currency: str = "") -> str:
    """A difference to the cent, with its sign: '+1,000.00 USD', '−250.00 USD', '0.00 USD'."""
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return sign + money_in_table(abs(amount), currency)


def signed_money_in_sentence(amount: Decimal, currency: str) -> str:
    """A difference in a sentence, with its sign: '+1,960,000 USD', '−250,000 USD'."""
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return sign + money_in_sentence(abs(amount), currency)


def price_per_share(price: Decimal, currency: str = "") -> str:
    """A share price: to the cent, or to the 1/100 of a cent it was given in ('80.1234 USD')."""
    places = 4 if price != price.quantize(Decimal("0.01")) else 2
    return f"{price:,.{places}f} {currency}".strip()


def exchange_rate(rate: Decimal) -> str:
    """An exchange rate to six decimal places, without trailing zeros: '0.847'."""
    return f"{rate.quantize(Decimal('0.000001')).normalize():f}"


def percent(value: Decimal) -> str:
    """A percentage as it was typed, without trailing zeros: '12.5%'."""
    return f"{value.normalize():f}%"


def signed_percent(value: Decimal | None) -> str:
    """A difference in percent with its sign; '—' when there is none to give."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value)}%"


# --- Hiding amounts in text written for someone else --------------------------------------------

HIDDEN_AMOUNT = "[amount hidden]"
# A figure as Closer writes money (thousands grouped, "1,960,000 USD", "$1.2M", "14,167,650.54"),
# or a percentage (how much more one package pays says what it pays).
_AMOUNT = re.compile(
    r"[$€£]\s?\d[\d,]*(?:\.\d+)?\s?[kKmM]?\b"
    r"|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:\s?(?:[A-Z]{3})\b)?"
    r"|\b\d+(?:\.\d+)?\s?(?:[A-Z]{3})\b(?<!\bUTC)"
    r"|\b\d+(?:\.\d+)?\s?%"
)


def hide_amounts(text: str) -> str:
    """`text` with every amount of money and every percentage replaced: for a person without
    the right to see pay reading what was written for someone with it."""
    return _AMOUNT.sub(HIDDEN_AMOUNT, text)
