from __future__ import annotations

from django.core.management.base import BaseCommand

from offers.demo import build_market
from offers.models import CompensationBand, ExchangeRate


class Command(BaseCommand):
    help = "Loads the market of DESIGN.md: the USD/EUR rate and the compensation bands."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        build_market()
        self.stdout.write(
            f"Closer market: {ExchangeRate.objects.count()} exchange rate(s), "
            f"{CompensationBand.objects.count()} compensation bands."
        )
