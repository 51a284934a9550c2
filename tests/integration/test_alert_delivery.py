"""Alerts through the real parts: Redis, a Celery worker process and an SMTP server."""

from __future__ import annotations

import pytest
from django.db import transaction

from recruiting.alerts import registry
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert
from recruiting.alerts.tasks import deliver_alert
from recruiting.tasks import ping
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

registry.register_kind(registry.AlertKind("test_notice", "A test notice"))


def test_an_alert_raised_in_a_transaction_is_delivered_by_the_worker_after_commit(
    celery_worker, smtp_server
):
    smtp_server.clear()
    rita = UserFactory(username="rita", email="rita@closer.example")

    with transaction.atomic():
        alert = raise_alert(
            kind="test_notice",
            recipient=rita,
            key="it-1",
            subject="Helix Intelligence beats our offer to Ada Lovelace",
            context={"message": "By $1.2M in year one."},
        )
        assert smtp_server.messages == []  # nothing leaves before the commit

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "rita@closer.example"
    assert message["Subject"] == "[Closer] Helix Intelligence beats our offer to Ada Lovelace"
    assert "By $1.2M in year one." in message.get_body(("plain",)).get_content()
    assert "By $1.2M in year one." in message.get_body(("html",)).get_content()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT


def test_the_delivery_task_run_twice_sends_one_email(celery_worker, smtp_server):
    smtp_server.clear()
    rita = UserFactory(username="rita", email="rita@closer.example")
    with transaction.atomic():
        alert = raise_alert(kind="test_notice", recipient=rita, key="it-2", subject="Twice")

    deliver_alert.delay(alert.pk)
    deliver_alert.delay(alert.pk)
    # The worker runs one task at a time, in order: once this ping answers, the on-commit
    # delivery and both extra ones have run.
    assert ping.delay().get(timeout=30) == "pong"

    assert len(smtp_server.wait_for(1)) == 1
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT
