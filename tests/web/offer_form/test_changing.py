"""Changing an offer on the form: a draft in place, a sent offer into version 2 (a refused
revision leaves it as it was), a closed one not at all; the edit page's queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from offers.models import Offer
from offers.services import send_offer, submit_for_approval
from offers.terms import EquityTerms
from tests.factories import OfferFactory
from tests.web.offer_form.helpers import MINUTES, error_on, grant, offer_data, payment

pytestmark = pytest.mark.django_db


# --- Changing an offer -----------------------------------------------------------------------


def test_editing_a_draft_changes_it_in_place(recruiter_client, recruiter, application):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        equity=[EquityTerms(Decimal(800_000), [Decimal(25)] * 4)],
    )
    page = recruiter_client.get(reverse("offers:edit", args=[offer.pk]))
    html = page.content.decode()
    assert 'value="400000.00"' in html and 'value="800000.00"' in html
    assert 'name="kind"' not in html  # a version keeps its kind

    data = offer_data(equity=[grant(value=900_000)], base_salary=420_000, initial={"equity": 1})
    del data["kind"]
    page = recruiter_client.post(reverse("offers:edit", args=[offer.pk]), data)

    offer.refresh_from_db()
    assert page["Location"] == reverse("offers:detail", args=[offer.pk])
    assert (offer.version, offer.status, offer.base_salary) == (1, "draft", Decimal(420_000))
    assert [g.value for g in offer.equity_grants.all()] == [Decimal(900_000)]


def test_editing_a_sent_offer_makes_version_2_and_leaves_version_1_with_the_candidate(
    recruiter_client, recruiter, application
):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)  # no rule applies: approved at once
    send_offer(first, by=recruiter)
    page = recruiter_client.get(reverse("offers:edit", args=[first.pk]))
    assert "Saving makes version 2" in page.content.decode()

    data = offer_data(base_salary=440_000, payments=[payment(amount=150_000)])
    del data["kind"]
    page = recruiter_client.post(reverse("offers:edit", args=[first.pk]), data)

    first.refresh_from_db()
    second = Offer.objects.get(version=2)
    assert page["Location"] == reverse("offers:detail", args=[second.pk])
    assert first.status == "sent"  # until version 2 is sent
    assert (first.base_salary, first.payments.count()) == (Decimal(400_000), 0)  # as it was
    assert (second.status, second.revises, second.base_salary) == ("draft", first, Decimal(440_000))
    assert [(p.month, p.amount) for p in second.payments.all()] == [(0, Decimal(150_000))]
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        "Saved as version 2, a draft; version 1 stays with the candidate until you send the "
        "new one."
    ]
    # Editing version 1 again leads to version 2.
    page = recruiter_client.get(reverse("offers:edit", args=[first.pk]))
    assert page["Location"] == reverse("offers:edit", args=[second.pk])


def test_a_refused_revision_leaves_the_sent_offer_as_it_was(
    recruiter_client, recruiter, application
):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)
    send_offer(first, by=recruiter)
    data = offer_data(expires_at=(timezone.now() - timedelta(days=1)).strftime(MINUTES))
    del data["kind"]

    page = recruiter_client.post(reverse("offers:edit", args=[first.pk]), data)

    first.refresh_from_db()
    assert error_on(page.content.decode(), "id_expires_at") == "The expiry must be in the future."
    assert first.status == "sent" and Offer.objects.count() == 1


def test_a_closed_offer_is_not_edited(recruiter_client, recruiter, application):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)
    send_offer(first, by=recruiter)
    Offer.objects.filter(pk=first.pk).update(status="declined")

    page = recruiter_client.get(reverse("offers:edit", args=[first.pk]))

    assert page["Location"] == reverse("offers:detail", args=[first.pk])


def test_the_edit_page_reads_an_offer_with_many_rows_in_a_bounded_number_of_queries(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        signing_payments=[(m, Decimal(10_000)) for m in range(0, 48, 6)],
        equity=[EquityTerms(Decimal(100_000 * i), [Decimal(25)] * 4) for i in range(1, 9)],
        other=[(f"Allowance {i}", Decimal(1_000), 1) for i in range(8)],
    )

    with django_assert_max_num_queries(12):
        page = recruiter_client.get(reverse("offers:edit", args=[offer.pk]))

    assert page.content.decode().count('class="formset-row') == 8 + 8 + 8 + 3
