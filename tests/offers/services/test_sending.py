"""Sending an offer: the rate it is valued at is fixed, a later rate never changes it, an
offer past its expiry is not sent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from offers.models import ExchangeRate
from offers.selectors import value_offer
from offers.services import send_offer, submit_for_approval
from offers.terms import OfferError
from tests.factories import ApplicationFactory
from tests.offers.services.helpers import Status, draft, move_expiry_to_the_past, reload, today

pytestmark = pytest.mark.django_db


# --- Sending -------------------------------------------------------------------------------


@pytest.fixture
def approved_in_euros(application, recruiter):
    """€847,000 base ($1M at 0.847), approved at once."""
    offer = draft(application, recruiter, currency="EUR", base_salary=Decimal(847_000))
    return submit_for_approval(offer, by=recruiter)


def test_sending_fixes_the_rate_the_offer_is_valued_at(approved_in_euros, hiring_manager):
    before = timezone.now()

    # The market's rate is of 1 Nov 2025, more than a week old: sent on confirmation.
    send_offer(approved_in_euros, by=hiring_manager, confirm_stale_rate=True)

    offer = reload(approved_in_euros)
    assert offer.status == Status.SENT
    assert offer.sent_by == hiring_manager
    assert before <= offer.sent_at <= timezone.now()
    # EUR→USD is the inverse of the 0.847 USD→EUR rate, kept to 10 places, and dated as it.
    assert offer.sent_rate == Decimal("1.1806375443")
    assert (offer.sent_rate_currency_id, offer.sent_rate_date) == ("USD", date(2025, 11, 1))
    assert offer.sent_at_stale_rate


def test_a_rate_older_than_a_week_is_refused_until_the_sender_confirms_it(
    approved_in_euros, recruiter
):
    days = (today() - date(2025, 11, 1)).days

    with pytest.raises(OfferError) as refused:
        send_offer(approved_in_euros, by=recruiter)

    assert refused.value.message_dict == {
        "currency": [
            f"The EUR→USD rate is of 1 Nov 2025, {days} days old: load a fresh rate (Offers → "
            "Exchange rates, or manage.py load_rates), or confirm sending at this one."
        ]
    }
    assert reload(approved_in_euros).status == Status.APPROVED


def test_a_fresh_rate_sends_without_asking(approved_in_euros, recruiter):
    ExchangeRate.objects.create(
        base_id="USD", quote_id="EUR", rate=Decimal("0.85"), as_of=today() - timedelta(days=2)
    )

    offer = send_offer(approved_in_euros, by=recruiter)

    assert (offer.sent_rate_date, offer.sent_at_stale_rate) == (today() - timedelta(days=2), False)


def test_a_later_rate_never_changes_a_sent_offer(approved_in_euros, recruiter, role):
    sent = send_offer(approved_in_euros, by=recruiter, confirm_stale_rate=True)
    other = submit_for_approval(
        draft(
            ApplicationFactory(role=role), recruiter, currency="EUR", base_salary=Decimal(847_000)
        ),
        by=recruiter,
    )
    tomorrow = today() + timedelta(days=1)
    ExchangeRate.objects.create(base_id="USD", quote_id="EUR", rate=Decimal("0.5"), as_of=tomorrow)

    assert value_offer(reload(sent), on=tomorrow).reporting.total == Decimal("1000000.00")
    # An offer not yet sent is valued at the rate of the day.
    assert value_offer(reload(other), on=tomorrow).reporting.total == Decimal("1694000.00")


def test_an_offer_past_its_expiry_cannot_be_sent(approved_in_euros, recruiter):
    move_expiry_to_the_past(approved_in_euros)

    with pytest.raises(OfferError) as refused:
        send_offer(approved_in_euros, by=recruiter)

    assert refused.value.message_dict == {
        "expires_at": ["The expiry has passed; revise the offer with a later one."]
    }
    offer = reload(approved_in_euros)
    assert (offer.status, offer.sent_at, offer.sent_rate) == (Status.APPROVED, None, None)
