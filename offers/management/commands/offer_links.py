"""`manage.py offer_links`: the private link of every offer with a candidate now, as the
candidate got it by email (`make run` prints the demo's, so a new user can play the
candidate). Whoever can run this command holds SECRET_KEY, which signs the links anyway."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from offers.links import url_for
from offers.models import Offer, OfferLink


class Command(BaseCommand):
    help = "Prints the candidate's private link of every sent offer."

    def handle(self, *args: Any, **options: Any) -> None:
        links = (
            OfferLink.objects.filter(revoked_at__isnull=True, offer__status=Offer.Status.SENT)
            .select_related("offer__application__candidate", "offer__application__role")
            .order_by("offer__expires_at")
        )
        for link in links:
            offer = link.offer
            candidate, role = offer.application.candidate, offer.application.role
            self.stdout.write(
                f"{candidate.name}'s offer v{offer.version} ({role.title}, {role.city}), as "
                f"they see it: {url_for(link)}"
            )
