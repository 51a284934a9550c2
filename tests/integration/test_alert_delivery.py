"""Alerts through the real parts: Redis, a Celery worker process and an SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recruiting.alerts import registry
from recruiting.alerts.models import Alert, AlertPreference, AlertProfile
from recruiting.alerts.services import raise_alert
from recruiting.alerts.tasks import (
    SWEEP_LOCK,
    deliver_alert,
    deliver_alerts,
    one_sweep_at_a_time,
    sweep,
)
from recruiting.pipeline.models import Application, Stage
from recruiting.tasks import ping
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory, UserFactory

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
    # The message is in; the worker marks the row right after. It runs one task at a time:
    # once this ping answers, the delivery task has finished.
    assert ping.delay().get(timeout=30) == "pong"
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


def lost_task_alert(user, key: str) -> Alert:
    """A pending alert, due now, whose delivery task was lost (never queued)."""
    return Alert.objects.create(
        kind="test_notice", recipient=user, key=key, subject=f"Lost task {key}"
    )


def test_the_sweep_and_the_batch_delivery_run_twice_send_one_email(celery_worker, drain, mail):
    rita = UserFactory(username="rita", email="rita@closer.example")
    alert = lost_task_alert(rita, "it-3")

    sweep.delay()
    sweep.delay()
    deliver_alerts.delay([alert.pk])
    deliver_alerts.delay([alert.pk])
    [message] = mail.wait_for(1)
    drain()  # both sweeps and the four batches (two of them queued by the sweeps)

    assert len(mail.messages) == 1
    assert message["Subject"] == "[Closer] Lost task it-3"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.attempts == 1


def test_a_reminder_the_sweep_finds_is_emailed_by_the_worker_in_the_same_sweep(
    celery_worker, drain, mail
):
    # The scan inserts its alerts in bulk and queues none itself: the sweep that ran it
    # queues them with every other due alert.
    rita = UserFactory(username="rita", email="rita@closer.example")
    ada = CandidateFactory(name="Ada Lovelace", owner=rita)
    role = RoleFactory(title="Research Scientist", city="London")
    screen = role.stages.get(kind=Stage.Kind.SCREEN)
    application = ApplicationFactory(candidate=ada, role=role, stage=screen)
    entered = timezone.now() - timedelta(days=screen.time_limit_days + 2)
    Application.objects.filter(pk=application.pk).update(stage_entered_at=entered)

    sweep.delay()
    sweep.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1
    assert message["To"] == "rita@closer.example"
    assert message["Subject"].startswith(
        f"[Closer] Ada Lovelace has been in {screen.name} for {screen.time_limit_days + 2} days"
    )
    assert Alert.objects.get(kind="application_stale").status == Alert.Status.SENT


def test_the_digest_sweep_run_twice_sends_one_digest(celery_worker, drain, mail):
    rita = UserFactory(username="rita", email="rita@closer.example")
    AlertProfile.objects.create(user=rita, timezone="Europe/Paris")
    AlertPreference.objects.create(user=rita, kind="test_notice", mode="digest")
    # Raised two evenings ago: their 08:00 (Paris) came yesterday, so they are due now.
    evening = timezone.now().astimezone(ZoneInfo("Europe/Paris")).replace(
        hour=18, minute=0, second=0, microsecond=0
    ) - timedelta(days=2)
    for key in ("d1", "d2"):
        with transaction.atomic():
            raise_alert(
                kind="test_notice",
                recipient=rita,
                key=key,
                subject=f"Digest item {key}",
                now=evening,
            )
    assert set(Alert.objects.values_list("next_attempt_at", flat=True)) == {
        datetime.combine(
            evening.date() + timedelta(days=1), AlertProfile.DIGEST_AT, ZoneInfo("Europe/Paris")
        )
    }

    sweep.delay()
    sweep.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1
    assert message["To"] == "rita@closer.example"
    assert message["Subject"] == "[Closer] Your daily digest: 2 alerts"
    assert set(Alert.objects.values_list("status", flat=True)) == {Alert.Status.SENT}


def test_a_sweep_while_another_holds_the_lock_does_nothing(celery_worker, drain, mail):
    rita = UserFactory(username="rita", email="rita@closer.example")
    alert = lost_task_alert(rita, "it-4")
    other_scheduler = redis.Redis.from_url(settings.CELERY_BROKER_URL).lock(SWEEP_LOCK, timeout=30)
    assert other_scheduler.acquire(blocking=False)

    try:
        sweep.delay()  # a second scheduler's sweep, while the first one's runs
        drain()
        assert mail.messages == []
        alert.refresh_from_db()
        assert alert.status == Alert.Status.PENDING
    finally:
        other_scheduler.release()

    sweep.delay()
    [message] = mail.wait_for(1)
    assert message["Subject"] == "[Closer] Lost task it-4"


def test_the_embedded_broker_sweeps_without_a_lock(settings):
    """The filesystem broker runs on one machine with one scheduler: no lock to take."""
    lock = redis.Redis.from_url(settings.CELERY_BROKER_URL).lock(SWEEP_LOCK, timeout=30)
    assert lock.acquire(blocking=False)
    try:
        settings.CELERY_BROKER_URL = "filesystem://"
        with one_sweep_at_a_time() as mine:
            assert mine is True
    finally:
        lock.release()
