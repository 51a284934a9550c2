"""Addresses that bounce, as delivery status notifications read from the mailbox report them
(outreach/inbound.py finds the addresses with flufl.bounce)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction

from candidates.models import CandidateEmail

from . import services
from .models import AddressBounce


@transaction.atomic
def record_bounces(addresses: Iterable[str], *, hard: bool, now: datetime) -> int:
    """Counts a bounce against each address a candidate has (others are not ours: ignored).
    A permanent failure makes the address bouncing at once; a temporary one is counted, and
    the OUTREACH_SOFT_BOUNCE_LIMIT-th makes it bouncing. A bouncing address's candidate has
    their active enrollments stopped as bounced. Returns how many addresses were ours."""
    ours = 0
    for address in sorted({a.strip().lower() for a in addresses if a.strip()}):
        email = (
            CandidateEmail.objects.select_related("candidate").filter(email__iexact=address).first()
        )
        if email is None:
            continue
        ours += 1
        bounce, _ = AddressBounce.objects.select_for_update().get_or_create(
            address=email, defaults={"first_bounced_at": now, "last_bounced_at": now}
        )
        if not hard:
            bounce.soft_bounces += 1
        if hard or bounce.soft_bounces >= settings.OUTREACH_SOFT_BOUNCE_LIMIT:
            bounce.status = AddressBounce.Status.HARD
        bounce.last_bounced_at = now
        bounce.save(update_fields=["soft_bounces", "status", "last_bounced_at"])
        if bounce.is_hard:
            services.stop_for_bounce(email.candidate, address=email.email, now=now)
    return ours
