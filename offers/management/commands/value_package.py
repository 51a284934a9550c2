from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from offers.package_file import PackageFileError, read_package, valuation
from offers.scenarios import configured_scenarios
from offers.selectors import RateMissing, rate_on


class Command(BaseCommand):
    help = (
        "Values one package given as JSON (a file, or - for standard input) and prints its "
        "valuation as JSON: per year and component, year one, annual average, total, per "
        "scenario, in its currency and the reporting one. Schema: docs/value_package.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="the package's JSON file, or - to read standard input")
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help="the day of the rate (default: today)"
        )
        parser.add_argument("--currency", help="the reporting currency (default: the setting)")
        parser.add_argument(
            "--scenarios",
            help="share-price paths in percent a year, such as -30,0,20,50 (default: the setting)",
        )

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not JSON: {error.msg} at line {error.lineno}.") from None
        try:
            read = read_package(data)
        except PackageFileError as error:
            raise CommandError(str(error)) from None
        reporting = (options["currency"] or settings.REPORTING_CURRENCY).upper()
        on = options["as_of"] or timezone.localdate()
        try:
            rate, rate_as_of = rate_on(read.package.currency, reporting, on)
        except RateMissing as missing:
            raise CommandError(" ".join(missing.messages)) from None
        try:
            scenarios = configured_scenarios(options["scenarios"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error).replace("EQUITY_SCENARIOS", "--scenarios")) from None
        result = valuation(
            read,
            reporting_currency=reporting,
            rate=rate,
            rate_as_of=rate_as_of,
            scenarios=scenarios,
        )
        self.stdout.write(json.dumps(result, indent=2))
