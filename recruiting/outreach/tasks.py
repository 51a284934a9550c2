"""Thin Celery wrappers for outreach. Whether a step was sent is decided by the database (its
SentMessage row), never by the queue: a task run twice, or by two workers, sends one email."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from recruiting.lib.locks import one_at_a_time

from . import inbound, mailbox, services

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


MAILBOX_LOCK_TIMEOUT = 300  # seconds: freed for the next run if its holder died
# No message is fetched after this, so that a run ends well before its lock expires.
MAILBOX_BUDGET = timedelta(seconds=120)


@shared_task(name="outreach.read_mailboxes", ignore_result=True)
def read_mailboxes() -> None:
    """On schedule (OUTREACH_MAILBOX_SECONDS): one task for each mailbox, so that a slow or
    unreachable one holds up no other. Names cross the broker, never passwords."""
    for box in mailbox.configured():
        read_mailbox.delay(box.name)


@shared_task(name="outreach.read_mailbox")
def read_mailbox(name: str) -> dict[str, object]:
    """Reads one mailbox's new messages: replies, auto-replies, bounces."""
    box = mailbox.by_name(name)
    if box is None:
        return {"skipped": "OUTREACH_MAILBOXES no longer lists this mailbox"}
    # Each message's row keeps two runs from acting twice; the lock saves the wasted work.
    with one_at_a_time(f"closer:outreach-mailbox:{name}", timeout=MAILBOX_LOCK_TIMEOUT) as mine:
        if not mine:
            return {"skipped": "another run is reading this mailbox"}
        return dict(inbound.read_mailbox(box, budget=MAILBOX_BUDGET))
