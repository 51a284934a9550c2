"""Thin Celery wrappers for outreach. Whether a step was sent is decided by the database (its
SentMessage row), never by the queue: a task run twice, or by two workers, sends one email."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from recruiting.lib.locks import one_at_a_time

from . import services

log = logging.getLogger(__name__)

SEND_LIMIT = 2000  # steps a minute: a backlog drains over the next runs
SEND_LOCK = "closer:outreach-send-due"
SEND_LOCK_TIMEOUT = 55  # seconds: freed before the next minute's run if its holder died
# No step is begun after this, so that a run ends before its lock expires (make bench: a run of
# 2,000 steps took 41-67 s on a loaded machine).
SEND_BUDGET = timedelta(seconds=40)


@shared_task(name="outreach.send_due", ignore_result=True)
def send_due() -> dict[str, object]:
    """Every minute: the outreach steps that have come due."""
    # The claim keeps two runs from sending twice; the lock saves the wasted work.
    with one_at_a_time(SEND_LOCK, timeout=SEND_LOCK_TIMEOUT) as mine:
        if not mine:
            log.info("another outreach.send_due is running; this one does nothing")
            return {"skipped": "another run is in progress"}
        return dict(services.send_due_steps(limit=SEND_LIMIT, budget=SEND_BUDGET))
