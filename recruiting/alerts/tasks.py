"""Thin Celery wrappers: ids in, a service called. Delivery retries through the database (the
alert's next attempt), not through Celery, so a lost task changes nothing."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from celery import shared_task

from recruiting.lib.locks import one_at_a_time

from . import delivery, scan

log = logging.getLogger(__name__)

# The sweep queues due alerts in batches that share one SMTP connection (delivery.
# send_alerts), at most SWEEP_LIMIT a minute: about what one worker delivers in a minute
# (docs/benchmarks.md), so a backlog is queued no faster than it can drain.
DELIVERY_BATCH = 50
SWEEP_LIMIT = 20_000
SWEEP_LOCK = "closer:alerts-sweep"
SWEEP_LOCK_TIMEOUT = 55  # seconds: freed before the next minute's sweep if its holder died


@shared_task(name="alerts.deliver_alert", ignore_result=True)
def deliver_alert(alert_id: int) -> str:
    return delivery.send_alert(alert_id)


@shared_task(name="alerts.deliver_alerts", ignore_result=True)
def deliver_alerts(alert_ids: list[int]) -> dict[str, int]:
    return delivery.send_alerts(alert_ids)


def one_sweep_at_a_time() -> AbstractContextManager[bool]:
    """Whether this sweep may run: one at a time across workers (recruiting/lib/locks.py)."""
    return one_at_a_time(SWEEP_LOCK, timeout=SWEEP_LOCK_TIMEOUT)


@shared_task(name="alerts.sweep", ignore_result=True)
def sweep() -> dict[str, object]:
    """Every minute: alerts whose time has come (or whose task was lost), digests, reminders."""
    with one_sweep_at_a_time() as mine:
        if not mine:
            log.info("another alerts sweep is running; this one does nothing")
            return {"skipped": "another sweep is running"}
        released = delivery.release_stale_claims()
        raised = scan.run_reminder_rules()
        due = delivery.due_alert_ids(limit=SWEEP_LIMIT)
        for start in range(0, len(due), DELIVERY_BATCH):
            deliver_alerts.delay(due[start : start + DELIVERY_BATCH])
        digests = delivery.send_digests()
    return {"released": released, "raised": raised, "queued": len(due), "digests": digests}
