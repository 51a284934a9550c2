"""Refusals on the offer form: shown on the field or row they name, what was typed kept,
nothing saved; every mistake the fields can tell at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from offers.models import EquityGrant, Offer, OfferPayment
from offers.page_forms import OfferForm, PackageForms
from offers.terms import OfferError
from tests.web.offer_form.helpers import error_on, grant, offer_data, payment

pytestmark = pytest.mark.django_db


# --- Refusals: on the field, what was typed kept, nothing saved ----------------------------------


@pytest.mark.parametrize(
    ("typed", "field_id", "message", "kept"),
    [
        (
            {"equity": [grant(vesting=[30, 30, 30])]},
            "equity-0-years",
            "The yearly vesting percentages add up to 90%, not 100%.",
            'name="equity-0-years-2-percentage" value="30"',
        ),
        (
            {"payments": [payment(month=-1, amount=250_000)]},
            "id_payments-0-month",
            "A payment cannot be made before the start: month 0 is the start date.",
            'value="-1"',
        ),
        (
            {"expires_at": "2020-01-01T09:30"},
            "id_expires_at",
            "The expiry must be in the future.",
            'value="2020-01-01T09:30"',
        ),
        (
            {"currency": "XYZ"},
            "id_currency",
            "“XYZ” is not a currency Closer knows.",
            'value="1234567.89"',
        ),
        (
            {"equity": [grant(cliff=60)]},
            "id_equity-0-cliff_months",
            "A cliff of 60 months is longer than the 4-year vesting horizon.",
            'value="60"',
        ),
    ],
    ids=["vesting-90", "month-minus-1", "expiry-past", "unknown-currency", "cliff-too-long"],
)
def test_bad_input_is_shown_on_its_field_with_what_was_typed_kept_and_nothing_saved(
    recruiter_client, application, typed, field_id, message, kept
):
    data = offer_data(base_salary="1234567.89", relocation="25000", **typed)

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert error_on(html, field_id) == message
    assert kept in html
    assert 'value="1234567.89"' in html and 'value="25000"' in html  # the rest as typed too
    assert "Nothing was saved: 1 thing to fix below." in html
    assert not Offer.objects.exists()
    assert not OfferPayment.objects.exists() and not EquityGrant.objects.exists()


def test_a_removed_row_is_left_out_and_a_blank_new_row_ignored(recruiter_client, application):
    data = offer_data(payments=[payment(month=0, amount=50_000), payment(month=12, amount=70_000)])
    data["payments-1-DELETE"] = "on"  # only initial rows have the box; here the second is ticked
    data["payments-INITIAL_FORMS"] = "2"

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [(p.month, p.amount) for p in OfferPayment.objects.all()] == [(0, Decimal(50_000))]


def test_a_refusal_about_a_component_is_shown_on_its_rows_and_any_other_at_the_top():
    forms = PackageForms(OfferForm, offer_data(payments=[payment()]), new=True)
    assert forms.is_valid()

    forms.add_service_errors(
        OfferError(
            {
                "signing_bonus": "A clawback period is between 0 and 600 months.",
                "cliff_months": "A cliff cannot be negative.",
                "horizon": "This package pays over 5 years.",
                "expires_at": "The expiry must be in the future.",
            }
        )
    )

    assert forms.payments.non_form_errors() == [
        "Signing bonus: A clawback period is between 0 and 600 months."
    ]
    assert forms.equity.non_form_errors() == ["Equity cliff: A cliff cannot be negative."]
    assert forms.form.non_field_errors() == ["Horizon: This package pays over 5 years."]
    assert forms.form.errors["expires_at"] == ["The expiry must be in the future."]
    assert forms.problems() == [
        "Horizon: This package pays over 5 years.",
        "Offer expires: The expiry must be in the future.",
        "Bonus instalments: Signing bonus: A clawback period is between 0 and 600 months.",
        "Equity grants: Equity cliff: A cliff cannot be negative.",
    ]


def test_every_mistake_the_fields_can_tell_shows_at_once(recruiter_client, application):
    data = offer_data(base_salary="-1", target_bonus_percent="250", equity=[grant(vesting=[10])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert error_on(html, "id_base_salary") == "An amount cannot be negative."
    assert error_on(html, "id_target_bonus_percent") == "A target bonus is at most 200% of base."
    assert error_on(html, "equity-0-years").startswith("The yearly vesting percentages add up")
    assert "Nothing was saved: 3 things to fix below." in html
    assert not Offer.objects.exists()
