"""No page, letter or export shown to a signed-in user stays in a cache."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_pages_and_the_admin_are_not_stored_for_a_signed_in_user(recruiter_client):
    for url in (reverse("home"), reverse("web:candidates"), reverse("admin:index")):
        response = recruiter_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_an_offer_letter_is_not_stored(recruiter_client, recruiter):
    offer = OfferFactory(drafted_by=recruiter)

    response = recruiter_client.get(reverse("offers:letter", args=[offer.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
