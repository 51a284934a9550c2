"""Thin Celery wrappers: ids in, a service called. Delivery retries through the database (the
alert's next attempt), not through Celery, so a lost task changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from celery import shared_task
from django.conf import settings
from redis.exceptions import LockError

from . import services

log = logging.getLogger(__name__)

# The sweep queues due alerts in batches that share one SMTP connection (services.
# deliver_alerts), at most SWEEP_LIMIT a minute: about what one worker delivers in a minute
# (docs/benchmarks.md), so a backlog is queued no faster than it can drain.
DELIVERY_BATCH = 50
SWEEP_LIMIT = 20_000
SWEEP_LOCK = "closer:alerts-sweep"
SWEEP_LOCK_TIMEOUT = 55  # seconds: freed before the next minute's sweep if its holder died


@shared_task(name="alerts.deliver_alert", ignore_result=True)
def deliver_alert(alert_id: int) -> str:
    return services.deliver_alert(alert_id)


@shared_task(name="alerts.deliver_alerts", ignore_result=True)
def deliver_alerts(alert_ids: list[int]) -> dict[str, int]:
    return services.deliver_alerts(alert_ids)


@contextmanager
def one_sweep_at_a_time() -> Iterator[bool]:
    """Yields whether this sweep may run. Two schedulers started by mistake (two `celery beat`)
    would each send a sweep a minute; the lock lets one of them work. It lives in the broker's
    Redis, which every worker shares. The filesystem broker is the embedded setup: one machine,
    one scheduler, nothing to share a lock through."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        yield True
        return
    with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=3) as client:
        lock = client.lock(SWEEP_LOCK, timeout=SWEEP_LOCK_TIMEOUT, blocking=False)
        if not lock.acquire():
            yield False
            return
        try:
            yield True
        finally:
            try:
                lock.release()
            except LockError:  # it expired: this sweep outlived its lock, and nothing is lost
                log.warning("the alerts sweep ran longer than its %ss lock", SWEEP_LOCK_TIMEOUT)


@shared_task(name="alerts.sweep", ignore_result=True)
def sweep() -> dict[str, object]:
    """Every minute: alerts whose time has come (or whose task was lost), digests, reminders."""
    with one_sweep_at_a_time() as mine:
        if not mine:
            log.info("another alerts sweep is running; this one does nothing")
            return {"skipped": "another sweep is running"}
        released = services.release_stale_claims()
        raised = services.run_reminder_rules()
        due = services.due_alert_ids(limit=SWEEP_LIMIT)
        for start in range(0, len(due), DELIVERY_BATCH):
            deliver_alerts.delay(due[start : start + DELIVERY_BATCH])
        digests = services.send_digests()
    return {"released": released, "raised": raised, "queued": len(due), "digests": digests}
