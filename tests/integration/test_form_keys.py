"""A competing offer's form sent twice with its one-time key (recruiting/lib/form_keys.py),
through the real parts: one competing offer is recorded, and the Celery worker emails the
"competitor ahead" alert once to each colleague over the real SMTP server, not twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.models import CompetingOffer
from recruiting.alerts.models import Alert
from tests.factories import (
    CompanyFactory,
    OfferFactory,
)
from tests.form_keys import key_of
from tests.integration.helpers import AHEAD_SUBJECT
from tests.web.offer_form.helpers import BLANK, MINUTES, rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def application_with_offer(application, recruiter):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=Decimal(1_000_000))
    return application


def test_a_competing_offer_sent_twice_is_recorded_once_and_its_alert_emailed_once(
    celery_worker, drain, mail, client, application_with_offer, recruiter
):
    helix = CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)
    client.force_login(recruiter)
    url = reverse("offers:competing_new", args=[application_with_offer.pk])
    data = {
        "competitor": str(helix.pk),
        "deadline": (timezone.now() + timedelta(days=5)).strftime(MINUTES),
        "confidence": "written",
        "source": "The candidate",
        "currency": "USD",
        "base_salary": "1200000",
        "target_bonus_percent": "0",
        "relocation": "0",
        "signing_clawback_months": "0",
        "retention_clawback_months": "0",
        "form_key": key_of(client.get(url).content.decode(), "competing-form"),
    }
    for prefix in ("payments", "equity", "other"):
        data |= rows(prefix, [BLANK[prefix]])

    first = client.post(url, data)
    repeat = client.post(url, data)
    mail.wait_for(2)
    drain()

    assert sorted(message["To"] for message in mail.messages) == [
        "hiring_manager@closer.test",
        "recruiter@closer.test",
    ]
    assert {message["Subject"] for message in mail.messages} == {AHEAD_SUBJECT}
    assert list(Alert.objects.values_list("kind", "status")) == [("competitor_ahead", "sent")] * 2
    assert CompetingOffer.objects.filter(competitor=helix).count() == 1
    assert first.status_code == 302
    assert repeat.status_code == 303 and repeat["Location"] == first["Location"]
