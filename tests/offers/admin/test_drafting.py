"""Drafting and editing offers in the admin, through the services: bad terms refused on
their field with nothing saved, one open offer an application, rows removed from a
draft."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from offers.models import Offer
from offers.terms import EquityTerms
from tests.factories import UNRATED, OfferFactory
from tests.offers.admin.helpers import (
    ADD,
    EVEN_4_YEARS,
    M,
    Status,
    change_url,
    offer_for,
    reload,
    saved_rows,
)

pytestmark = pytest.mark.django_db


# --- Drafting and editing through the services ---------------------------------------------


def test_adding_an_offer_drafts_it_through_the_service(recruiter_client, recruiter, add_form):
    response = recruiter_client.post(ADD, add_form())

    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.application == add_form.application
    assert (offer.version, offer.status, offer.drafted_by) == (1, Status.DRAFT, recruiter)
    assert (offer.base_salary, offer.target_bonus_percent, offer.relocation) == (
        Decimal("400000.00"),
        Decimal("20.00"),
        Decimal("50000.00"),
    )
    assert [(p.kind, p.month, p.amount) for p in offer.payments.all()] == [
        ("signing", 0, Decimal("1000000.00")),
        ("signing", 12, Decimal("1000000.00")),
    ]
    grant = offer.equity_grants.get()
    assert grant.value == Decimal("4000000.00")
    assert [y.percentage for y in grant.vesting_years.all()] == [40, 30, 20, 10]
    assert [(o.name, o.amount, o.year) for o in offer.other_amounts.all()] == [
        ("Housing", Decimal("60000.00"), 1)
    ]
    assert offer.history.get().history_user == recruiter


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param(
            {"equity_grants-0-vesting": "25, 25, 25"},
            "equity_grants-0-vesting",
            "add up to 75%, not 100%",
            id="vesting-not-100",
        ),
        pytest.param(
            {"equity_grants-0-cliff_months": "60"},
            "equity_grants-0-cliff_months",
            "longer than the 4-year vesting horizon",
            id="cliff-past-horizon",
        ),
        pytest.param(
            {"equity_grants-0-vesting": "40, 30, twenty, 10"},
            "equity_grants-0-vesting",
            "“twenty” is not a percentage",
            id="vesting-not-a-number",
        ),
        pytest.param(
            {"base_salary": "-1"}, "base_salary", "An amount cannot be negative", id="negative"
        ),
        pytest.param(
            {"payments-1-amount": "1000000.005"},
            "payments-1-amount",
            "2 decimal places",
            id="three-decimals",
        ),
        pytest.param(
            {"other_amounts-0-amount": "1000000000001"},
            "other_amounts-0-amount",
            "digits",
            id="over-10-to-the-12",
        ),
        pytest.param(
            {"target_bonus_percent": "250"},
            "target_bonus_percent",
            "200% of base",
            id="bonus-over-200",
        ),
        pytest.param(
            {"start_date": "2020-01-01"},
            "start_date",
            "A new offer cannot start in the past.",
            id="start-in-the-past",
        ),
        pytest.param(
            {"expires_at_0": "2020-01-01"},
            "expires_at",
            "The expiry must be in the future.",
            id="expiry-in-the-past",
        ),
        pytest.param(
            {"currency": UNRATED},
            "currency",
            f"No {UNRATED}→USD exchange rate is known",
            id="no-rate",
        ),
        pytest.param(
            {"currency": "XYZ"},
            "currency",
            "Select a valid choice",
            id="unknown-currency",
        ),
        pytest.param(
            {"kind": "retention"},
            "kind",
            "A retention offer is for one of our employees.",
            id="retention-for-a-prospect",
        ),
    ],
)
def test_bad_terms_are_refused_on_their_field_and_nothing_is_saved(
    recruiter_client, add_form, values, field, message, unrated_currency
):
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form(**values))

    assert response.status_code == 200
    errors = _errors_by_field(response)
    assert message in " ".join(errors.get(field, [])), errors
    assert saved_rows() == before


def _errors_by_field(response) -> dict[str, list[str]]:
    """Every error on the page, by the name of the input it belongs to ("" for the form's)."""
    form = response.context["adminform"].form
    errors = {(name if name != "__all__" else ""): list(msgs) for name, msgs in form.errors.items()}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for form in formset.forms:
            for name, msgs in form.errors.items():
                errors[f"{form.prefix}-{name}"] = list(msgs)
        if formset.non_form_errors():
            errors[formset.prefix] = list(formset.non_form_errors())
    return errors


def test_an_application_with_an_open_offer_gets_no_second_one(
    recruiter_client, recruiter, add_form
):
    OfferFactory(application=add_form.application, drafted_by=recruiter)
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form())

    assert response.status_code == 200
    assert "already has an open offer" in " ".join(_errors_by_field(response)["application"])
    assert saved_rows() == before


def test_editing_a_draft_updates_it_through_the_service(
    client, hiring_manager, recruiter, role, admin_form_data
):
    hiring_manager.groups.add(Group.objects.get(name="Recruiters"))
    offer = offer_for(
        role,
        recruiter,
        signing_payments=[(0, Decimal(500_000))],
        equity=[EquityTerms(4 * M, [Decimal(p) for p in (40, 30, 20, 10)])],
        other=[("Housing", Decimal(60_000), 1)],
    )
    client.force_login(hiring_manager)
    data = admin_form_data(client.get(change_url(offer)))
    data.update({"base_salary": "450000", "payments-0-amount": "750000"})

    response = client.post(change_url(offer), data)

    assert response.status_code == 302, _errors_by_field(response)
    offer = reload(offer)
    assert (offer.status, offer.version, offer.base_salary) == (Status.DRAFT, 1, 450_000)
    assert [p.amount for p in offer.payments.all()] == [750_000]
    # What was not touched stays as it was, the vesting years included.
    grant = offer.equity_grants.get()
    assert (grant.value, [y.percentage for y in grant.vesting_years.all()]) == (
        4 * M,
        [40, 30, 20, 10],
    )
    assert [o.name for o in offer.other_amounts.all()] == ["Housing"]
    assert offer.history.first().history_user == hiring_manager


def test_a_component_row_deleted_on_a_draft_is_removed(
    recruiter_client, recruiter, role, admin_form_data
):
    offer = offer_for(role, recruiter, other=[("Housing", Decimal(60_000), 1)])
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data["other_amounts-0-DELETE"] = "on"

    response = recruiter_client.post(change_url(offer), data)

    assert response.status_code == 302
    assert not reload(offer).other_amounts.exists()


def test_a_bad_edit_leaves_the_draft_as_it_was(recruiter_client, recruiter, role, admin_form_data):
    offer = offer_for(role, recruiter, equity=[EquityTerms(4 * M, EVEN_4_YEARS)])
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data.update({"base_salary": "999999", "equity_grants-0-vesting": "50, 60"})
    before = saved_rows()

    response = recruiter_client.post(change_url(offer), data)

    assert response.status_code == 200
    assert "add up to 110%" in " ".join(_errors_by_field(response)["equity_grants-0-vesting"])
    assert saved_rows() == before
    assert reload(offer).base_salary == 400_000
