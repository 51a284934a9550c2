"""Thin Celery wrappers for outreach. Whether a step was sent is decided by the database (its
SentMessage row), never by the queue: a task run twice, or by two workers, sends one email."""

from __future__ import annotations

import logging

from celery import shared_task

from recruiting.lib.locks import one_at_a_time

from . import services

log = logging.getLogger(__name__)

# Steps a minute's run hands to the pool: at the 250 a second that one worker sends (make
# bench), 10,000 drain in 40 seconds, before the next minute's run reads what is due; a
# backlog beyond it waits for the next runs.
SEND_LIMIT = 10_000
SEND_LOCK = "closer:outreach-send-due"
SEND_LOCK_TIMEOUT = 55  # seconds: freed before the next minute's run if its holder died


@shared_task(name="outreach.send_batch", ignore_result=True)
def send_batch(enrollment_ids: list[int]) -> dict[str, int]:
    """One sender's due steps (services.due_batches), over one SMTP connection."""
    return services.send_batches([enrollment_ids])


@shared_task(name="outreach.send_due", ignore_result=True)
def send_due() -> dict[str, object]:
    """Every minute: hands the outreach steps that have come due to the worker pool, in
    batches of one sender's, as the alert sweep does. A batch the next minute's run hands out
    again, still queued, sends nothing twice: each step is claimed in the database."""
    # The claim keeps two runs from sending twice; the lock saves the wasted work.
    with one_at_a_time(SEND_LOCK, timeout=SEND_LOCK_TIMEOUT) as mine:
        if not mine:
            log.info("another outreach.send_due is running; this one does nothing")
            return {"skipped": "another run is in progress"}
        batches = services.due_batches(limit=SEND_LIMIT)
        for batch in batches:
            send_batch.delay(batch)
    return {"queued": sum(len(batch) for batch in batches), "batches": len(batches)}
