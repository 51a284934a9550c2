"""Exchange rates loaded from files: Closer's own CSV (`base,quote,rate,as_of`) and the European
Central Bank's reference-rate files, daily and historical. A file loads all its rows or none;
loading it again changes nothing."""

from __future__ import annotations

import csv
import io
import urllib.request
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction

from candidates.models import Currency

from .models import ExchangeRate

MAX_RATE_PLACES = 10
FETCH_TIMEOUT = 30  # seconds
MAX_FETCH_BYTES = 50 * 1024 * 1024  # the ECB's whole history is about 2 MB unzipped
ECB_BASE = "EUR"  # the ECB quotes every currency per euro


class RateFileError(ValidationError):
    """A rates file with bad rows; nothing of it was saved."""


def load_rate_file(text: str) -> int:
    """Loads a file in whichever format it is: the ECB's (its header starts with `Date`) or
    Closer's own. Returns the rates saved."""
    first = next(csv.reader(io.StringIO(text), skipinitialspace=True), [])
    if first and first[0].strip() == "Date":
        return load_ecb_rates(text)
    return load_rates(text)


def _rate_problem(rate: Decimal) -> str:
    if not rate.is_finite() or rate <= 0:
        return "rate must be a positive number."
    if cast(int, rate.as_tuple().exponent) < -MAX_RATE_PLACES:  # finite: an int exponent
        return f"a rate has at most {MAX_RATE_PLACES} decimal places."
    return ""


def _save(rows: list[tuple[str, str, Decimal, date]]) -> int:
    for base, quote, rate, as_of in rows:
        ExchangeRate.objects.update_or_create(
            base_id=base, quote_id=quote, as_of=as_of, defaults={"rate": rate}
        )
    return len(rows)


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
        if problem := _rate_problem(rate):
            problems.append(f"line {number}: {problem}")
        rows.append((base, quote, rate, as_of))
    if problems:
        raise RateFileError(problems)
    return _save(rows)


def _ecb_date(text: str) -> date:
    """The daily file writes '05 December 2026'; the historical one '2026-12-05'."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d %B %Y").date()


@transaction.atomic
def load_ecb_rates(text: str) -> int:
    """Loads the ECB's reference rates (eurofxref.csv, one day; eurofxref-hist.csv, every day
    since 1999): a `Date` column, then one column per currency, each rate the units of that
    currency one euro buys. Saves EUR→currency for the currencies Closer knows; the others, and
    the days a currency has no rate ("N/A"), are passed over. All rows or none."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [cell.strip() for cell in next(reader, [])]
    if not header or header[0] != "Date":
        raise RateFileError("An ECB rates file starts with a Date column.")
    known = set(Currency.objects.values_list("code", flat=True))
    if ECB_BASE not in known:
        raise RateFileError(f"{ECB_BASE} is not a currency Closer knows: add it first.")
    columns = [
        (index, code) for index, code in enumerate(header) if index and code in known - {ECB_BASE}
    ]
    problems, rows = [], []
    for number, line in enumerate(reader, start=2):  # line 1 is the header
        if not any(cell.strip() for cell in line):
            continue
        try:
            as_of = _ecb_date(line[0])
        except ValueError:
            problems.append(f"line {number}: “{line[0].strip()}” is not a date.")
            continue
        for index, code in columns:
            cell = line[index].strip() if index < len(line) else ""
            if cell in ("", "N/A"):
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                problems.append(f"line {number}, {code}: rate must be a number.")
                continue
            if problem := _rate_problem(rate):
                problems.append(f"line {number}, {code}: {problem}")
                continue
            rows.append((ECB_BASE, code, rate, as_of))
    if problems:
        raise RateFileError(problems)
    return _save(rows)


def fetch_rate_file(url: str) -> str:
    """The text of a rates file at `url` (http or https): a CSV, or a zip holding one, as the
    ECB publishes them. Network failures are OSError (urllib's URLError among them), which the
    scheduled job retries; a file that is not rates is a RateFileError, which it does not."""
    if not url.startswith(("https://", "http://")):
        raise RateFileError(f"ECB_RATES_URL must be an http or https address, not “{url}”.")
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        data = response.read(MAX_FETCH_BYTES + 1)
    if len(data) > MAX_FETCH_BYTES:
        raise RateFileError(f"{url} is larger than a rates file can be.")
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise RateFileError(f"{url} is a zip without exactly one CSV file in it.")
            data = archive.read(names[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateFileError(f"{url} is not a text file of rates.") from None
