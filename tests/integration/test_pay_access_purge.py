"""The pay access log's retention: the scheduler's daily job, run by a real worker with
PAY_ACCESS_LOG_DAYS from its environment, deletes the rows older than that, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from recruiting.audit.models import PayAccess
from recruiting.audit.tasks import purge_pay_access
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_scheduled_purge_keeps_the_days_the_setting_says(own_worker, drain):
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-purge-pay-access"]
    assert schedule == {"task": "audit.purge_pay_access", "schedule": 24 * 60 * 60.0}
    rita = UserFactory(username="rita")
    ages = {"old": 91, "older": 800, "recent": 89, "today": 0}
    rows = {
        name: PayAccess.objects.create(
            at=timezone.now() - timedelta(days=days),
            user=rita,
            kind=PayAccess.Kind.OFFER_PAGE,
            label=f"Offer {days}",
            path="/offers/1/",
        ).pk
        for name, days in ages.items()
    }
    own_worker(PAY_ACCESS_LOG_DAYS="90")

    purge_pay_access.delay()
    drain()
    purge_pay_access.delay()  # the next day's run, with nothing more to purge
    drain()

    assert set(PayAccess.objects.values_list("pk", flat=True)) == {
        rows["recent"],
        rows["today"],
    }
