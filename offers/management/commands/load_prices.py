from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from offers.prices import PriceFileError, load_share_prices


class Command(BaseCommand):
    help = (
        "Loads companies' share prices from a CSV with columns "
        "company,basis,price,currency,as_of,source (all or none)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            count = load_share_prices(path.read_text(encoding="utf-8-sig"))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except PriceFileError as error:
            raise CommandError("Nothing loaded:\n" + "\n".join(error.messages)) from None
        self.stdout.write(f"Loaded {count} share price(s) from {path}.")
