"""State changes of offers' reference data: exchange rates and bands."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from candidates.models import Currency

from .models import ExchangeRate


class RateFileError(ValidationError):
    """A rates file with bad rows; nothing of it was saved."""


@transaction.atomic
def load_rates(text: str) -> int:
    """Loads `base,quote,rate,as_of` rows (a header first). A row for a pair and date already
    known replaces its rate, so loading a file twice changes nothing. All rows or none."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"base", "quote", "rate", "as_of"} - set(reader.fieldnames or ())
    if missing:
        raise RateFileError(
            f"The file needs the columns base, quote, rate, as_of; "
            f"missing: {', '.join(sorted(missing))}."
        )
    known = set(Currency.objects.values_list("code", flat=True))
    problems, rows = [], []
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        base = (row["base"] or "").strip().upper()
        quote = (row["quote"] or "").strip().upper()
        try:
            rate = Decimal((row["rate"] or "").strip())
            as_of = date.fromisoformat((row["as_of"] or "").strip())
        except (InvalidOperation, ValueError):
            problems.append(f"line {number}: rate must be a number and as_of a date (YYYY-MM-DD).")
            continue
        for code in (base, quote):
            if code not in known:
                problems.append(f"line {number}: unknown currency “{code}”.")
        if base == quote:
            problems.append(f"line {number}: a rate is between two different currencies.")
        if not rate.is_finite() or rate <= 0:
            problems.append(f"line {number}: rate must be a positive number.")
        if rate.is_finite() and rate.as_tuple().exponent < -10:
            problems.append(f"line {number}: a rate has at most 10 decimal places.")
        rows.append((base, quote, rate, as_of))
    if problems:
        raise RateFileError(problems)
    for base, quote, rate, as_of in rows:
        ExchangeRate.objects.update_or_create(
            base_id=base, quote_id=quote, as_of=as_of, defaults={"rate": rate}
        )
    return len(rows)
