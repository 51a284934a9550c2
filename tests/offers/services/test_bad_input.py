"""Bad offer terms refused on their field with nothing saved; one open offer an
application, none for a closed one; an offer that cannot be valued or placed in its
band is not submitted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from offers.models import ExchangeRate, Offer
from offers.services import draft_offer, submit_for_approval, update_draft
from offers.terms import EquityTerms, OfferError
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import mark_hired, mark_lost
from tests.factories import UNRATED, ApplicationFactory, RoleFactory, offer_terms, unrated_currency
from tests.offers.services.helpers import EVEN_4_YEARS, M, Status, draft, reload, saved_rows, today

pytestmark = pytest.mark.django_db


# --- Bad input -----------------------------------------------------------------------------


BAD_TERMS = [
    pytest.param(
        lambda: {"base_salary": Decimal(-1)},
        "base_salary",
        "An amount cannot be negative.",
        id="negative base",
    ),
    pytest.param(
        lambda: {"signing_payments": [(0, Decimal(-5_000_000))]},
        "signing_bonus",
        "An amount cannot be negative.",
        id="negative signing bonus",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(Decimal("-0.01"), [Decimal(100)])]},
        "equity",
        "An amount cannot be negative.",
        id="negative equity",
    ),
    pytest.param(
        lambda: {"relocation": Decimal(-1)},
        "relocation",
        "An amount cannot be negative.",
        id="negative relocation",
    ),
    pytest.param(
        lambda: {"target_bonus_percent": Decimal("200.01")},
        "target_bonus_percent",
        "A target bonus is between 0% and 200% of base.",
        id="bonus over 200%",
    ),
    pytest.param(
        lambda: {"target_bonus_percent": Decimal(-5)},
        "target_bonus_percent",
        "A target bonus is between 0% and 200% of base.",
        id="negative bonus percent",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(4 * M, [Decimal(25)] * 3 + [Decimal(20)])]},
        "vesting",
        "The yearly vesting percentages add up to 95%, not 100%.",
        id="vesting not 100",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(4 * M, EVEN_4_YEARS, cliff_months=60)]},
        "cliff_months",
        "A cliff of 60 months is longer than the 4-year vesting horizon.",
        id="cliff beyond horizon",
    ),
    pytest.param(
        lambda: {"expires_at": timezone.now() - timedelta(minutes=1)},
        "expires_at",
        "The expiry must be in the future.",
        id="expiry in the past",
    ),
    pytest.param(
        lambda: {"start_date": today() - timedelta(days=1)},
        "start_date",
        "A new offer cannot start in the past.",
        id="start before today",
    ),
    pytest.param(
        lambda: {"currency": "XYZ"},
        "currency",
        "“XYZ” is not a currency Closer knows.",
        id="unknown currency",
    ),
    pytest.param(
        lambda: {"base_salary": Decimal("400000.005")},
        "base_salary",
        "An amount has at most 2 decimal places.",
        id="more than 2 decimals",
    ),
    pytest.param(
        lambda: {"signing_payments": [(0, Decimal(10) ** 12 + Decimal("0.01"))]},
        "signing_bonus",
        "An amount cannot exceed 999,999,999,999.99.",
        id="over 10^12",
    ),
    pytest.param(
        lambda: {"currency": unrated_currency()},
        "currency",
        f"No {UNRATED}→USD exchange rate is known on or before {today():%d %b %Y}; "
        "an administrator adds one under Offers → Exchange rates.",
        id="no rate for the currency",
    ),
    pytest.param(
        lambda: {"signing_payments": [(-1, Decimal(1_000_000))]},
        "signing_bonus",
        "A payment cannot be made before the start.",
        id="payment before the start",
    ),
    pytest.param(
        lambda: {"other": [("Visa costs", Decimal(20_000), 0)]},
        "other",
        "Visa costs: the year is between 1 and 50.",
        id="other amount in year 0",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_TERMS)
def test_bad_terms_are_refused_on_their_field_and_nothing_is_saved(
    application, recruiter, changes, field, message
):
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, **changes())

    assert refused.value.message_dict == {field: [message]}
    assert saved_rows() == before


@pytest.mark.parametrize(("changes", "field", "message"), BAD_TERMS)
def test_bad_terms_leave_a_draft_as_it_was(application, recruiter, changes, field, message):
    offer = draft(application, recruiter, signing_payments=[(0, 5 * M)])
    before, package = saved_rows(), reload(offer).to_package()

    with pytest.raises(OfferError) as refused:
        update_draft(offer, offer_terms(**changes()), by=recruiter)

    assert refused.value.message_dict == {field: [message]}
    assert saved_rows() == before
    assert reload(offer).to_package() == package


def test_an_amount_of_exactly_10_to_the_12_is_refused_not_a_server_error(application, recruiter):
    # The engine refuses what the money columns cannot hold: 999,999,999,999.99 at most.
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, base_salary=Decimal(10) ** 12)

    assert refused.value.message_dict == {
        "base_salary": ["An amount cannot exceed 999,999,999,999.99."]
    }
    assert saved_rows() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_bonus_percent": Decimal("12.345")}, "target_bonus_percent"),
        (
            {
                "equity": [
                    EquityTerms(3 * M, [Decimal("33.333"), Decimal("33.333"), Decimal("33.334")])
                ]
            },
            "vesting",
        ),
    ],
    ids=["bonus percent", "vesting percent"],
)
def test_a_percentage_with_more_than_2_decimals_is_refused_not_rounded(
    application, recruiter, changes, field
):
    # The columns keep 2 decimals: 33.333 would be saved as 33.33, and the three years as 99.99%.
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, **changes)

    assert refused.value.message_dict == {field: ["A percentage has at most 2 decimal places."]}
    assert saved_rows() == before


def test_a_retention_offer_is_only_for_an_employee(application, recruiter):
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft_offer(application, offer_terms(), by=recruiter, kind=Offer.Kind.RETENTION)

    assert refused.value.message_dict == {
        "kind": ["A retention offer is for one of our employees."]
    }
    assert saved_rows() == before


def test_an_application_has_one_open_offer_at_a_time(application, recruiter, hiring_manager):
    first = draft(application, recruiter)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, hiring_manager, base_salary=Decimal(450_000))

    assert refused.value.messages == [
        "This application already has an open offer; revise it instead."
    ]
    assert saved_rows() == before
    assert reload(first).base_salary == Decimal(400_000)


@pytest.mark.parametrize("outcome", ["lost", "hired"])
def test_a_closed_application_gets_no_offer(application, recruiter, outcome):
    if outcome == "lost":
        mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)
    else:
        mark_hired(application, by=recruiter)
    application.refresh_from_db()
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter)

    assert refused.value.messages == [
        f"The application is {outcome}; only an open application gets an offer."
    ]
    assert saved_rows() == before


def test_an_offer_that_can_no_longer_be_valued_cannot_be_submitted(application, recruiter):
    offer = draft(application, recruiter, currency="EUR", base_salary=Decimal(847_000))
    ExchangeRate.objects.all().delete()

    with pytest.raises(OfferError) as refused:
        submit_for_approval(offer, by=recruiter)

    assert "No EUR→USD exchange rate is known" in refused.value.message_dict["currency"][0]
    assert reload(offer).status == Status.DRAFT
    assert reload(offer).submitted_at is None


def test_an_offer_that_cannot_be_placed_in_its_band_cannot_be_submitted(recruiter):
    # CHF converts to the reporting currency but not to the euros of a European band.
    ExchangeRate.objects.create(
        base_id="CHF", quote_id="USD", rate=Decimal("1.25"), as_of=today() - timedelta(days=1)
    )
    role = RoleFactory(level="senior", zone=Role.Zone.EUROPE)
    offer = draft(ApplicationFactory(role=role), recruiter, currency="CHF")

    with pytest.raises(OfferError) as refused:
        submit_for_approval(offer, by=recruiter)

    assert "No CHF→EUR exchange rate is known" in refused.value.message_dict["currency"][0]
    assert reload(offer).status == Status.DRAFT
