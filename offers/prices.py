"""Companies' dated share prices: the one in force on a day, and loading them from a file."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from candidates.models import Company, Currency

from . import compensation as engine
from .models import SharePrice
from .models.prices import PRICE_BASES

COLUMNS = ("company", "basis", "price", "currency", "as_of", "source")
# A basis may be written by its code, its label or these usual names.
BASIS_NAMES = {
    **{code: code for code, _ in PRICE_BASES},
    **{label.lower(): code for code, label in PRICE_BASES},
    "409a": "common_fmv",
    "fmv": "common_fmv",
    "public": "market",
}


class PriceFileError(ValidationError):
    """A prices file with bad rows; nothing of it was saved."""


def price_on(company: Company, basis: str, on: date) -> SharePrice | None:
    """The company's latest price on `basis` dated `on` or before."""
    return (
        SharePrice.objects.filter(company=company, basis=basis, as_of__lte=on)
        .order_by("-as_of")
        .first()
    )


@transaction.atomic
def load_share_prices(text: str) -> int:
    """Loads `company,basis,price,currency,as_of,source` rows (a header first). A price for a
    company, basis and date already known is replaced, so loading a file twice changes
    nothing. All rows or none; each bad row is named with its line, field and rule."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(COLUMNS) - {name.strip() for name in reader.fieldnames or ()}
    if missing:
        raise PriceFileError(
            f"The file needs the columns {', '.join(COLUMNS)}; missing: "
            f"{', '.join(sorted(missing))}."
        )
    companies = {c.name.lower(): c for c in Company.objects.all()}
    currencies = set(Currency.objects.values_list("code", flat=True))
    problems: list[str] = []
    rows: list[tuple[Company, str, Decimal, str, date, str]] = []
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        found = problems.copy()
        company = companies.get(row["company"].lower())
        if company is None:
            problems.append(f"line {number}, company: no company is named “{row['company']}”.")
        basis = BASIS_NAMES.get(row["basis"].lower())
        if basis is None:
            problems.append(
                f"line {number}, basis: “{row['basis']}” is not a price basis; use one of "
                f"{', '.join(code for code, _ in PRICE_BASES)}."
            )
        try:
            price = engine.check_quantity(
                Decimal(row["price"]), "price", limit=engine.MAX_PRICE, what="a price"
            )
            if price == 0:
                raise engine.CompensationError("price", "A price is a positive number.")
        except InvalidOperation:
            problems.append(f"line {number}, price: enter a number, such as 12.50.")
        except engine.CompensationError as error:
            problems.append(f"line {number}, price: {error.message}")
        currency = row["currency"].upper()
        if currency not in currencies:
            problems.append(f"line {number}, currency: “{row['currency']}” is not known.")
        try:
            as_of = date.fromisoformat(row["as_of"])
        except ValueError:
            problems.append(f"line {number}, as_of: a date is written YYYY-MM-DD.")
        if not row["source"]:
            problems.append(f"line {number}, source: say where the price comes from.")
        if problems == found:
            assert company is not None and basis is not None  # no problem was found with them
            rows.append((company, basis, price, currency, as_of, row["source"][:200]))
    if problems:
        raise PriceFileError(problems)
    for company, basis, price, currency, as_of, source in rows:
        SharePrice.objects.update_or_create(
            company=company,
            basis=basis,
            as_of=as_of,
            defaults={"price": price, "currency_id": currency, "source": source},
        )
    return len(rows)
