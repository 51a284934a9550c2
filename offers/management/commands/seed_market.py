from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from offers.demo import (
    build_demo_competition,
    build_demo_offers,
    build_market,
    build_share_prices,
)
from offers.models import (
    ApprovalRule,
    CompensationBand,
    CompetingOffer,
    ExchangeRate,
    Offer,
    SharePrice,
)


class Command(BaseCommand):
    help = (
        "Loads the market of docs/market.md (exchange rates and compensation bands), demo "
        "approval rules, demo offers at each step, competing offers and share prices. Running "
        "it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        build_market()
        build_share_prices()  # before the offers: the Paris draft is valued at our price
        build_demo_offers()
        build_demo_competition()
        self.stdout.write(
            f"Closer market: {ExchangeRate.objects.count()} exchange rate(s), "
            f"{CompensationBand.objects.count()} compensation bands, "
            f"{ApprovalRule.objects.count()} approval rules, {Offer.objects.count()} offers, "
            f"{CompetingOffer.objects.count()} competing offers, "
            f"{SharePrice.objects.count()} share prices."
        )
