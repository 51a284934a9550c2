"""Offer history: every change to an offer and its components kept with who and when,
outside a web request too."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone
from simple_history.models import HistoricalRecords

from offers.models import EquityGrant, OfferPayment, OtherAmount, VestingYear
from offers.services import approve_offer, send_offer, submit_for_approval, update_draft
from offers.terms import EquityTerms
from tests.factories import ApprovalRuleFactory, offer_terms
from tests.offers.services.helpers import EVEN_4_YEARS, Condition, M, Status, draft, reload

pytestmark = pytest.mark.django_db


@contextmanager
def acting_as(user):
    """What HistoryRequestMiddleware does for a request: the history records `user`."""
    request = RequestFactory().post("/admin/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


# --- History -------------------------------------------------------------------------------


def test_every_change_to_an_offer_is_kept_with_who_and_when(
    application, recruiter, approver, approvers
):
    ApprovalRuleFactory(name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD")
    start = timezone.now()
    with acting_as(recruiter):
        offer = draft(application, recruiter)
        submit_for_approval(offer, by=recruiter)
    with acting_as(approver):
        approve_offer(offer, by=approver)
    with acting_as(recruiter):
        send_offer(offer, by=recruiter)

    records = list(reload(offer).history.order_by("history_date", "history_id"))

    assert [(r.history_type, r.status, r.history_user) for r in records] == [
        ("+", Status.DRAFT, recruiter),
        ("~", Status.PENDING_APPROVAL, recruiter),
        ("~", Status.APPROVED, approver),
        ("~", Status.SENT, recruiter),
    ]
    dates = [r.history_date for r in records]
    assert start <= dates[0] and dates == sorted(dates) and dates[-1] <= timezone.now()


def test_every_change_to_the_components_is_kept_with_who(application, recruiter, hiring_manager):
    with acting_as(recruiter):
        offer = draft(
            application,
            recruiter,
            signing_payments=[(0, 5 * M), (12, 5 * M)],
            equity=[EquityTerms(4 * M, EVEN_4_YEARS)],
            other=[("Visa costs", Decimal(20_000), 1)],
        )
    grant = offer.equity_grants.get()
    with acting_as(hiring_manager):
        update_draft(offer, offer_terms(signing_payments=[(0, 8 * M)]), by=hiring_manager)

    # In the order they happened; rows deleted together in no particular order among them.
    payments = OfferPayment.history.filter(offer_id=offer.pk).order_by("history_id")
    rows = [(p.history_type, p.month, p.amount, p.history_user) for p in payments]
    assert rows[:2] == [("+", 0, 5 * M, recruiter), ("+", 12, 5 * M, recruiter)]
    assert sorted(rows[2:4]) == [("-", 0, 5 * M, hiring_manager), ("-", 12, 5 * M, hiring_manager)]
    assert rows[4:] == [("+", 0, 8 * M, hiring_manager)]
    years = VestingYear.history.filter(grant_id=grant.pk).order_by("history_id")
    rows = [(y.history_type, y.year, y.history_user) for y in years]
    assert rows[:4] == [("+", year, recruiter) for year in (1, 2, 3, 4)]
    assert sorted(rows[4:]) == [("-", year, hiring_manager) for year in (1, 2, 3, 4)]
    others = OtherAmount.history.filter(offer_id=offer.pk).order_by("history_id")
    assert [(o.history_type, o.name, o.history_user) for o in others] == [
        ("+", "Visa costs", recruiter),
        ("-", "Visa costs", hiring_manager),
    ]
    grants = EquityGrant.history.filter(id=grant.pk).order_by("history_id")
    assert [(g.history_type, g.history_user) for g in grants] == [
        ("+", recruiter),
        ("-", hiring_manager),
    ]


def test_who_took_each_step_is_in_the_offers_history_outside_a_web_request(
    application, recruiter, approver
):
    offer = draft(application, recruiter)

    submit_for_approval(offer, by=recruiter)

    users = [h.history_user for h in offer.history.order_by("history_date")]
    assert users and set(users) == {recruiter}
    assert {h.history_user for h in OfferPayment.history.filter(offer_id=offer.pk)} <= {recruiter}
