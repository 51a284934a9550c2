"""What the offer services' tests share: amounts and statuses, drafting through the service,
reloading an offer, moving its expiry to the past, counting saved rows, today, and taking a
step by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from offers.models import (
    Approval,
    ApprovalRule,
    EquityGrant,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from offers.services import (
    accept_offer,
    approve_offer,
    decline_offer,
    draft_offer,
    expire_offer,
    reject_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
)
from recruiting.pipeline.models import Application
from tests.factories import offer_terms

M = Decimal(1_000_000)
Status = Offer.Status
Condition = ApprovalRule.Condition
# $150M paid in 4 instalments of $37.5M, at the start and on each anniversary.
SIGNING_150M = [(month, Decimal("37500000")) for month in (0, 12, 24, 36)]
EVEN_4_YEARS = [Decimal(25)] * 4


def draft(application: Application, by, **changes) -> Offer:
    return draft_offer(application, offer_terms(**changes), by=by)


def reload(offer: Offer) -> Offer:
    return Offer.objects.get(pk=offer.pk)


def move_expiry_to_the_past(offer: Offer) -> None:
    """The clock passes the expiry (the expiry itself was in the future when it was set)."""
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


def saved_rows() -> dict[str, int]:
    models = (Offer, OfferPayment, EquityGrant, VestingYear, OtherAmount, Approval)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["history"] = Offer.history.count()
    return counts


def today():
    return timezone.localdate()


def take(step: str, offer: Offer, *, recruiter, approver) -> Offer:
    if step == "submitted":
        return submit_for_approval(offer, by=recruiter)
    if step == "approved":
        return approve_offer(offer, by=approver)
    if step == "rejected":
        return reject_offer(offer, by=approver, comment="Above what we pay for this level.")
    steps: dict[str, Callable[..., Offer]] = {
        "sent": send_offer,
        "accepted": accept_offer,
        "declined": decline_offer,
        "rescinded": rescind_offer,
        "expired": expire_offer,
        "revised": revise_offer,
    }
    return steps[step](offer, by=recruiter)
