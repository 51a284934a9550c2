"""`manage.py seed_history`: the demo's past year of offers and rivals, for the reports."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from offers.demo_history import build_demo_history
from offers.figures import refresh_missing
from offers.models import CompetingOffer, Offer


class Command(BaseCommand):
    help = (
        "Plays the demo's past year (offers accepted, signed and declined, counter-offers, "
        "approvals, rivals' offers over four quarters) and values every package for the "
        "reports. Run after seed_demo and seed_market; running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        played, outside = build_demo_history()
        # Every package valued for the reports: one written while a currency had no rate is
        # valued now, as the hourly job would.
        refresh_missing()
        self.stdout.write(
            f"Closer history: {played} stories played, {outside} outside offers; "
            f"{Offer.objects.count()} offers "
            f"({Offer.objects.filter(status='accepted').count()} accepted, "
            f"{Offer.objects.filter(status='declined').count()} declined), "
            f"{CompetingOffer.objects.count()} competing offers."
        )
