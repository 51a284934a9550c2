"""Pages about what is over offer nothing to do: no offer for a closed application, no
counter-offer for an offer that was answered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.services import accept_offer, send_offer, submit_for_approval
from recruiting.pipeline.services import mark_hired
from tests.factories import ApplicationFactory, CompanyFactory, OfferFactory

pytestmark = pytest.mark.django_db


def test_a_closed_application_gets_no_offer_form(recruiter_client, recruiter):
    build_market()
    application = ApplicationFactory()
    mark_hired(application, by=recruiter)

    page = recruiter_client.get(reverse("offers:draft", args=[application.pk]), follow=True)

    assert page.redirect_chain[-1][0] == reverse("web:application", args=[application.pk])
    assert "only an open application gets an offer" in page.content.decode()


def test_an_accepted_offer_offers_no_counter_offer(recruiter_client, recruiter):
    build_market()
    application = ApplicationFactory()
    offer = OfferFactory(application=application, drafted_by=recruiter)
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=CompanyFactory(kind=Company.Kind.COMPETITOR),
            application=application,
            currency="USD",
            deadline=timezone.now() + timedelta(days=3),
            base_salary=Decimal(900_000),
        ),
        by=recruiter,
    )
    counter = reverse("offers:counter", args=[offer.pk])
    assert counter in recruiter_client.get(offer.get_absolute_url()).content.decode()

    submit_for_approval(offer, by=recruiter)
    send_offer(offer, by=recruiter)
    accept_offer(offer, by=recruiter)

    assert counter not in recruiter_client.get(offer.get_absolute_url()).content.decode()
