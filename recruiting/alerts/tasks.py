"""Thin Celery wrappers: ids in, a service called. Delivery retries through the database (the
alert's next attempt), not through Celery, so a lost task changes nothing."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="alerts.deliver_alert", ignore_result=True)
def deliver_alert(alert_id: int) -> str:
    return services.deliver_alert(alert_id)


@shared_task(name="alerts.sweep", ignore_result=True)
def sweep() -> dict[str, object]:
    """Every minute: alerts whose time has come (or whose task was lost), digests, reminders."""
    released = services.release_stale_claims()
    raised = services.run_reminder_rules()
    due = services.due_alert_ids()
    for alert_id in due:
        deliver_alert.delay(alert_id)
    digests = services.send_digests()
    return {"released": released, "raised": raised, "queued": len(due), "digests": digests}
