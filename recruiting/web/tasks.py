"""Thin Celery wrappers of the web layer's jobs: the weekly reports digest."""

from __future__ import annotations

from celery import shared_task

from .reports import digest


@shared_task(name="reports.send_weekly_digest", ignore_result=True)
def send_weekly_digest() -> int:
    """Mondays (CELERY_BEAT_SCHEDULE): the week before's digest to the head of recruiting's
    group, once a week whatever the runs (the alert's key)."""
    return digest.send_weekly_digest()
