"""Who may use the offer form: an outsider gets 404 everywhere, a hiring manager sees the
application but may not draft, signing in is needed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offers.models import Offer
from tests.factories import OfferFactory
from tests.web.offer_form.helpers import offer_data

pytestmark = pytest.mark.django_db


# --- Who may --------------------------------------------------------------------------------


def test_an_outsider_gets_404_everywhere(client, outsider, recruiter, application):
    offer = OfferFactory(application=application, drafted_by=recruiter)
    client.force_login(outsider)

    assert client.get(reverse("offers:draft", args=[application.pk])).status_code == 404
    assert (
        client.post(reverse("offers:draft", args=[application.pk]), offer_data()).status_code == 404
    )
    assert client.get(reverse("offers:edit", args=[offer.pk])).status_code == 404
    assert (
        client.post(reverse("offers:preview"), offer_data(application=application.pk)).status_code
        == 404
    )
    assert client.post(reverse("offers:preview"), offer_data(offer=offer.pk)).status_code == 404
    assert Offer.objects.count() == 1


def test_a_hiring_manager_sees_the_application_but_may_not_draft(
    client, hiring_manager, recruiter, application
):
    offer = OfferFactory(application=application, drafted_by=recruiter)
    client.force_login(hiring_manager)

    assert client.get(reverse("offers:draft", args=[application.pk])).status_code == 404
    assert client.get(reverse("offers:edit", args=[offer.pk])).status_code == 404
    # No amount for someone without view_compensation, even typed by themselves.
    preview = client.post(reverse("offers:preview"), offer_data(application=application.pk))
    assert preview.status_code == 404 and b"400,000" not in preview.content


def test_signing_in_is_needed(client, application):
    page = client.get(reverse("offers:draft", args=[application.pk]))

    assert page.status_code == 302 and page["Location"].startswith(reverse("account_login"))
