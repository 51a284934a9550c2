"""Thin Celery wrappers for people's data."""

from __future__ import annotations

import logging

from celery import shared_task

from recruiting.lib.locks import one_at_a_time

from . import services

log = logging.getLogger(__name__)

RETENTION_LOCK = "closer:privacy-retention"
RETENTION_LOCK_TIMEOUT = 60 * 60  # seconds: a run over a long backlog is done well before


@shared_task(name="privacy.apply_retention")
def apply_retention() -> dict[str, object]:
    """Every day: the prospects the retention rule picks are anonymised, and the run recorded."""
    with one_at_a_time(RETENTION_LOCK, timeout=RETENTION_LOCK_TIMEOUT) as mine:
        if not mine:
            log.info("another privacy.apply_retention is running; this one does nothing")
            return {"skipped": "another run is in progress"}
        run = services.apply_retention()
        return {"run": run.pk, "anonymised": run.anonymised, "skipped": len(run.skipped_ids)}
