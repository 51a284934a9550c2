from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from offers.rates import RateFileError, load_rate_file


class Command(BaseCommand):
    help = (
        "Loads exchange rates, all or none: a CSV with columns base,quote,rate,as_of, or the "
        "European Central Bank's reference rates (eurofxref.csv or eurofxref-hist.csv)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            count = load_rate_file(path.read_text(encoding="utf-8-sig"))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except RateFileError as error:
            raise CommandError("Nothing loaded:\n" + "\n".join(error.messages)) from None
        self.stdout.write(f"Loaded {count} exchange rate(s) from {path}.")
