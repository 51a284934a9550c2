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

from offers import compensation as engine
from offers.counter_math import CERTAINTIES
from offers.package_file import (
    BandFigures,
    PackageFile,
    PackageFileError,
    band_position,
    decisions,
    read_competing,
    read_package,
    valuation,
)
from offers.scenarios import configured_scenarios
from offers.selectors import Market, RateMissing, rate_on


class Command(BaseCommand):
    help = (
        "Values one package given as JSON (a file, or - for standard input) and prints its "
        "valuation as JSON: per year and component, year one, annual average, total, per "
        "scenario, in its currency and the reporting one; with --against, the comparison, "
        "band position and counter-offer. Schema: docs/value_package.md."
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
        parser.add_argument(
            "--against",
            metavar="FILE",
            help="one competing package, or a list of them, as JSON: adds the comparison, the "
            "band position and the counter-offer suggestion",
        )
        parser.add_argument(
            "--band",
            metavar="FAMILY:LEVEL:ZONE",
            help="the band to place the package in, such as "
            "research_scientist:senior:silicon_valley",
        )
        parser.add_argument(
            "--measure",
            choices=[m.value for m in engine.Measure],
            help="what the counter-offer beats them on (default: COMPETING_OFFER_MEASURE)",
        )
        parser.add_argument(
            "--margin", type=Decimal, help="by how much, percent (default: the setting)"
        )
        parser.add_argument(
            "--lowest-certainty",
            choices=list(CERTAINTIES),
            help="the least certain competing package answered (default: the setting)",
        )
        parser.add_argument(
            "--above-band", action="store_true", help="let the counter-offer go above the band"
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
        band = self._band(options["band"], read.package.currency, on)
        if band is not None or options["against"]:
            result["band_position"] = band_position(
                read.package, band, horizon_years=settings.BAND_HORIZON_YEARS
            )
        if options["against"]:
            result["decisions"] = self._decisions(read, band, reporting, rate, on, options)
            result["band_position"] = result["decisions"].pop("band_position")
        self.stdout.write(json.dumps(result, indent=2))

    def _read_json(self, path: str) -> Any:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            return json.loads(text, parse_float=Decimal, parse_int=Decimal)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not JSON: {error.msg} at line {error.lineno}.") from None

    def _band(self, name: str | None, currency: str, on: date) -> BandFigures | None:
        if not name:
            return None
        parts = name.split(":")
        if len(parts) != 3:
            raise CommandError("--band: expected FAMILY:LEVEL:ZONE.")
        family, level, zone = parts
        band = Market(on).bands.get((family, level, zone))
        if band is None:
            raise CommandError(f"--band: no band for {family}, {level}, {zone} on {on}.")
        try:
            to_band, _ = rate_on(currency, band.currency_id, on)
        except RateMissing as missing:
            raise CommandError(" ".join(missing.messages)) from None
        return BandFigures(
            str(band),
            band.currency_id,
            (band.base_min, band.base_target, band.base_max),
            (band.total_min, band.total_target, band.total_max),
            to_band,
        )

    def _decisions(
        self,
        read: PackageFile,
        band: BandFigures | None,
        reporting: str,
        rate: Decimal,
        on: date,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        try:
            against = read_competing(self._read_json(options["against"]))
        except PackageFileError as error:
            raise CommandError(str(error)) from None
        rates = {}
        for competing in against:
            try:
                rates[competing.package.currency] = rate_on(
                    competing.package.currency, reporting, on
                )[0]
            except RateMissing as missing:
                raise CommandError(" ".join(missing.messages)) from None
        margin = options["margin"]
        if margin is None:
            margin = settings.COUNTER_OFFER_MARGIN_PERCENT
        if not margin.is_finite() or margin < 0:
            raise CommandError("--margin: a percentage of 0 or more, such as 5.")
        return decisions(
            read.package,
            against,
            reporting_currency=reporting,
            rate_ours=rate,
            rates=rates,
            measure=engine.Measure(options["measure"] or settings.COMPETING_OFFER_MEASURE),
            margin_percent=margin,
            lowest_certainty=options["lowest_certainty"] or settings.COUNTER_OFFER_MIN_CERTAINTY,
            band=band,
            within_band=not options["above_band"],
            horizon_years=settings.BAND_HORIZON_YEARS,
        )
