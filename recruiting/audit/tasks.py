"""Thin Celery wrappers around the pay access log's services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="audit.purge_pay_access", ignore_result=True)
def purge_pay_access() -> int:
    """Daily: the rows older than PAY_ACCESS_LOG_DAYS."""
    return services.purge_pay_access()
