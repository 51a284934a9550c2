"""What the competing offers' alert tests share: amounts and durations, the alert kinds,
recording and editing a competing offer and sending ours through the services, the alerts of
a kind and who received them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from offers.competition import CompetingTerms, update_competing_offer
from offers.competition import record_competing_offer as record_offer
from offers.models import CompetingOffer, Offer
from offers.services import send_offer, submit_for_approval
from offers.terms import PackageTerms
from recruiting.alerts.models import Alert
from tests.factories import OfferFactory

M = Decimal(1_000_000)
HOUR = timedelta(hours=1)
AHEAD = "competitor_ahead"
IN_PAUSE = "outside_offer_in_pause"
DEADLINE = "competitor_deadline"
DEADLINE_CLOSE = "competitor_deadline_close"


def record(application, competitor, by, *, candidate=None, **changes):
    fields = dict(
        competitor=competitor,
        application=application,
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
    )
    return record_offer(
        candidate or application.candidate, CompetingTerms(**{**fields, **changes}), by=by
    )


def edit(competing: CompetingOffer, by, **changes) -> CompetingOffer:
    """Changes `competing` through the service, everything else kept as it was."""
    fields = dict(
        PackageTerms.components_of(competing),
        competitor=competing.competitor,
        application=competing.application,
        deadline=competing.deadline,
        confidence=competing.confidence,
        source=competing.source,
        notes=competing.notes,
    )
    return update_competing_offer(competing, CompetingTerms(**{**fields, **changes}), by=by)


def sent(application, recruiter, **terms) -> Offer:
    """Our offer, approved at once (no rule holds it up) and sent."""
    offer = OfferFactory.create(application=application, drafted_by=recruiter, **terms)
    offer = submit_for_approval(offer, by=recruiter)
    return send_offer(offer, by=recruiter)


def alerts(kind: str):
    return Alert.objects.filter(kind=kind).select_related("recipient").order_by("id")


def recipients(raised) -> list[str]:
    return sorted(alert.recipient.username for alert in raised)
